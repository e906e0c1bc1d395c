"""In development, every email is written to var/outbox; this page lets staff read them."""

import email
import email.policy
from pathlib import Path

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path

MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def read_outbox() -> list[dict]:
    """Return every message in the outbox, newest first."""
    folder = Path(settings.EMAIL_FILE_PATH)
    messages = []
    for file in sorted(folder.glob("*.log"), key=lambda f: f.stat().st_mtime, reverse=True):
        chunks = [chunk for chunk in file.read_bytes().split(MESSAGE_SEPARATOR) if chunk.strip()]
        for index, chunk in enumerate(reversed(chunks)):
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            text = message.get_body(preferencelist=("plain",))
            html = message.get_body(preferencelist=("html",))
            messages.append(
                {
                    "id": f"{file.stem}-{index}",
                    "subject": message["Subject"],
                    "to": message["To"],
                    "from": message["From"],
                    "date": message["Date"],
                    "headers": list(message.items()),
                    "text": text.get_content() if text else "",
                    "html": html.get_content() if html else "",
                }
            )
    return messages


@staff_member_required
def outbox(request):
    return render(request, "outbox/list.html", {"messages_sent": read_outbox()})


# Emails style themselves inline; the message is shown in a sandboxed frame without scripts.
@staff_member_required
@csp_update({"style-src": [UNSAFE_INLINE]})
def outbox_message(request, message_id):
    for message in read_outbox():
        if message["id"] == message_id:
            return render(request, "outbox/detail.html", {"message": message})
    raise Http404


urlpatterns = [
    path("", outbox, name="outbox"),
    path("<str:message_id>/", outbox_message, name="outbox_message"),
]
