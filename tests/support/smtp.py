"""A real SMTP server (aiosmtpd) on loopback that tests read like a mailbox and the benchmark counts.

In a test it runs in a thread: `SmtpServer().start()`. The benchmark runs it in its own process,
so that its CPU is counted apart: `python -m tests.support.smtp PORT` prints "ready" once
listening, then answers each line read on stdin with the number of messages accepted so far.
"""

import email
import email.message
import email.policy
import sys
import threading

from aiosmtpd.controller import Controller

from tests.support.network import free_port
from tests.support.waiting import wait_until


class Mailbox:
    """An aiosmtpd handler that counts the messages it accepts and, when `keep`, keeps them parsed."""

    def __init__(self, *, keep: bool = True):
        self.keep = keep
        self.accepted = 0
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.lock = threading.Lock()
        self.reject_with: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.reject_with:
            return self.reject_with
        message = (
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            if self.keep
            else None
        )
        with self.lock:
            self.accepted += 1
            if self.keep:
                self.messages.append(message)
                self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1; `keep=False` only counts what it accepts."""

    def __init__(self, port: int | None = None, *, keep: bool = True):
        self.handler = Mailbox(keep=keep)
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def accepted(self) -> int:
        with self.handler.lock:
            return self.handler.accepted

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 30) -> list[email.message.EmailMessage]:
        """Wait until `count` messages have arrived and return them."""
        try:
            wait_until(lambda: len(self.messages) >= count, timeout=timeout, every=0.05)
        except AssertionError:
            arrived = [message["To"] for message in self.messages]
            raise AssertionError(f"expected {count} messages, got {arrived}") from None
        return self.messages

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Return the messages whose recipients include `address`."""
        with self.handler.lock:
            return [
                message
                for message, envelope in zip(
                    self.handler.messages, self.handler.envelopes, strict=True
                )
                if address in envelope.rcpt_tos
            ]


def main(port: int) -> None:
    server = SmtpServer(port, keep=False).start()
    print("ready", flush=True)
    try:
        for _line in sys.stdin:
            print(server.accepted, flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
