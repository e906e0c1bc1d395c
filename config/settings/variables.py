"""Every environment variable the site reads, declared once: name, default, meaning, example.

The settings read them through `read()`, which refuses a name not declared here.
`python -m config.settings` writes `.env.example` and the table in the README's
Configuration section from this list; tests/test_variables.py fails when either is out of date.
"""

import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV_FILE = BASE_DIR / ".env"
README = BASE_DIR / "README.md"
ENV_EXAMPLE = BASE_DIR / ".env.example"
TABLE_START = "<!-- variables:start -->"
TABLE_END = "<!-- variables:end -->"

env = environ.Env()


@dataclass(frozen=True)
class Section:
    title: str
    # False for variables nobody sets by hand: left out of .env.example, still in the README.
    for_operators: bool = True


@dataclass(frozen=True)
class Derived:
    """A default the settings compute when the variable is unset or empty, described for the docs."""

    text: str


@dataclass(frozen=True)
class Variable:
    name: str
    default: Any
    help: str
    example: str
    section: Section
    # django-environ's parser: str, bool, int, float or list.
    cast: str = "str"
    # Written commented out in .env.example: an alternative to a value above, not a value to keep.
    optional_example: bool = False
    # The name is a prefix: every variable starting with it is read (example: NAME=value).
    prefix: bool = False


CORE = Section("Core")
SERVICES = Section("Services")
SECURITY = Section("Security (production)")
MAIL = Section("Mail: SMTP by URL, or an anymail backend with its ANYMAIL_* settings")
COMMENTS = Section("Comments (docs/comments.md)")
NEWSLETTER = Section("Newsletter (docs/newsletter.md)")
MEDIA = Section("Media library (docs/blog.md)")
MOVING = Section("Moving a site in: images of imported posts (docs/migration.md)")
TEST_SUITE = Section("Set by the test suite for the processes it starts", for_operators=False)

VARIABLES = [
    # --- Core
    Variable(
        "DJANGO_SETTINGS_MODULE",
        Derived("`config.settings.local`"),
        "Which settings to use: config.settings.production on a server, config.settings.local "
        "for `make run` (the test suite sets its own). manage.py, Celery, WSGI and ASGI read it "
        "from the environment, else from .env",
        "config.settings.production",
        CORE,
    ),
    Variable(
        "DJANGO_SECRET_KEY",
        "",
        "Required in production: the key that signs sessions, cookies and the links in emails; "
        'a long random string (python -c "import secrets; print(secrets.token_urlsafe(50))"). '
        "`make run` uses a fixed development key",
        "change-me-to-a-long-random-string",
        CORE,
    ),
    Variable(
        "DJANGO_ALLOWED_HOSTS",
        ["localhost", "127.0.0.1"],
        "Required in production: the host names the site answers to, comma-separated",
        "blog.example.org",
        CORE,
        cast="list",
    ),
    Variable(
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        [],
        "The site's https origins, comma-separated, trusted by the CSRF check of forms posted "
        "through the proxy",
        "https://blog.example.org",
        CORE,
        cast="list",
    ),
    Variable(
        "DJANGO_DEBUG",
        False,
        "Error pages with tracebacks and the /outbox/ page; never True on a public server "
        "(production forces False; True by default with config.settings.local)",
        "False",
        CORE,
        cast="bool",
    ),
    Variable(
        "SITE_URL",
        "http://127.0.0.1:8000",
        "The public address used in emails, feeds, sitemaps and canonical links (https in "
        "production)",
        "https://blog.example.org",
        CORE,
    ),
    Variable(
        "SITE_NAME",
        "Chez Soi",
        "The site's name: page titles, the home page heading, the admin header, feed titles, "
        "og:site_name, the sign-off of comment emails, the newsletter's List-Id and the "
        "account name shown in authenticator apps",
        "Chez Soi",
        CORE,
    ),
    Variable(
        "SITE_DESCRIPTION",
        "Un carnet, des commentaires et une lettre.",
        "One sentence about the site: the meta description of pages that have none of their "
        "own (the home page, tags without a description) and the description of the posts feed",
        "Un carnet, des commentaires et une lettre.",
        CORE,
    ),
    Variable(
        "TIME_ZONE",
        "Europe/Paris",
        "Time zone of the dates shown, of scheduled posts and of Celery's periodic tasks",
        "Europe/Paris",
        CORE,
    ),
    Variable(
        "LOG_LEVEL",
        "INFO",
        "Logging level of every process (DEBUG, INFO, WARNING…)",
        "INFO",
        CORE,
    ),
    # --- Services
    Variable(
        "DATABASE_URL",
        "",
        "Required: PostgreSQL, as a URL (`make run` and `make test` start their own when it is "
        "empty)",
        "postgres://chezsoi:password@127.0.0.1:5432/chezsoi",
        SERVICES,
    ),
    Variable(
        "DATABASE_CONN_MAX_AGE",
        60,
        "Seconds a database connection is kept open and reused across requests",
        "60",
        SERVICES,
        cast="int",
    ),
    Variable(
        "REDIS_URL",
        "",
        "Required: Redis, as a URL, for the cache, rate limits, the page cache, the workers' "
        "heartbeat and the Celery broker (`make run` and `make test` start their own when it is "
        "empty)",
        "redis://127.0.0.1:6379/0",
        SERVICES,
    ),
    Variable(
        "CACHE_KEY_PREFIX",
        "chezsoi",
        "Prefix of every cache key in Redis, so that several sites can share one Redis",
        "chezsoi",
        SERVICES,
    ),
    Variable(
        "CELERY_BROKER_VISIBILITY_TIMEOUT",
        3600,
        "Seconds before Redis hands a task that was not acknowledged to another worker (keep "
        "it above every task's time limit)",
        "3600",
        SERVICES,
        cast="int",
    ),
    Variable(
        "PAGE_CACHE_ENABLED",
        True,
        "Serve the pages anonymous readers see from the cache, dropped as soon as what they show "
        "changes (docs/performance.md); False by default with config.settings.local, so that an "
        "edited template shows at once",
        "True",
        SERVICES,
        cast="bool",
    ),
    Variable(
        "PAGE_CACHE_SECONDS",
        600,
        "Seconds a cached page is kept at most, even if nothing it shows changes",
        "600",
        SERVICES,
        cast="int",
    ),
    Variable(
        "MEDIA_ROOT",
        "",
        "Folder of the media library's images and their renditions, served at /media/ by the "
        "proxy (empty: media/ in the checkout); unused when MEDIA_S3_BUCKET is set",
        "/var/lib/chezsoi/media",
        SERVICES,
    ),
    # --- Media library
    Variable(
        "MEDIA_MAX_UPLOAD_MB",
        10,
        "Largest image file the media library accepts, in megabytes",
        "10",
        MEDIA,
        cast="int",
    ),
    Variable(
        "MEDIA_MAX_MEGAPIXELS",
        40,
        "Largest image the media library accepts, in millions of pixels (larger ones are refused "
        "before being decoded: decompression bombs)",
        "40",
        MEDIA,
        cast="int",
    ),
    Variable(
        "MEDIA_S3_BUCKET",
        "",
        "Keep the media library in this S3-compatible bucket (django-storages, `pip install "
        "-e .[s3]`) instead of MEDIA_ROOT; empty: MEDIA_ROOT",
        "chezsoi-media",
        MEDIA,
        optional_example=True,
    ),
    Variable(
        "MEDIA_S3_ENDPOINT_URL",
        "",
        "The S3 service's address, for providers other than Amazon (empty: Amazon S3)",
        "https://s3.fr-par.scw.cloud",
        MEDIA,
        optional_example=True,
    ),
    Variable("MEDIA_S3_REGION", "", "The bucket's region", "fr-par", MEDIA, optional_example=True),
    Variable(
        "MEDIA_S3_ACCESS_KEY_ID",
        "",
        "Access key of an account that may write to the bucket (empty: boto3's own lookup)",
        "AKIA...",
        MEDIA,
        optional_example=True,
    ),
    Variable(
        "MEDIA_S3_SECRET_ACCESS_KEY",
        "",
        "Its secret key",
        "change-me",
        MEDIA,
        optional_example=True,
    ),
    Variable(
        "MEDIA_S3_CUSTOM_DOMAIN",
        "",
        "Host name that serves the bucket's files publicly (a CDN or the provider's public "
        "address); empty: the bucket's own address",
        "media.blog.example.org",
        MEDIA,
        optional_example=True,
    ),
    # --- Moving a site in
    Variable(
        "MOVING_MEDIA_MAX_MB",
        20,
        "Largest image an import downloads from the old site, in megabytes (the media library "
        "then applies MEDIA_MAX_UPLOAD_MB)",
        "20",
        MOVING,
        cast="int",
    ),
    Variable(
        "MOVING_MEDIA_TIMEOUT",
        20,
        "Seconds an import waits for one image of the old site, redirects included",
        "20",
        MOVING,
        cast="int",
    ),
    Variable(
        "MOVING_MEDIA_MAX_COUNT",
        5000,
        "Most images one import downloads; the others keep their old address, listed in the "
        "import's report",
        "5000",
        MOVING,
        cast="int",
    ),
    Variable(
        "MOVING_MAX_FILE_MB",
        200,
        "Largest export file an import accepts, in megabytes (a zip also counts what it unpacks "
        "to, up to ten times this)",
        "200",
        MOVING,
        cast="int",
    ),
    # --- Security (production)
    Variable(
        "DJANGO_SECURE_SSL_REDIRECT",
        True,
        "Redirect http to https (the proxy must set X-Forwarded-Proto); production only",
        "True",
        SECURITY,
        cast="bool",
    ),
    Variable(
        "DJANGO_SECURE_HSTS_SECONDS",
        60 * 60 * 24 * 365,
        "Seconds browsers must use https only for this site (Strict-Transport-Security's "
        "max-age; 0 sends no header); production only",
        "31536000",
        SECURITY,
        cast="int",
    ),
    Variable(
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS",
        True,
        "Apply Strict-Transport-Security to every subdomain too (includeSubDomains); "
        "production only",
        "True",
        SECURITY,
        cast="bool",
    ),
    Variable(
        "DJANGO_SECURE_HSTS_PRELOAD",
        True,
        "Ask to be on the browsers' built-in https-only list (preload); production only",
        "True",
        SECURITY,
        cast="bool",
    ),
    Variable(
        "ACCOUNT_EMAIL_VERIFICATION",
        "mandatory",
        "Readers' accounts: must they confirm their email address before signing in? (none, "
        "optional, mandatory; only mandatory keeps sign-up from telling whether an address "
        "has an account, docs/security.md)",
        "mandatory",
        SECURITY,
    ),
    Variable(
        "STAFF_REQUIRE_MFA",
        False,
        "Staff must turn on an authenticator app (TOTP) before the admin opens to them "
        "(docs/security.md)",
        "False",
        SECURITY,
        cast="bool",
    ),
    Variable(
        "MAX_REQUEST_SIZE",
        Derived("MEDIA_MAX_UPLOAD_MB + 2 MB"),
        "Largest request accepted, uploads included, in bytes (keep the proxy's "
        "client_max_body_size above it, and it above MEDIA_MAX_UPLOAD_MB, so that an image too "
        "large gets the media library's message)",
        "12582912",
        SECURITY,
        cast="int",
    ),
    # --- Mail
    Variable(
        "DEFAULT_FROM_EMAIL",
        "Chez Soi <lettre@localhost>",
        "Sender of the site's emails but the newsletter's: reply notifications, moderation "
        "notices, account emails",
        "Chez Soi <lettre@blog.example.org>",
        MAIL,
    ),
    Variable(
        "SERVER_EMAIL",
        Derived("`DEFAULT_FROM_EMAIL`"),
        "Sender of error reports to the site's admins",
        "Chez Soi <serveur@blog.example.org>",
        MAIL,
    ),
    Variable(
        "EMAIL_URL",
        "",
        "The SMTP server, as a URL (smtp:// or smtp+tls://); without it and without "
        "EMAIL_BACKEND, `make run` writes mail to var/outbox",
        "smtp://user:password@smtp.example.org:587/?tls=True",
        MAIL,
    ),
    Variable(
        "EMAIL_TIMEOUT",
        20,
        "Seconds before a mail server that does not answer counts as down",
        "20",
        MAIL,
        cast="int",
    ),
    Variable(
        "EMAIL_BACKEND",
        "",
        "An email service instead of SMTP: a django-anymail backend, with its settings as "
        "ANYMAIL_<NAME> (empty: SMTP)",
        "anymail.backends.postmark.EmailBackend",
        MAIL,
        optional_example=True,
    ),
    Variable(
        "ANYMAIL_",
        Derived("none"),
        "Each ANYMAIL_<NAME> variable becomes the django-anymail setting <NAME> "
        "(ANYMAIL_POSTMARK_SERVER_TOKEN: Postmark's server token)",
        "POSTMARK_SERVER_TOKEN=...",
        MAIL,
        optional_example=True,
        prefix=True,
    ),
    # --- Comments
    Variable(
        "AKISMET_API_KEY",
        "",
        "Akismet key from https://akismet.com/ (empty: no spam filter, every comment waits for "
        "moderation)",
        "",
        COMMENTS,
    ),
    Variable(
        "AKISMET_BLOG_URL",
        Derived("`SITE_URL`"),
        "The address registered with the Akismet key",
        "https://blog.example.org",
        COMMENTS,
    ),
    Variable(
        "AKISMET_TIMEOUT",
        5.0,
        "Seconds before an Akismet call counts as failed; failed checks retry with backoff, then "
        "wait for a human",
        "5",
        COMMENTS,
        cast="float",
    ),
    Variable(
        "AKISMET_API_URL",
        "",
        "Only for tests, benchmarks and staging: send Akismet's calls to a stand-in at this "
        "address (empty: Akismet)",
        "",
        COMMENTS,
    ),
    Variable(
        "AKISMET_IS_TEST",
        True,
        "True sends checks as tests Akismet does not learn from (False by default in production)",
        "False",
        COMMENTS,
        cast="bool",
    ),
    Variable(
        "COMMENTS_CHECK_RETRIES",
        6,
        "Times an Akismet call that failed (check of a comment, report of an editor's decision) "
        "is tried again before the comment is left to a human",
        "6",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_CHECK_RETRY_DELAY",
        30.0,
        "Seconds before the first retry of a failed Akismet call; each retry waits about twice "
        "as long as the one before (jittered, at most an hour)",
        "30",
        COMMENTS,
        cast="float",
    ),
    Variable(
        "COMMENTS_MODERATION",
        "trust_returning",
        "trust_returning: Akismet's ham from an address with an approved comment is published; "
        "hold_all: everything waits",
        "trust_returning",
        COMMENTS,
    ),
    Variable(
        "COMMENT_EDIT_MINUTES",
        15,
        "Minutes during which the browser that posted a comment may edit or delete it",
        "15",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_MAX_DEPTH",
        3,
        "How deep replies nest (1 = no replies)",
        "3",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_CLOSE_AFTER_DAYS",
        0,
        "Close comments this many days after publication (0 = never)",
        "0",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_REQUIRE_LOGIN",
        False,
        "Only signed-in readers may comment",
        "False",
        COMMENTS,
        cast="bool",
    ),
    Variable(
        "COMMENTS_GRAVATAR",
        False,
        "Show Gravatar pictures (sends a hash of each commenter's email to Gravatar); initials "
        "otherwise",
        "False",
        COMMENTS,
        cast="bool",
    ),
    Variable(
        "COMMENTS_RATE_LIMIT",
        10,
        "Comments one address may post every COMMENTS_RATE_LIMIT_PERIOD seconds (0 = no limit)",
        "10",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_RATE_LIMIT_PERIOD",
        600,
        "Length in seconds of the window COMMENTS_RATE_LIMIT counts in",
        "600",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_CLIENT_IP_HEADER",
        "",
        "Behind a reverse proxy, the header carrying the reader's address (e.g. X-Real-IP), used "
        "by rate limits and Akismet; empty = the socket's",
        "X-Real-IP",
        COMMENTS,
    ),
    Variable(
        "COMMENTS_MIN_SECONDS",
        3,
        "A comment form sent sooner than this many seconds after it was shown is refused (bots)",
        "3",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_FORM_MAX_AGE",
        24 * 60 * 60,
        "A comment form sent later than this many seconds after it was shown is refused; the "
        "reader is asked to send it again",
        "86400",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_MAX_LENGTH",
        5000,
        "Longest comment accepted, in characters",
        "5000",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_MAX_LINKS",
        3,
        "Most links a comment may hold; one with more is refused",
        "3",
        COMMENTS,
        cast="int",
    ),
    Variable(
        "COMMENTS_MODERATION_EMAIL_INTERVAL",
        30,
        'Minutes between two "comments are waiting" emails to editors',
        "30",
        COMMENTS,
        cast="int",
    ),
    # --- Newsletter
    Variable(
        "NEWSLETTER_FROM_EMAIL",
        Derived("`DEFAULT_FROM_EMAIL`"),
        "Sender of the newsletter's emails: issues, confirmation requests, data links",
        "Chez Soi <lettre@blog.example.org>",
        NEWSLETTER,
    ),
    Variable(
        "NEWSLETTER_REPLY_TO",
        [],
        "Reply-To of the newsletter's emails, comma-separated; empty = replies go to the From "
        "address",
        "redaction@blog.example.org",
        NEWSLETTER,
        cast="list",
    ),
    Variable(
        "NEWSLETTER_LIST_ID",
        "",
        '"Name <list-id>"; empty = "<SITE_NAME> <newsletter.<host of SITE_URL>>"',
        "",
        NEWSLETTER,
    ),
    Variable(
        "NEWSLETTER_FEEDBACK_ID_SENDER",
        "chezsoi",
        "Last part of Gmail's Feedback-ID header, the same for every issue",
        "chezsoi",
        NEWSLETTER,
    ),
    Variable(
        "NEWSLETTER_UNSUBSCRIBE_MAILTO",
        "",
        "Extra mailto: in List-Unsubscribe (an inbox someone reads); empty = https link only",
        "",
        NEWSLETTER,
    ),
    Variable(
        "NEWSLETTER_RATE_PER_SECOND",
        10.0,
        "Messages per second for the whole site, shared by all workers through Redis "
        "(0 = no limit)",
        "10",
        NEWSLETTER,
        cast="float",
    ),
    Variable(
        "NEWSLETTER_BATCH_SIZE",
        100,
        "Deliveries per batch task (at most 100)",
        "100",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_BATCH_TIME_BUDGET",
        120,
        "Seconds a batch keeps sending before handing its remaining rows to a new task (far below "
        "the task time limit)",
        "120",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_HEARTBEAT_INTERVAL",
        10.0,
        "Seconds between two renewals of a running batch's claim on its rows",
        "10",
        NEWSLETTER,
        cast="float",
    ),
    Variable(
        "NEWSLETTER_STUCK_TIMEOUT",
        300,
        "Seconds after which rows whose claim was not renewed belong to a dead worker and are "
        "sent again (keep it above EMAIL_TIMEOUT + NEWSLETTER_HEARTBEAT_INTERVAL)",
        "300",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_BATCH_MAX_RETRIES",
        12,
        "Retries of a batch the mail server put off (4xx, unreachable) before it is left to the "
        "sweeper",
        "12",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_RETRY_BACKOFF_MAX",
        300,
        "Longest wait in seconds before a send the mail server put off (4xx, unreachable) is "
        "tried again (exponential backoff with jitter, capped here)",
        "300",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_MAX_ATTEMPTS",
        8,
        "A message put off this many times is marked failed",
        "8",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_CONFIRMATION_MAX_AGE",
        7 * 24 * 3600,
        "Seconds a confirmation link stays valid (7 days)",
        "604800",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_CONFIRMATION_RESEND_INTERVAL",
        10 * 60,
        "A pending address asking again gets a new confirmation email at most this often (seconds)",
        "600",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_CONFIRMATION_REQUEUE_AFTER",
        120,
        "Seconds after which a confirmation email asked for but not sent is queued again",
        "120",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_DATA_LINK_MAX_AGE",
        3600,
        'Seconds a "download or erase my data" link, emailed from the preferences page, stays '
        "valid",
        "3600",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR",
        10,
        "Subscribe form posts per visitor address and hour (0 = no limit)",
        "10",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "NEWSLETTER_POST_NOTIFICATION_MAX_AGE",
        2 * 24 * 3600,
        'A post marked "email to subscribers" is announced if it went live less than this many '
        "seconds ago",
        "172800",
        NEWSLETTER,
        cast="int",
    ),
    Variable(
        "ANYMAIL_WEBHOOK_SECRET",
        "",
        'Bounce and complaint webhooks at /anymail/<provider>/tracking/ check this "user:password"; '
        "without it those addresses are not served at all (404)",
        "change-me:to-a-long-random-string",
        NEWSLETTER,
    ),
    # --- Set by the test suite
    Variable(
        "TEST_RUN_ID",
        Derived("the test process's id"),
        "Names this run's cache keys and Celery queue, so that a worker started by a test joins "
        "that run",
        "",
        TEST_SUITE,
    ),
    Variable(
        "TEST_SMTP_PORT",
        "",
        "Port of the test's SMTP server, for a worker started by a test (empty: mail stays in "
        "memory)",
        "",
        TEST_SUITE,
    ),
]

DECLARED = {variable.name: variable for variable in VARIABLES}


def read(name: str, **options):
    """Return the value of the declared variable `name`, parsed by django-environ."""
    try:
        variable = DECLARED[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"{name} is not declared in config/settings/variables.py."
        ) from None
    if variable.prefix:
        return {
            key.removeprefix(name): value
            for key, value in env.ENVIRON.items()
            if key.startswith(name)
        }
    default = options.get("default", variable.default)
    if isinstance(default, Derived):
        if variable.cast != "str":
            raise ImproperlyConfigured(f"{name}'s default is computed: pass it to read().")
        # Empty, for the settings to fill in (`read("SERVER_EMAIL") or DEFAULT_FROM_EMAIL`).
        default = ""
    return getattr(env, variable.cast)(name, default=default)


def read_env_file() -> None:
    """Add the variables of .env to the environment; those already set keep their value."""
    if ENV_FILE.is_file():
        env.read_env(str(ENV_FILE))


def choose_settings(default: str) -> None:
    """Set DJANGO_SETTINGS_MODULE from the environment, else .env, else `default`."""
    read_env_file()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default)


# Generated files ---------------------------------------------------------------------------------


def shown_default(variable: Variable) -> str:
    default = variable.default
    if isinstance(default, Derived):
        return default.text
    if isinstance(default, list):
        return f"`{','.join(default)}`" if default else "empty"
    if default == "":
        return "empty"
    return f"`{default}`"


def env_example() -> str:
    """Return the text of .env.example."""
    lines = [
        "# Copy to .env on a server and adjust. `make run` needs none of these: a .env for it",
        "# leaves DJANGO_SETTINGS_MODULE out. The environment wins over .env.",
    ]
    section = None
    for variable in VARIABLES:
        if not variable.section.for_operators:
            continue
        if variable.section != section:
            section = variable.section
            lines.append(f"# --- {section.title}")
        lines += [f"# {line}" for line in textwrap.wrap(variable.help, width=98)]
        assignment = variable.name + ("" if variable.prefix else "=") + variable.example
        lines.append(f"# {assignment}" if variable.optional_example else assignment)
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    """Return the README's tables of variables, one per section, between the markers."""
    lines = [TABLE_START]
    section = None
    for variable in VARIABLES:
        if variable.section != section:
            section = variable.section
            lines += ["", f"**{section.title}**", ""]
            lines += ["| Variable | Default | Example | Meaning |", "|---|---|---|---|"]
        if variable.prefix:
            name, example = f"{variable.name}<NAME>", f"{variable.name}{variable.example}"
        else:
            name, example = variable.name, variable.example
        example = f"`{example}`" if example else ""
        meaning = variable.help.replace("|", "\\|").replace("<", "&lt;")
        lines.append(f"| `{name}` | {shown_default(variable)} | {example} | {meaning} |")
    lines += ["", TABLE_END]
    return "\n".join(lines)


def readme(current: str) -> str:
    """Return the README `current` with its table of variables replaced by a fresh one."""
    before, start, rest = current.partition(TABLE_START)
    _table, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"README.md lacks the {TABLE_START} … {TABLE_END} markers.")
    return before + readme_table() + after


def main() -> None:
    """Write .env.example and the README's table of variables from VARIABLES."""
    ENV_EXAMPLE.write_text(env_example())
    README.write_text(readme(README.read_text()))
    sys.stdout.write(f"Wrote {ENV_EXAMPLE.name} and the table in {README.name}.\n")
