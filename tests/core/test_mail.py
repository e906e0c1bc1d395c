import smtplib
import socket
from types import SimpleNamespace

import pytest
from anymail.exceptions import (
    AnymailAPIError,
    AnymailRecipientsRefused,
    AnymailSerializationError,
)
from django.core.mail import BadHeaderError, EmailMessage

from core import mail


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
                mail.PermanentError,
                True,
            ),
            (
                smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"),
                mail.PermanentError,
                False,
            ),
            (
                smtplib.SMTPDataError(451, b"4.7.1 Greylisted, try later"),
                mail.TransientError,
                None,
            ),
            (smtplib.SMTPServerDisconnected("gone"), mail.ConnectionLost, None),
            (ConnectionRefusedError(111, "refused"), mail.ConnectionLost, None),
            (TimeoutError("timed out"), mail.ConnectionLost, None),
            (socket.gaierror(-2, "Name or service not known"), mail.ConnectionLost, None),
            (
                smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"4.2.0 Greylisted")}),
                mail.TransientError,
                None,
            ),
            (
                smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"),
                mail.PermanentError,
                False,
            ),
            (AnymailRecipientsRefused("all refused"), mail.PermanentError, True),
            (provider_error(503), mail.TransientError, None),
            (provider_error(429), mail.TransientError, None),
            (provider_error(408), mail.TransientError, None),
            (provider_error(425), mail.TransientError, None),
            (provider_error(400), mail.PermanentError, False),
            (provider_error(401), mail.ConnectionLost, None),
            (AnymailAPIError("provider unreachable"), mail.ConnectionLost, None),
            # The message itself is at fault: it fails alone, the batch goes on.
            (BadHeaderError("Header values can't contain newlines"), mail.PermanentError, False),
            (UnicodeEncodeError("ascii", "é", 0, 1, "no"), mail.PermanentError, False),
            (AnymailSerializationError("cannot serialize"), mail.PermanentError, False),
            (KeyError("a bug in a backend"), mail.PermanentError, False),
        ],
    )
    def test_classification(self, error, kind, bad_address):
        classified = mail.classify(error)
        assert type(classified) is kind
        if bad_address is not None:
            assert classified.bad_address is bad_address

    def test_an_unexpected_error_keeps_its_name_as_the_reason(self):
        classified = mail.classify(BadHeaderError("Header values can't contain newlines"))
        assert classified.reason == "BadHeaderError: Header values can't contain newlines"

    @pytest.mark.parametrize(
        "error",
        [KeyError("a bug in a backend"), smtplib.SMTPNotSupportedError("no STARTTLS")],
    )
    def test_no_message_is_at_fault_when_the_connection_cannot_open(self, error):
        assert type(mail.classify(error, connection_level=True)) is mail.ConnectionLost

    def test_retry_delays_are_fully_jittered_below_a_growing_capped_ceiling(
        self, settings, monkeypatch
    ):
        settings.NEWSLETTER_RETRY_BACKOFF_MAX = 60
        monkeypatch.setattr(mail.random, "uniform", lambda low, high: (low, high))
        assert [mail.retry_delay(attempt) for attempt in range(8)] == [
            (0, 1),
            (0, 2),
            (0, 4),
            (0, 8),
            (0, 16),
            (0, 32),
            (0, 60),
            (0, 60),
        ]


class TestMailerOverSmtp:
    def test_a_message_goes_out_and_its_id_comes_back(self, smtp_server):
        with mail.Mailer() as mailer:
            accepted = [mailer.send(message(f"n{n}@example.org")) for n in range(3)]
        assert accepted == ["<un@testserver>"] * 3
        assert len(smtp_server.wait_for(3)) == 3

    def test_a_bad_mailbox_is_permanent(self, smtp_server):
        smtp_server.handler.reject_with = "550 5.1.1 No such user here"
        with mail.Mailer() as mailer, pytest.raises(mail.PermanentError) as refused:
            mailer.send(message())
        assert refused.value.bad_address
        assert "5.1.1" in refused.value.reason

    def test_a_4xx_answer_is_transient(self, smtp_server):
        smtp_server.handler.reject_with = "451 4.3.0 Try again later"
        with mail.Mailer() as mailer, pytest.raises(mail.TransientError) as deferred:
            mailer.send(message())
        assert not isinstance(deferred.value, mail.ConnectionLost)

    def test_a_message_with_a_broken_header_fails_alone(self, smtp_server):
        broken = message()
        broken.extra_headers["Subject"] = "Objet\nBcc: tout-le-monde@example.org"
        with mail.Mailer() as mailer:
            with pytest.raises(mail.PermanentError) as refused:
                mailer.send(broken)
            assert "BadHeaderError" in refused.value.reason
            assert mailer.send(message()) == "<un@testserver>"
        assert len(smtp_server.wait_for(1)) == 1

    def test_prepared_bytes_go_out_as_they_are(self, smtp_server):
        prepared = message("zoe@example.org")
        written = prepared.message().as_bytes(linesep="\r\n")
        raw = written.replace(b"Corps", b"Pr\xc3\xa9par\xc3\xa9") + b"\r\n"
        with mail.Mailer() as mailer:
            assert mailer.send_prepared(prepared, raw) == "<un@testserver>"
        [envelope] = smtp_server.handler.envelopes
        assert envelope.content == raw
        assert (envelope.mail_from, envelope.rcpt_tos) == (
            "lettre@example.org",
            ["zoe@example.org"],
        )

    def test_a_prepared_message_refused_is_read_as_any_other(self, smtp_server):
        smtp_server.handler.reject_with = "550 5.1.1 No such user here"
        prepared = message()
        with mail.Mailer() as mailer, pytest.raises(mail.PermanentError) as refused:
            mailer.send_prepared(prepared, prepared.message().as_bytes(linesep="\r\n"))
        assert refused.value.bad_address

    def test_a_server_refusing_connections_is_a_lost_connection(self, smtp_server):
        smtp_server.stop()
        with pytest.raises(mail.ConnectionLost), mail.Mailer():
            pass


def test_other_backends_are_given_the_message_not_the_bytes(mailoutbox):
    with mail.Mailer() as mailer:
        mailer.send_prepared(message(), b"Subject: never sent\r\n\r\nThese bytes.")
    [sent] = mailoutbox
    assert (sent.subject, sent.body) == ("Objet", "Corps")


class FakeClock:
    """Time that passes only when someone sleeps."""

    def __init__(self, now: float):
        self.now = now
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


class TestSiteWideRate:
    def test_workers_share_the_messages_per_second(self, settings):
        settings.NEWSLETTER_RATE_PER_SECOND = 10
        clock = FakeClock(now=2_000_000_000.25)
        sent_at = []

        # Three workers take turns, each through its own calls: they count in the same key.
        for _ in range(9):
            for _worker in range(3):
                mail.wait_for_sending_slot(clock=clock, sleep=clock.sleep)
                sent_at.append(clock.now)

        assert len(sent_at) == 27
        per_second = [
            sum(1 for moment in sent_at if int(moment) == second)
            for second in range(2_000_000_000, 2_000_000_003)
        ]
        assert per_second == [10, 10, 7]
        # The eleventh message waited for the next second, no longer (bar a little jitter).
        assert 0.75 <= clock.naps[0] <= 0.76

    def test_a_waiting_batch_keeps_its_rows_alive(self, settings):
        settings.NEWSLETTER_RATE_PER_SECOND = 1
        clock = FakeClock(now=2_000_000_100.5)
        renewals = []

        for _ in range(3):
            mail.wait_for_sending_slot(
                on_wait=lambda: renewals.append(clock.now), clock=clock, sleep=clock.sleep
            )

        assert len(renewals) == 2

    def test_zero_means_no_limit(self, settings):
        settings.NEWSLETTER_RATE_PER_SECOND = 0
        clock = FakeClock(now=2_000_000_200.0)
        for _ in range(100):
            mail.wait_for_sending_slot(clock=clock, sleep=clock.sleep)
        assert clock.naps == []
