"""Settings for a public server: refuses to start without its secrets, secure by default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import COMMENTS_CLIENT_IP_HEADER, env

for required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
    if not env(required, default=""):
        raise ImproperlyConfigured(
            f"{required} must be set in production (see .env.example and docs/security.md)."
        )

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (docs/security.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
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
AKISMET_IS_TEST = env.bool("AKISMET_IS_TEST", default=False)
