"""A local server speaking Akismet's REST API, for the real client (reached via AKISMET_API_URL).

In a test it runs in a thread: `AkismetServer().start()`. The benchmark runs it in its own process:
`python -m tests.support.akismet PORT DELAY_SECONDS` answers every check after the delay, prints
"ready" once listening, then answers each line read on stdin with the number of checks so far.
"""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.support.network import free_port

API_KEY = "integration-key"
TIMEOUT = 0.5
THANKS = "Thanks for making the web a better place."


class FakeAkismet(BaseHTTPRequestHandler):
    """Answer like rest.akismet.com; the comment's author name, or the server's mode, says how."""

    def do_POST(self):
        fields = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        fields = {key: values[0] for key, values in fields.items()}
        server = self.server
        with server.lock:
            server.requests.append((self.path, fields))
            seen = sum(1 for path, f in server.requests if f == fields)
            delay, failing = server.delay, server.failing
        if self.path == "/1.1/verify-key":
            return self.answer("valid" if fields.get("key") == API_KEY else "invalid")
        if delay:
            time.sleep(delay)
        if failing:
            return self.answer("Internal Server Error", status=500)
        if self.path in ("/1.1/submit-spam", "/1.1/submit-ham"):
            return self.answer(THANKS)
        author = fields.get("comment_author", "")
        if author == "Spammer":
            return self.answer("true")
        if author == "Blatant":
            return self.answer("true", headers={"X-akismet-pro-tip": "discard"})
        if author == "Nonsense":
            return self.answer("invalid")
        if author == "Slow":
            time.sleep(server.timeout * 3)
            return self.answer("false")
        if author == "Broken" or (author == "Flaky" and seen == 1):
            return self.answer("Internal Server Error", status=500)
        return self.answer("false")

    def answer(self, text, status=200, headers=None):
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(text.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting: that is the point of the slow answer

    def log_message(self, format, *args):
        pass


class AkismetServer(ThreadingHTTPServer):
    """The fake Akismet on a free loopback port, in a thread; `delay` and `failing` change its mood."""

    daemon_threads = True

    def __init__(self, *, timeout: float = TIMEOUT, port: int | None = None):
        super().__init__(("127.0.0.1", port or free_port()), FakeAkismet)
        self.requests: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.timeout = timeout
        self.delay = 0.0
        self.failing = False
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> "AkismetServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def behave(self, *, delay: float = 0.0, failing: bool = False) -> None:
        """Answer every later check after `delay` seconds, and with HTTP 500 when `failing`."""
        with self.lock:
            self.delay, self.failing = delay, failing

    def checks(self) -> list[dict]:
        """Return the fields of every comment-check request received so far."""
        with self.lock:
            return [fields for path, fields in self.requests if path == "/1.1/comment-check"]


def main(port: int, delay: float) -> None:
    server = AkismetServer(port=port).start()
    server.behave(delay=delay)
    print("ready", flush=True)
    try:
        for _line in sys.stdin:
            print(len(server.checks()), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
