"""Production settings, with the static files collected into a folder of the test run."""

import os

from config.settings.production import *  # noqa: F403

STATIC_ROOT = os.environ["FAULTS_STATIC_ROOT"]
