"""The development outbox: newest first, 50 a page, each page reading only its own messages."""

import os
import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.urls import include, path

from config import heartbeat, outbox
from config.urls import urlpatterns as site_urlpatterns
from tests.blog.factories import EditorFactory, SuperuserFactory

# The outbox exists only with DEBUG on, which the test settings keep off.
urlpatterns = [path("outbox/", include("config.outbox")), *site_urlpatterns]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# What Django's file backend writes after each message.
SEPARATOR = "\n" + "-" * 79 + "\n"
START = time.time() - 3 * 24 * 3600


def write_outbox_file(folder, number: int, subjects: list[str]) -> None:
    """Write one file as Django's file backend does, its messages in the order sent."""
    text = "".join(
        EmailMessage(subject, "Bonjour.", "lettre@example.org", ["lea@example.org"])
        .message()
        .as_bytes()
        .decode()
        + SEPARATOR
        for subject in subjects
    )
    file = folder / f"20261201-120000-{number}.log"
    file.write_text(text)
    # One file a minute: the newest file is the one written last.
    os.utime(file, (START + number * 60, START + number * 60))


@pytest.fixture
def outbox_dir(tmp_path, settings):
    settings.EMAIL_FILE_PATH = tmp_path
    return tmp_path


@pytest.fixture
def two_thousand_emails(outbox_dir):
    for number in range(2000):
        write_outbox_file(outbox_dir, number, [f"Message {number}"])


@pytest.fixture
def staff_client(client):
    client.force_login(SuperuserFactory())
    return client


def subjects_on(page: str) -> list[str]:
    return [
        line.split('/">')[1].split("</a>")[0] for line in page.splitlines() if '/">Message' in line
    ]


@pytest.fixture
def reads():
    """Count the files read and the messages parsed, headers only or whole."""
    with (
        mock.patch.object(outbox, "messages_in", wraps=outbox.messages_in) as files,
        mock.patch.object(outbox, "headers_of", wraps=outbox.headers_of) as headers,
        mock.patch.object(outbox, "message_of", wraps=outbox.message_of) as whole,
    ):
        yield {"files": files, "headers": headers, "whole": whole}


def test_the_first_page_reads_only_its_own_50_of_2000_emails(
    staff_client, two_thousand_emails, reads
):
    response = staff_client.get("/outbox/")

    assert response.status_code == 200
    page = response.content.decode()
    assert subjects_on(page) == [f"Message {number}" for number in range(1999, 1949, -1)]
    assert reads["files"].call_count == 50
    assert reads["headers"].call_count == 50
    assert reads["whole"].call_count == 0
    assert 'href="?page=2"' in page and "E-mails plus anciens" in page
    assert "E-mails plus récents" not in page


def test_the_second_page_parses_only_its_own_emails(staff_client, two_thousand_emails, reads):
    page = staff_client.get("/outbox/?page=2").content.decode()

    assert subjects_on(page) == [f"Message {number}" for number in range(1949, 1899, -1)]
    # Files before the page are read to count their messages, never parsed.
    assert reads["headers"].call_count == 50
    assert reads["files"].call_count == 100
    assert 'href="?page=1"' in page and 'href="?page=3"' in page


def test_a_file_of_many_messages_is_shown_newest_first_across_pages(staff_client, outbox_dir):
    # A newsletter batch: one connection, one file, 60 messages; then a lone email.
    write_outbox_file(outbox_dir, 1, [f"Message batch {index}" for index in range(60)])
    write_outbox_file(outbox_dir, 2, ["Message alone"])

    first = staff_client.get("/outbox/").content.decode()
    second = staff_client.get("/outbox/?page=2").content.decode()

    assert subjects_on(first) == [
        "Message alone",
        *(f"Message batch {index}" for index in range(59, 10, -1)),
    ]
    assert subjects_on(second) == [f"Message batch {index}" for index in range(10, -1, -1)]
    assert 'href="?page=3"' not in second
    assert staff_client.get("/outbox/?page=3").status_code == 404


def test_a_message_opens_parsing_only_itself(staff_client, outbox_dir, reads):
    write_outbox_file(outbox_dir, 1, ["Message first", "Message second"])
    write_outbox_file(outbox_dir, 2, ["Message other"])

    response = staff_client.get("/outbox/20261201-120000-1-1/")

    assert response.status_code == 200
    assert "<h1>Message second</h1>" in response.content.decode()
    assert reads["files"].call_count == 1 and reads["whole"].call_count == 1


@pytest.mark.parametrize("message_id", ["20261201-120000-1-5", "20261201-120000-9-0", "..-0", "x"])
def test_a_message_that_is_not_there_is_not_found(staff_client, outbox_dir, message_id):
    write_outbox_file(outbox_dir, 1, ["Message first"])

    assert staff_client.get(f"/outbox/{message_id}/").status_code == 404


def test_the_outbox_says_when_no_worker_answers(staff_client, outbox_dir):
    warning = "aucun processus de tâches ne répond"
    cache.delete(heartbeat.CACHE_KEY)
    silent = staff_client.get("/outbox/").content.decode()

    heartbeat.beat()
    beating = staff_client.get("/outbox/").content.decode()
    cache.delete(heartbeat.CACHE_KEY)

    assert warning in silent
    assert warning not in beating


def test_readers_cannot_open_the_outbox(client, outbox_dir):
    assert client.get("/outbox/").status_code == 302


def test_editors_cannot_read_other_peoples_emails_in_the_outbox(client, outbox_dir):
    client.force_login(EditorFactory())
    assert client.get("/outbox/").status_code == 302
