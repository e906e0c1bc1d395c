"""Settings shared by every environment; variables come from the environment (see variables.py)."""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .variables import read, read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

read_env_file()

SECRET_KEY = read("DJANGO_SECRET_KEY")
DEBUG = read("DJANGO_DEBUG")
ALLOWED_HOSTS = read("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = read("DJANGO_CSRF_TRUSTED_ORIGINS")

# The site's public address, used in emails, feeds and anywhere a link leaves the request.
SITE_URL = read("SITE_URL").rstrip("/")
SITE_NAME = read("SITE_NAME")
SITE_DESCRIPTION = read("SITE_DESCRIPTION")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # Form widgets rendered with TEMPLATES, so that templates/ may override the admin's.
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "anymail",
    "reversion",
    "blog",
    "comments",
    "newsletter",
    "moving",
    "demo",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and feeds compressed (Django pads them against BREACH). After whitenoise, which
    # answers static files itself, precompressed, so that images are never compressed again.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, reading the language from the address only when its first segment is one.
    "config.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Old addresses of an imported site, looked up only when nothing here answers them.
    "moving.middleware.RedirectMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Request bodies are read only after every middleware has run (CSRF's check is in process_view).
    "config.middleware.RequestSizeLimitMiddleware",
    "config.middleware.NulCharacterRefusalMiddleware",
    "config.middleware.StaffMfaMiddleware",
    # Last, so that a cached page still goes out through the CSRF, CSP and locale middleware.
    "blog.pagecache.PageCacheMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "blog.context_processors.site",
            ],
            # The warning that no task worker answers, on the admin's front page and the outbox.
            "libraries": {"worker": "config.templatetags.worker"},
        },
    },
]

# PostgreSQL and Redis everywhere, so that what runs in development is what runs in production.
# `make run` and `make test` start both themselves when these are not set (README).
for required, service in (("DATABASE_URL", "PostgreSQL"), ("REDIS_URL", "Redis")):
    if not read(required):
        raise ImproperlyConfigured(
            f"{required} is not set: set it to the address of your {service} server (README, "
            "Configuration), or use `make run` or `make test`, which start PostgreSQL and Redis "
            "themselves."
        )

DATABASES = {"default": environ.Env.db_url_config(read("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = read("DATABASE_CONN_MAX_AGE")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis backs the cache (shared rate limits, page cache, the workers' heartbeat) and the broker.
REDIS_URL = read("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": read("CACHE_KEY_PREFIX"),
    }
}

# Pages anonymous readers see are served from the cache and dropped as soon as what they show
# changes (blog/pagecache.py, docs/performance.md).
PAGE_CACHE_ENABLED = read("PAGE_CACHE_ENABLED")
PAGE_CACHE_SECONDS = read("PAGE_CACHE_SECONDS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
# Account emails leave through core/mail.py, as every email of the site does.
ACCOUNT_ADAPTER = "core.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Sign-up answers alike for a free and a taken address (the owner of a taken one is emailed):
# allauth can keep that promise only when readers confirm their address before signing in.
# Staff made by the owner are let in unconfirmed (core/accounts.py, docs/security.md).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = read("ACCOUNT_EMAIL_VERIFICATION")
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_ON_GET = False
# Five wrong passwords for one address lock it for five minutes; ten per minute lock the sender's
# address. Shared through the cache, so one Redis serves every worker (docs/security.md).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# On, staff must turn on an authenticator app before the admin opens to them.
STAFF_REQUIRE_MFA = read("STAFF_REQUIRE_MFA")

# Every page: scripts and styles from this site only, inline script only with the request's
# nonce (`nonce="{{ request.csp_nonce }}"`), no plugins, no framing. Images may come from any
# https address, as editors embed remote pictures in posts (docs/security.md).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The media library (blog/media.py): uploads refused over these, with a message saying why.
MEDIA_MAX_UPLOAD_MB = read("MEDIA_MAX_UPLOAD_MB")
MEDIA_MAX_MEGAPIXELS = read("MEDIA_MAX_MEGAPIXELS")

# Images of imported posts (moving/media.py), downloaded within these bounds. Only public
# addresses are fetched: loopback is allowed by the test settings alone, for their local server.
MOVING_MEDIA_MAX_MB = read("MOVING_MEDIA_MAX_MB")
MOVING_MEDIA_TIMEOUT = read("MOVING_MEDIA_TIMEOUT")
MOVING_MEDIA_MAX_COUNT = read("MOVING_MEDIA_MAX_COUNT")
MOVING_ALLOW_LOOPBACK = False
# Whole exports imported (moving/detect.py): refused over this size before being read; a zip
# also over MOVING_MAX_FILE_MB × MOVING_ZIP_RATIO unpacked or MOVING_ZIP_MAX_MEMBERS files.
MOVING_MAX_FILE_MB = read("MOVING_MAX_FILE_MB")
MOVING_ZIP_RATIO = 10
MOVING_ZIP_MAX_MEMBERS = 20_000
# An import saves its progress (and commits) every this many objects.
MOVING_PROGRESS_EVERY = 50

# Request bodies, refused with a 413 page before they are read (config/middleware.py): form data
# over 2 MB (a very long post is 200 kB of Markdown), uploads over MAX_REQUEST_SIZE in all. Its
# default leaves room for the largest image plus the form around it, so that an image too large
# is refused by the media library, whose message the editor shows. Uploads above
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to disk, not held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_REQUEST_SIZE = read("MAX_REQUEST_SIZE", default=(MEDIA_MAX_UPLOAD_MB + 2) * 1024 * 1024)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# Open Graph names a territory with each language: the one our text is written for.
OG_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = read("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The icons browsers ask for at the site's root (/favicon.ico, /apple-touch-icon.png), answered
# by whitenoise before any view.
WHITENOISE_ROOT = BASE_DIR / "static" / "img"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(read("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Or the library in an S3-compatible bucket (django-storages, the `.[s3]` extra). Pages link to
# its images for years: plain public addresses, not signed ones that expire, and never a name
# written over (each upload gets a name of its own, as on disk).
if MEDIA_S3_BUCKET := read("MEDIA_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": read("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": read("MEDIA_S3_REGION") or None,
            "access_key": read("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": read("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "custom_domain": read("MEDIA_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: EMAIL_URL (smtp://user:password@host:587/?tls=True) or any django-anymail backend named
# in EMAIL_BACKEND with its ANYMAIL_* settings.
DEFAULT_FROM_EMAIL = read("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = read("SERVER_EMAIL") or DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = ""
if EMAIL_URL := read("EMAIL_URL"):
    vars().update(environ.Env.email_url_config(EMAIL_URL))
EMAIL_BACKEND = read("EMAIL_BACKEND") or "django.core.mail.backends.smtp.EmailBackend"
EMAIL_TIMEOUT = read("EMAIL_TIMEOUT")
ANYMAIL = read("ANYMAIL_")

# Celery: JSON only, tasks acknowledged after they finish so a killed worker's task runs again,
# and time limits well below the broker's visibility timeout so a slow task is never redelivered
# while it still runs.
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_VISIBILITY_TIMEOUT = read("CELERY_BROKER_VISIBILITY_TIMEOUT")
# max_retries: a web request queueing a task tries the broker once instead of retrying for six
# seconds; a task that could not be queued is sent later by its sweeper. Workers keep
# reconnecting by themselves (broker_connection_retry).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "max_retries": 0,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["blog-posts-go-live"] = {
    "task": "blog.tasks.posts_go_live",
    "schedule": 30,
}
CELERY_BEAT_SCHEDULE["blog-media-render-pending"] = {
    "task": "blog.tasks.media_items_render_pending",
    "schedule": 5 * 60,
}

# Comments (docs/comments.md). Without an Akismet key every comment waits for a human.
AKISMET_API_KEY = read("AKISMET_API_KEY")
AKISMET_BLOG_URL = read("AKISMET_BLOG_URL") or SITE_URL
AKISMET_TIMEOUT = read("AKISMET_TIMEOUT")
# Empty: Akismet itself. An address (http://127.0.0.1:8025) sends its calls to a stand-in instead.
AKISMET_API_URL = read("AKISMET_API_URL")
# Marks every check as a test so Akismet does not learn from it; production turns it off.
AKISMET_IS_TEST = read("AKISMET_IS_TEST")
# A failed check is retried this many times, waiting about DELAY × 2^n seconds (jittered) each time.
COMMENTS_CHECK_RETRIES = read("COMMENTS_CHECK_RETRIES")
COMMENTS_CHECK_RETRY_DELAY = read("COMMENTS_CHECK_RETRY_DELAY")
COMMENTS_MODERATION = read("COMMENTS_MODERATION")
COMMENTS_MAX_DEPTH = read("COMMENTS_MAX_DEPTH")
COMMENTS_CLOSE_AFTER_DAYS = read("COMMENTS_CLOSE_AFTER_DAYS")
COMMENTS_REQUIRE_LOGIN = read("COMMENTS_REQUIRE_LOGIN")
COMMENTS_GRAVATAR = read("COMMENTS_GRAVATAR")
COMMENTS_RATE_LIMIT = read("COMMENTS_RATE_LIMIT")
COMMENTS_RATE_LIMIT_PERIOD = read("COMMENTS_RATE_LIMIT_PERIOD")
COMMENTS_CLIENT_IP_HEADER = read("COMMENTS_CLIENT_IP_HEADER")
COMMENTS_MIN_SECONDS = read("COMMENTS_MIN_SECONDS")
COMMENTS_FORM_MAX_AGE = read("COMMENTS_FORM_MAX_AGE")
COMMENTS_MAX_LENGTH = read("COMMENTS_MAX_LENGTH")
COMMENTS_MAX_LINKS = read("COMMENTS_MAX_LINKS")
COMMENTS_MODERATION_EMAIL_INTERVAL = read("COMMENTS_MODERATION_EMAIL_INTERVAL")
COMMENT_EDIT_MINUTES = read("COMMENT_EDIT_MINUTES")
COMMENTS_PENDING_COOKIE = "chezsoi_pending"
CELERY_BEAT_SCHEDULE["comments-sweep-unchecked"] = {
    "task": "comments.tasks.sweep_unchecked_comments",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["comments-moderation-email"] = {
    "task": "comments.tasks.send_moderation_email",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["comments-purge-discarded"] = {
    "task": "comments.tasks.purge_discarded_spam",
    "schedule": 24 * 60 * 60,
}

# Newsletter (docs/newsletter.md).
NEWSLETTER_FROM_EMAIL = read("NEWSLETTER_FROM_EMAIL") or DEFAULT_FROM_EMAIL
NEWSLETTER_REPLY_TO = read("NEWSLETTER_REPLY_TO")
# "Name <list.example.org>"; empty: "<SITE_NAME> <newsletter.<SITE_URL's host>>".
NEWSLETTER_LIST_ID = read("NEWSLETTER_LIST_ID")
# Gmail's Feedback-ID ends with a sender id that stays the same across campaigns.
NEWSLETTER_FEEDBACK_ID_SENDER = read("NEWSLETTER_FEEDBACK_ID_SENDER")
# Added to List-Unsubscribe beside the https link when set (an inbox someone reads).
NEWSLETTER_UNSUBSCRIBE_MAILTO = read("NEWSLETTER_UNSUBSCRIBE_MAILTO")
# Messages per second for the whole site, shared by every worker through Redis; 0 = no limit.
NEWSLETTER_RATE_PER_SECOND = read("NEWSLETTER_RATE_PER_SECOND")
NEWSLETTER_BATCH_SIZE = read("NEWSLETTER_BATCH_SIZE")
# A batch gives its remaining rows to a new task after this long, far below the task time limit.
NEWSLETTER_BATCH_TIME_BUDGET = read("NEWSLETTER_BATCH_TIME_BUDGET")
# A running batch renews its rows this often; rows not renewed for NEWSLETTER_STUCK_TIMEOUT
# belong to a dead worker and go back to the queue. The timeout must exceed EMAIL_TIMEOUT plus
# the heartbeat, or a slow but living send could be handed to another worker.
NEWSLETTER_HEARTBEAT_INTERVAL = read("NEWSLETTER_HEARTBEAT_INTERVAL")
NEWSLETTER_STUCK_TIMEOUT = read("NEWSLETTER_STUCK_TIMEOUT")
# Retries of a batch the mail server refused for now (4xx, unreachable), backing off up to the max.
NEWSLETTER_BATCH_MAX_RETRIES = read("NEWSLETTER_BATCH_MAX_RETRIES")
NEWSLETTER_RETRY_BACKOFF_MAX = read("NEWSLETTER_RETRY_BACKOFF_MAX")
# A message refused for now this many times is marked failed.
NEWSLETTER_MAX_ATTEMPTS = read("NEWSLETTER_MAX_ATTEMPTS")
NEWSLETTER_CONFIRMATION_MAX_AGE = read("NEWSLETTER_CONFIRMATION_MAX_AGE")
# A pending address asking again gets a new confirmation email at most this often (seconds).
NEWSLETTER_CONFIRMATION_RESEND_INTERVAL = read("NEWSLETTER_CONFIRMATION_RESEND_INTERVAL")
NEWSLETTER_CONFIRMATION_REQUEUE_AFTER = read("NEWSLETTER_CONFIRMATION_REQUEUE_AFTER")
# Links to download or erase one's data, emailed on request from the preferences page, work this
# long (seconds): unlike the preferences link, they must not keep working in a forwarded email.
NEWSLETTER_DATA_LINK_MAX_AGE = read("NEWSLETTER_DATA_LINK_MAX_AGE")
# Subscribe form posts allowed per visitor address and hour.
NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR = read("NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR")
# A post marked "email to subscribers" is announced if it went live less than this long ago.
NEWSLETTER_POST_NOTIFICATION_MAX_AGE = read("NEWSLETTER_POST_NOTIFICATION_MAX_AGE")
CELERY_BEAT_SCHEDULE["newsletter-start-due-issues"] = {
    "task": "newsletter.tasks.start_due_issues",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["newsletter-sweep-deliveries"] = {
    "task": "newsletter.tasks.sweep_deliveries",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["newsletter-requeue-confirmations"] = {
    "task": "newsletter.tasks.requeue_confirmations",
    "schedule": 5 * 60,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": read("LOG_LEVEL")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
