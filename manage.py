#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import sys

from config.settings.variables import choose_settings


def main():
    choose_settings(default="config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
