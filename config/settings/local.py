"""Settings for `make run`: debug on, mail to a readable outbox, no service required."""

from .base import *  # noqa: F403
from .base import VAR_DIR
from .variables import read

DEBUG = read("DJANGO_DEBUG", default=True)
SECRET_KEY = read("DJANGO_SECRET_KEY") or "local-development-only-not-secret"
ALLOWED_HOSTS = read("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Every email lands in var/outbox, readable by staff at /outbox/ (see config/outbox.py).
if not read("EMAIL_URL") and not read("EMAIL_BACKEND"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "outbox"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
