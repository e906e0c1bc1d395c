"""In development, every email is written to var/outbox; this page lets staff read them.

Django's file backend writes one file per connection, each message followed by a line of dashes; a
newsletter batch puts many messages in one file. A page lists the files newest first and reads only
as many as it needs, and parses only the headers of the messages it shows, so that it opens as
fast with thousands of emails as with ten.
"""

import email
import email.policy
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import user_passes_test
from django.http import Http404
from django.shortcuts import render
from django.urls import path

MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
PAGE_SIZE = 50
# "<file name without .log>-<position of the message in its file>": no dot, no slash.
MESSAGE_ID = re.compile(r"(?P<stem>[\w-]+)-(?P<position>\d+)")


@dataclass(frozen=True)
class Summary:
    id: str
    subject: str
    to: str
    date: str


def outbox_folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def outbox_files() -> list[os.DirEntry]:
    """Return the outbox's files that hold messages, the most recently written first."""
    try:
        with os.scandir(outbox_folder()) as entries:
            files = [
                entry
                for entry in entries
                if entry.name.endswith(".log") and entry.is_file() and entry.stat().st_size
            ]
    except FileNotFoundError:
        return []
    # A DirEntry keeps its stat(): one system call per file, no file opened.
    files.sort(key=lambda entry: (entry.stat().st_mtime_ns, entry.name), reverse=True)
    return files


def messages_in(file: Path) -> list[bytes]:
    """Return the raw messages of one outbox file, in the order they were written."""
    return [chunk for chunk in file.read_bytes().split(MESSAGE_SEPARATOR) if chunk.strip()]


def headers_of(raw: bytes) -> EmailMessage:
    """Return a message's headers, leaving its body unparsed."""
    return BytesHeaderParser(policy=email.policy.default).parsebytes(raw)


def message_of(raw: bytes) -> EmailMessage:
    """Return a whole message, its parts parsed."""
    return email.message_from_bytes(raw, policy=email.policy.default)


def outbox_page(number: int) -> tuple[list[Summary], bool]:
    """Return page `number` of the outbox, newest first, and whether older messages remain."""
    skip = (number - 1) * PAGE_SIZE
    shown: list[Summary] = []
    files = outbox_files()
    for index, entry in enumerate(files):
        raw_messages = messages_in(Path(entry.path))
        if skip >= len(raw_messages):
            skip -= len(raw_messages)
            continue
        stem = entry.name.removesuffix(".log")
        newest_first = list(enumerate(raw_messages))[::-1][skip:]
        skip = 0
        for taken, (position, raw) in enumerate(newest_first, start=1):
            headers = headers_of(raw)
            shown.append(
                Summary(
                    id=f"{stem}-{position}",
                    subject=headers["Subject"] or "",
                    to=headers["To"] or "",
                    date=headers["Date"] or "",
                )
            )
            if len(shown) == PAGE_SIZE:
                return shown, taken < len(newest_first) or index < len(files) - 1
    return shown, False


def _is_owner(user) -> bool:
    return user.is_active and user.is_superuser


# Every email the site sent, other readers' included: the site owner's to read, not every editor's.
owner_required = user_passes_test(_is_owner, login_url="admin:login")


@owner_required
def outbox(request):
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404 from None
    if number < 1:
        raise Http404
    messages_sent, has_older = outbox_page(number)
    if number > 1 and not messages_sent:
        raise Http404
    context = {"messages_sent": messages_sent, "number": number, "has_older": has_older}
    return render(request, "outbox/list.html", context)


# Emails style themselves inline; the message is shown in a sandboxed frame without scripts.
@owner_required
@csp_update({"style-src": [UNSAFE_INLINE]})
def outbox_message(request, message_id):
    match = MESSAGE_ID.fullmatch(message_id)
    if match is None:
        raise Http404
    file = outbox_folder() / f"{match['stem']}.log"
    position = int(match["position"])
    try:
        raw_messages = messages_in(file)
    except FileNotFoundError:
        raise Http404 from None
    if position >= len(raw_messages):
        raise Http404
    message = message_of(raw_messages[position])
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    context = {
        "subject": message["Subject"],
        "headers": list(message.items()),
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
    }
    return render(request, "outbox/detail.html", {"message": context})


urlpatterns = [
    path("", outbox, name="outbox"),
    path("<str:message_id>/", outbox_message, name="outbox_message"),
]
