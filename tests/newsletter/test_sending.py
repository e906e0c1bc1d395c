import smtplib
import threading
import time
from collections import Counter
from types import SimpleNamespace

import pytest
from anymail.exceptions import (
    AnymailAPIError,
    AnymailRecipientsRefused,
    AnymailSerializationError,
)
from django.core.mail import BadHeaderError, EmailMessage

from newsletter import sending


def provider_error(status_code):
    """Return the error django-anymail raises when the provider's API answers `status_code`."""
    response = SimpleNamespace(reason="Provider says no", text="{}")
    return AnymailAPIError("API error", status_code=status_code, response=response)


def message(to="lectrice@example.org"):
    return EmailMessage(
        "Objet", "Corps", "lettre@example.org", [to], headers={"Message-ID": "<un@testserver>"}
    )


class TestWhatAnErrorMeans:
    @pytest.mark.parametrize(
        ("error", "kind", "bad_address"),
        [
            (
                smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"5.1.1 No such user")}),
                sending.PermanentError,
                True,
            ),
            (
                smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"),
                sending.PermanentError,
                False,
            ),
            (
                smtplib.SMTPDataError(451, b"4.7.1 Greylisted, try later"),
                sending.TransientError,
                None,
            ),
            (smtplib.SMTPServerDisconnected("gone"), sending.ConnectionLost, None),
            (ConnectionRefusedError(111, "refused"), sending.ConnectionLost, None),
            (TimeoutError("timed out"), sending.ConnectionLost, None),
            (
                smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"),
                sending.PermanentError,
                False,
            ),
            (AnymailRecipientsRefused("all refused"), sending.PermanentError, True),
            (provider_error(503), sending.TransientError, None),
            (provider_error(429), sending.TransientError, None),
            (provider_error(400), sending.PermanentError, False),
            (provider_error(401), sending.ConnectionLost, None),
            (AnymailAPIError("provider unreachable"), sending.ConnectionLost, None),
            # The message itself is at fault: it fails alone, the batch goes on.
            (BadHeaderError("Header values can't contain newlines"), sending.PermanentError, False),
            (UnicodeEncodeError("ascii", "é", 0, 1, "no"), sending.PermanentError, False),
            (AnymailSerializationError("cannot serialize"), sending.PermanentError, False),
            (KeyError("a bug in a backend"), sending.PermanentError, False),
        ],
    )
    def test_classification(self, error, kind, bad_address):
        classified = sending._classify(error)
        assert type(classified) is kind
        if bad_address is not None:
            assert classified.bad_address is bad_address

    def test_an_unexpected_error_keeps_its_name_as_the_reason(self):
        classified = sending._classify(BadHeaderError("Header values can't contain newlines"))
        assert classified.reason == "BadHeaderError: Header values can't contain newlines"

    @pytest.mark.parametrize(
        "error",
        [KeyError("a bug in a backend"), smtplib.SMTPNotSupportedError("no STARTTLS")],
    )
    def test_no_message_is_at_fault_when_the_connection_cannot_open(self, error):
        assert type(sending._classify(error, connection_level=True)) is sending.ConnectionLost

    def test_retry_delays_grow_and_are_capped(self, settings):
        settings.NEWSLETTER_RETRY_BACKOFF_MAX = 60
        delays = [sending.retry_delay(attempt) for attempt in range(10)]
        assert all(0.5 <= delay <= 60 for delay in delays)
        assert delays[6] > delays[0]


class TestMailerOverSmtp:
    def test_a_message_goes_out_and_its_id_comes_back(self, smtp_server):
        with sending.Mailer() as mailer:
            accepted = [mailer.send(message(f"n{n}@example.org")) for n in range(3)]
        assert accepted == ["<un@testserver>"] * 3
        assert len(smtp_server.wait_for(3)) == 3

    def test_a_bad_mailbox_is_permanent(self, smtp_server):
        smtp_server.handler.reject_with = "550 5.1.1 No such user here"
        with sending.Mailer() as mailer, pytest.raises(sending.PermanentError) as refused:
            mailer.send(message())
        assert refused.value.bad_address
        assert "5.1.1" in refused.value.reason

    def test_a_4xx_answer_is_transient(self, smtp_server):
        smtp_server.handler.reject_with = "451 4.3.0 Try again later"
        with sending.Mailer() as mailer, pytest.raises(sending.TransientError) as deferred:
            mailer.send(message())
        assert not isinstance(deferred.value, sending.ConnectionLost)

    def test_a_message_with_a_broken_header_fails_alone(self, smtp_server):
        broken = message()
        broken.extra_headers["Subject"] = "Objet\nBcc: tout-le-monde@example.org"
        with sending.Mailer() as mailer:
            with pytest.raises(sending.PermanentError) as refused:
                mailer.send(broken)
            assert "BadHeaderError" in refused.value.reason
            assert mailer.send(message()) == "<un@testserver>"
        assert len(smtp_server.wait_for(1)) == 1

    def test_a_server_refusing_connections_is_a_lost_connection(self, smtp_server):
        smtp_server.stop()
        with pytest.raises(sending.ConnectionLost), sending.Mailer():
            pass


class TestSiteWideRate:
    def test_workers_share_the_messages_per_second(self, settings):
        settings.NEWSLETTER_RATE_PER_SECOND = 10
        stamps = []
        lock = threading.Lock()

        def worker():
            for _ in range(9):
                sending.wait_for_sending_slot()
                with lock:
                    stamps.append(time.time())

        started = time.time()
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(stamps) == 27
        per_second = Counter(int(stamp) for stamp in stamps)
        assert max(per_second.values()) <= 10
        assert time.time() - started >= 1.0

    def test_zero_means_no_limit(self, settings):
        settings.NEWSLETTER_RATE_PER_SECOND = 0
        started = time.monotonic()
        for _ in range(100):
            sending.wait_for_sending_slot()
        assert time.monotonic() - started < 0.5
