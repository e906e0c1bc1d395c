"""Akismet for the benchmark, in its own process: every check answers "not spam" after a delay.

Run with the venv's python: `python akismet_stand_in.py PORT DELAY_SECONDS`. It prints "ready"
once listening, then answers each line read on stdin with the number of comments checked so far.
"""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandIn(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/verify-key"):
            return self.answer("valid")
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.checked += 1
        return self.answer("false")

    def answer(self, text: str):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main(port: int, delay: float):
    server = Server(("127.0.0.1", port), StandIn)
    server.delay, server.checked, server.lock = delay, 0, threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    for _line in sys.stdin:
        print(server.checked, flush=True)
    server.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
