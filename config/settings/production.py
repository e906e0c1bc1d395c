"""Settings for a public server: refuses to start without its secrets, secure by default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import COMMENTS_CLIENT_IP_HEADER
from .variables import read

# DATABASE_URL and REDIS_URL are required everywhere (base.py).
for required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
    if not read(required):
        raise ImproperlyConfigured(
            f"{required} must be set in production (see .env.example and docs/security.md)."
        )

DEBUG = False
SECRET_KEY = read("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = read("DJANGO_ALLOWED_HOSTS")

# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (docs/security.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = read("DJANGO_SECURE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz(/worker)?$"]
SECURE_HSTS_SECONDS = read("DJANGO_SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = read("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = read("DJANGO_SECURE_HSTS_PRELOAD")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Behind the proxy every request comes from it: sign-in rate limits count per reader by the
# address in the header the proxy sets, the one comments use (COMMENTS_CLIENT_IP_HEADER).
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = COMMENTS_CLIENT_IP_HEADER or None

# Real checks teach Akismet; set AKISMET_IS_TEST=True on a staging copy.
AKISMET_IS_TEST = read("AKISMET_IS_TEST", default=False)
