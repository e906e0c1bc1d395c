"""A mail server for the benchmark, in its own process: accept every message and count them.

Run with the venv's python: `python smtp_sink.py PORT`. It prints "ready" once listening, then
answers each line read on stdin with the number of messages accepted so far; it stops at EOF.
"""

import sys

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self):
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        self.accepted += 1
        return "250 OK"


def main(port: int):
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        for _line in sys.stdin:
            print(counter.accepted, flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
