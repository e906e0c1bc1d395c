"""Settings shared by every environment; each value comes from the environment (see .env.example)."""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The site's public address, used in emails, feeds and anywhere a link leaves the request.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", default="Chez Soi")
SITE_DESCRIPTION = env("SITE_DESCRIPTION", default="Un carnet, des commentaires et une lettre.")

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
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "anymail",
    "blog",
    "comments",
    "newsletter",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, reading the language from the address only when its first segment is one.
    "config.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Request bodies are read only after every middleware has run (CSRF's check is in process_view).
    "config.middleware.RequestSizeLimitMiddleware",
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
            "builtins": ["config.templatetags"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis backs the cache (shared rate limits, page cache) and the Celery broker. Without it the
# cache lives in files and the broker in a folder, so `make run` needs nothing but Python.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="chezsoi"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Pages anonymous readers see are served from the cache and dropped as soon as what they show
# changes (blog/pagecache.py, docs/performance.md). On wherever Redis is.
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=bool(REDIS_URL))
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)

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
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_ON_GET = False
# Five wrong passwords for one address lock it for five minutes; ten per minute lock the sender's
# address. Shared through the cache, so one Redis serves every worker (docs/security.md).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# On, staff must turn on an authenticator app before the admin opens to them.
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=False)

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

# Request bodies, refused with a 413 page before they are read (config/middleware.py): form data
# over 2 MB (a very long post is 200 kB of Markdown), uploads over MAX_REQUEST_SIZE in all (a
# cover photo). Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to disk, not held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_REQUEST_SIZE = env.int("MAX_REQUEST_SIZE", default=10 * 1024 * 1024)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: EMAIL_URL (smtp://user:password@host:587/?tls=True) or any django-anymail backend named
# in EMAIL_BACKEND with its ANYMAIL_* settings.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Chez Soi <lettre@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = ""
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}

# Celery: JSON only, tasks acknowledged after they finish so a killed worker's task runs again,
# and time limits well below the broker's visibility timeout so a slow task is never redelivered
# while it still runs.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
if REDIS_URL:
    # max_retries: a web request queueing a task tries the broker once instead of retrying for
    # six seconds; a task that could not be queued is sent later by its sweeper. Workers keep
    # reconnecting by themselves (broker_connection_retry).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        "max_retries": 0,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "control_folder": str(VAR_DIR / "broker-control"),
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

# Comments (docs/comments.md). Without an Akismet key every comment waits for a human.
AKISMET_API_KEY = env("AKISMET_API_KEY", default="")
AKISMET_BLOG_URL = env("AKISMET_BLOG_URL", default=SITE_URL)
AKISMET_TIMEOUT = env.float("AKISMET_TIMEOUT", default=5.0)
# Empty: Akismet itself. An address (http://127.0.0.1:8025) sends its calls to a stand-in instead.
AKISMET_API_URL = env("AKISMET_API_URL", default="")
# Marks every check as a test so Akismet does not learn from it; production turns it off.
AKISMET_IS_TEST = env.bool("AKISMET_IS_TEST", default=True)
# A failed check is retried this many times, waiting about DELAY × 2^n seconds (jittered) each time.
COMMENTS_CHECK_RETRIES = env.int("COMMENTS_CHECK_RETRIES", default=6)
COMMENTS_CHECK_RETRY_DELAY = env.float("COMMENTS_CHECK_RETRY_DELAY", default=30)
COMMENTS_MODERATION = env("COMMENTS_MODERATION", default="trust_returning")
COMMENTS_MAX_DEPTH = env.int("COMMENTS_MAX_DEPTH", default=3)
COMMENTS_CLOSE_AFTER_DAYS = env.int("COMMENTS_CLOSE_AFTER_DAYS", default=0)
COMMENTS_REQUIRE_LOGIN = env.bool("COMMENTS_REQUIRE_LOGIN", default=False)
COMMENTS_GRAVATAR = env.bool("COMMENTS_GRAVATAR", default=False)
COMMENTS_RATE_LIMIT = env.int("COMMENTS_RATE_LIMIT", default=10)
COMMENTS_RATE_LIMIT_PERIOD = env.int("COMMENTS_RATE_LIMIT_PERIOD", default=600)
COMMENTS_CLIENT_IP_HEADER = env("COMMENTS_CLIENT_IP_HEADER", default="")
COMMENTS_MIN_SECONDS = env.int("COMMENTS_MIN_SECONDS", default=3)
COMMENTS_FORM_MAX_AGE = env.int("COMMENTS_FORM_MAX_AGE", default=24 * 60 * 60)
COMMENTS_MAX_LENGTH = env.int("COMMENTS_MAX_LENGTH", default=5000)
COMMENTS_MAX_LINKS = env.int("COMMENTS_MAX_LINKS", default=3)
COMMENTS_MODERATION_EMAIL_INTERVAL = env.int("COMMENTS_MODERATION_EMAIL_INTERVAL", default=30)
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
NEWSLETTER_FROM_EMAIL = env("NEWSLETTER_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
NEWSLETTER_REPLY_TO = env.list("NEWSLETTER_REPLY_TO", default=[])
# "Name <list.example.org>"; empty: "<SITE_NAME> <newsletter.<SITE_URL's host>>".
NEWSLETTER_LIST_ID = env("NEWSLETTER_LIST_ID", default="")
# Gmail's Feedback-ID ends with a sender id that stays the same across campaigns.
NEWSLETTER_FEEDBACK_ID_SENDER = env("NEWSLETTER_FEEDBACK_ID_SENDER", default="chezsoi")
# Added to List-Unsubscribe beside the https link when set (an inbox someone reads).
NEWSLETTER_UNSUBSCRIBE_MAILTO = env("NEWSLETTER_UNSUBSCRIBE_MAILTO", default="")
# Messages per second for the whole site, shared by every worker through Redis; 0 = no limit.
NEWSLETTER_RATE_PER_SECOND = env.float("NEWSLETTER_RATE_PER_SECOND", default=10)
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=100)
# A batch gives its remaining rows to a new task after this long, far below the task time limit.
NEWSLETTER_BATCH_TIME_BUDGET = env.int("NEWSLETTER_BATCH_TIME_BUDGET", default=120)
# A running batch renews its rows this often; rows not renewed for NEWSLETTER_STUCK_TIMEOUT
# belong to a dead worker and go back to the queue. The timeout must exceed EMAIL_TIMEOUT plus
# the heartbeat, or a slow but living send could be handed to another worker.
NEWSLETTER_HEARTBEAT_INTERVAL = env.float("NEWSLETTER_HEARTBEAT_INTERVAL", default=10)
NEWSLETTER_STUCK_TIMEOUT = env.int("NEWSLETTER_STUCK_TIMEOUT", default=300)
# Retries of a batch the mail server refused for now (4xx, unreachable), backing off up to the max.
NEWSLETTER_BATCH_MAX_RETRIES = env.int("NEWSLETTER_BATCH_MAX_RETRIES", default=12)
NEWSLETTER_RETRY_BACKOFF_MAX = env.int("NEWSLETTER_RETRY_BACKOFF_MAX", default=300)
# A message refused for now this many times is marked failed.
NEWSLETTER_MAX_ATTEMPTS = env.int("NEWSLETTER_MAX_ATTEMPTS", default=8)
NEWSLETTER_CONFIRMATION_MAX_AGE = env.int("NEWSLETTER_CONFIRMATION_MAX_AGE", default=7 * 24 * 3600)
# A pending address asking again gets a new confirmation email at most this often (seconds).
NEWSLETTER_CONFIRMATION_RESEND_INTERVAL = env.int(
    "NEWSLETTER_CONFIRMATION_RESEND_INTERVAL", default=10 * 60
)
NEWSLETTER_CONFIRMATION_REQUEUE_AFTER = env.int(
    "NEWSLETTER_CONFIRMATION_REQUEUE_AFTER", default=120
)
# Links to download or erase one's data, emailed on request from the preferences page, work this
# long (seconds): unlike the preferences link, they must not keep working in a forwarded email.
NEWSLETTER_DATA_LINK_MAX_AGE = env.int("NEWSLETTER_DATA_LINK_MAX_AGE", default=3600)
# Subscribe form posts allowed per visitor address and hour.
NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR = env.int("NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR", default=10)
# A post marked "email to subscribers" is announced if it went live less than this long ago.
NEWSLETTER_POST_NOTIFICATION_MAX_AGE = env.int(
    "NEWSLETTER_POST_NOTIFICATION_MAX_AGE", default=2 * 24 * 3600
)
CELERY_BEAT_SCHEDULE["newsletter-start-due-issues"] = {
    "task": "newsletter.tasks.start_due_issues",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["newsletter-sweep-deliveries"] = {
    "task": "newsletter.tasks.sweep_deliveries",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["newsletter-post-notifications"] = {
    "task": "newsletter.tasks.send_post_notifications",
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
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
