"""`make run`'s settings, with the outbox in the launcher's folder of the test, not the checkout's."""

import os
from pathlib import Path

from config.settings.local import *  # noqa: F403

EMAIL_FILE_PATH = Path(os.environ["LAUNCHER_VAR_DIR"]) / "outbox"
