"""Settings for `make test`: real PostgreSQL and Redis, fast password hashing."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, VAR_DIR
from .variables import read

# Playwright's sync API runs an event loop in the test thread; the ORM calls made beside it are
# still synchronous, so Django's async-safety guard would only get in the way here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEBUG = False
SECRET_KEY = "test-only-not-secret"
ALLOWED_HOSTS = ["*"]
SITE_URL = "http://testserver"

DATABASES["default"]["CONN_MAX_AGE"] = 0

# Isolates this run's cache keys and Celery queue from any other run sharing the Redis server;
# a worker started as a subprocess by a test gets the same TEST_RUN_ID to join this run.
TEST_RUN_ID = read("TEST_RUN_ID", default=str(os.getpid()))
os.environ["TEST_RUN_ID"] = TEST_RUN_ID

CACHES = {
    "default": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"test{TEST_RUN_ID}",
    }
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = f"chezsoi-test-{TEST_RUN_ID}"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests roll their transactions back, so no change would ever reach the cache; the page cache's
# own tests turn it on.
PAGE_CACHE_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A worker started as a subprocess by a test cannot see that test's settings overrides: it reaches
# the test's SMTP server through TEST_SMTP_PORT.
if read("TEST_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(read("TEST_SMTP_PORT"))
    EMAIL_USE_TLS = False
    EMAIL_HOST_USER = ""
    EMAIL_HOST_PASSWORD = ""
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
# Tests serve the images of imported posts from a local HTTP server (tests/moving/test_media.py).
MOVING_ALLOW_LOOPBACK = True
LANGUAGE_CODE = "fr"

# Static files come from the apps' folders (finders), as with runserver: no collectstatic needed.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
