"""The one door to the mail server for every email the site sends.

Reply notifications, moderation notices, newsletter confirmations, data links, test copies and
issues all leave through here: one connection per batch, one site-wide sending rate, one reading
of what an error means (transient or permanent) and one retry policy. SMTP (Django's backend) and
every django-anymail provider are reached through Django's `get_connection()` with the configured
EMAIL_BACKEND; nothing else in the project opens one. An issue's deliveries come already written
out (newsletter.emails.PreparedCopy): over Django's SMTP backend those bytes go to the server as
they are (`Mailer.send_prepared`).
"""

import logging
import random
import re
import smtplib
import time
from collections.abc import Callable

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

from core import ratelimit

logger = logging.getLogger(__name__)

# RFC 3463 enhanced status 5.1.x: the address itself is bad (no such user, no such domain).
BAD_ADDRESS = re.compile(r"\b5\.1\.\d{1,3}\b")
# A provider's API answers these (besides 5xx) when it is busy or throttling: try again later.
TRANSIENT_HTTP_STATUSES = {408, 425, 429}
# The provider refuses our account (bad key, unknown sending domain), not the message: nothing can
# go out until an operator fixes the settings, and then everything must.
ACCOUNT_HTTP_STATUSES = {401, 403, 404}
# A message put off (TransientError) is tried again at most this many times by its task.
MAX_RETRIES = 12


class SendError(Exception):
    """Sending one message did not succeed; `reason` says why in the server's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientError(SendError):
    """Worth trying again later (timeouts, SMTP 4xx, provider throttling)."""


class ConnectionLost(TransientError):
    """The connection itself failed: nothing else can go out through it."""


class PermanentError(SendError):
    """The server refused this message for good (SMTP 5xx); `bad_address` when the mailbox is bad."""

    def __init__(self, reason: str, *, bad_address: bool = False):
        super().__init__(reason)
        self.bad_address = bad_address


class Mailer:
    """One connection to the mail server, reused for every message of a batch."""

    def __init__(self):
        self.connection = None
        self.senders: dict[str, str] = {}  # From as written, as the SMTP envelope wants it

    def __enter__(self):
        self.connection = get_connection(fail_silently=False)
        try:
            self.connection.open()
        except Exception as error:
            _log_if_unexpected(error, "Opening the mail connection failed")
            raise classify(error, connection_level=True) from error
        return self

    def __exit__(self, *exc_info):
        try:
            self.connection.close()
        except Exception:  # a connection that is already gone needs no closing
            logger.debug("Closing the mail connection failed", exc_info=True)

    def send(self, message: EmailMessage, *, paced: bool = True) -> str:
        """Send one message within the site-wide rate; return the id the server accepted it under.

        `paced=False` when the caller has already waited for its slot (wait_for_sending_slot).
        """
        return self._send(message, lambda: self.connection.send_messages([message]), paced=paced)

    def send_prepared(self, message: EmailMessage, raw: bytes | None, *, paced: bool = True) -> str:
        """Send `raw`, `message` already written out, straight into the SMTP session; as `send` does.

        Only Django's own SMTP backend takes bytes. With any other backend (anymail's providers,
        the test outbox, a subclass that signs or rewrites messages), or without bytes, `message`
        is sent as `send` sends it.
        """
        if raw is None or type(self.connection) is not SMTPBackend:
            return self.send(message, paced=paced)
        return self._send(message, lambda: self._sendmail(message, raw), paced=paced)

    def _send(self, message: EmailMessage, transmit: Callable[[], int], *, paced: bool) -> str:
        if paced:
            wait_for_sending_slot()
        message.connection = self.connection
        try:
            sent = transmit()
        except Exception as error:
            _log_if_unexpected(error, "Sending a message failed")
            raise classify(error) from error
        if not sent:
            if not message.recipients():
                raise PermanentError("The message has no recipient.")
            raise ConnectionLost("The mail backend sent nothing.")
        status = getattr(message, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) if status else None
        if isinstance(provider_id, str) and provider_id:
            return provider_id
        return message.extra_headers.get("Message-ID", "")

    def _sendmail(self, message: EmailMessage, raw: bytes) -> int:
        """Do what Django's SMTP backend does with `message`, except writing it out again."""
        recipients = message.recipients()
        smtp = self.connection.connection
        if not recipients or smtp is None:
            return 0
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = self.senders.get(message.from_email)
        if sender is None:
            sender = self.senders[message.from_email] = sanitize_address(
                message.from_email, encoding
            )
        smtp.sendmail(sender, [sanitize_address(to, encoding) for to in recipients], raw)
        return 1


def send_one(message: EmailMessage) -> str:
    """Send a single message on its own connection (confirmations, data links, test copies)."""
    with Mailer() as mailer:
        return mailer.send(message)


def wait_for_sending_slot(
    *,
    on_wait: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Block until the site-wide rate (NEWSLETTER_RATE_PER_SECOND, shared in the cache) allows a message.

    Every worker counts its messages under the same cache key per time window, so the rate holds
    across processes and machines; 0 means no limit.
    """
    per_second = settings.NEWSLETTER_RATE_PER_SECOND
    if per_second <= 0:
        return
    window = max(1.0, 1.0 / per_second)
    allowed = max(1, int(per_second * window))
    while True:
        count, window_left = ratelimit.count("mail:sending", period=window, now=clock())
        if count <= allowed:
            return
        if on_wait:
            on_wait()
        # A little jitter, so that the workers waiting for the next window do not all wake at once.
        sleep(window_left + random.uniform(0, 0.01))


def retry_delay(attempt: int) -> float:
    """Return how long to wait before try number `attempt` + 1: exponential, capped, full jitter."""
    ceiling = min(settings.NEWSLETTER_RETRY_BACKOFF_MAX, 2 ** max(attempt, 0))
    return random.uniform(0, ceiling)


def retry_later(task, error: TransientError):
    """Raise the Celery retry of `task` after a transient failure; `error` itself once tries run out."""
    tries = task.request.retries
    if tries >= MAX_RETRIES:
        raise error
    raise task.retry(exc=error, countdown=retry_delay(tries), max_retries=MAX_RETRIES) from error


def classify(error: Exception, *, connection_level: bool = False) -> SendError:
    """Turn whatever the backend raised into a transient or permanent error.

    Only what time can cure is transient: the network (refused, reset, timed out), SMTP 4xx and
    a provider's throttling or outage. Anything else — a bad header, an address the server
    cannot take, a bug while building the message — fails that one message, not the batch.
    """
    reason = _reason(error)
    code = _smtp_code(error)
    if code is not None:
        if 500 <= code < 600:
            return PermanentError(reason, bad_address=bool(BAD_ADDRESS.search(reason)))
        if connection_level or isinstance(error, smtplib.SMTPConnectError):
            return ConnectionLost(reason)
        return TransientError(reason)
    if isinstance(error, smtplib.SMTPNotSupportedError) and not connection_level:
        # The server lacks an extension this message needs (SMTPUTF8 for an accented address).
        return PermanentError(reason)
    if isinstance(error, OSError):  # sockets, TLS, a server that hung up (SMTPServerDisconnected)
        return ConnectionLost(reason)
    if isinstance(error, AnymailRecipientsRefused):
        return PermanentError(reason, bad_address=True)
    if isinstance(error, AnymailAPIError):
        status_code = error.status_code
        if status_code is None:  # the provider's API could not be reached at all
            return ConnectionLost(reason)
        if status_code in TRANSIENT_HTTP_STATUSES or status_code >= 500:
            return TransientError(reason)
        if connection_level or status_code in ACCOUNT_HTTP_STATUSES:
            return ConnectionLost(reason)
        return PermanentError(reason)
    if connection_level:
        # No message is involved yet: a misconfigured backend stops the batch, it fails no row.
        return ConnectionLost(reason)
    return PermanentError(reason)


def _log_if_unexpected(error: Exception, what: str) -> None:
    # Mail servers and providers fail in known ways; anything else is a bug or a misconfiguration
    # an operator must see with its traceback.
    if not isinstance(error, OSError | AnymailError):
        logger.error("%s: %s", what, error, exc_info=error)


def _smtp_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return max(codes) if codes else None
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    return None


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for code, message in error.recipients.values()
        ]
        return "; ".join(parts)[:1000]
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        return f"{error.smtp_code} {message}"[:1000]
    return f"{type(error).__name__}: {error}"[:1000]
