"""`python -m launcher run [--host H] [--port N] [--var DIR]` or `python -m launcher test [pytest args]`."""

import argparse
import os
import sys
from pathlib import Path

from launcher.processes import BASE_DIR


def main(argv: list[str]) -> int:
    if argv[:1] == ["test"]:
        # Everything after `test` is pytest's, even -h.
        from launcher.test import test

        return test(argv[1:], environ=dict(os.environ))
    parser = argparse.ArgumentParser(prog="python -m launcher", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the demo site with a task worker and beat")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--var",
        type=Path,
        default=Path(os.environ.get("LAUNCHER_VAR_DIR") or BASE_DIR / "var"),
        help="folder of the embedded PostgreSQL's and Redis's data and beat's schedule",
    )
    commands.add_parser("test", help="run pytest; every argument after `test` is pytest's")
    arguments = parser.parse_args(argv)
    from config.settings.variables import read_env_file
    from launcher.run import run

    # As manage.py does: what the environment does not set, .env may (DATABASE_URL, SITE_URL…).
    read_env_file()

    return run(
        host=arguments.host,
        port=arguments.port,
        var_dir=arguments.var.resolve(),
        environ=dict(os.environ),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
