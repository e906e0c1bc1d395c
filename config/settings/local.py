"""Settings for `make run`: debug on, mail to a readable outbox."""

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

# A template being edited shows at the next reload, not when its cached pages expire.
PAGE_CACHE_ENABLED = read("PAGE_CACHE_ENABLED", default=False)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
