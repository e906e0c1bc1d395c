"""`python -m launcher run` with no service configured: embedded PostgreSQL and Redis, the demo,
a worker that sends the confirmation email with links on the port served, and a clean stop."""

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from launcher.run import STEADY_AFTER
from tests.faults.visitors import Visitor
from tests.support.network import free_port, port_open
from tests.support.waiting import wait_until

psutil = pytest.importorskip("psutil", reason='the local extra: pip install -e ".[local]"')

pytestmark = pytest.mark.launcher

BASE_DIR = Path(__file__).resolve().parent.parent.parent
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# What the launcher's environment may not inherit from the test run: its services and settings.
NOT_INHERITED = (
    "DJANGO_",
    "TEST_",
    "DATABASE_",
    "REDIS_",
    "SITE_",
    "LAUNCHER_",
    "CELERY_",
    "EMAIL_",
)


class Launched:
    """`python -m launcher run` in a process group of its own, as a terminal's job would be."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.var = folder / "var"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "launcher.log"
        closed = [str(free_port()), str(free_port())]
        environment = {k: v for k, v in os.environ.items() if not k.startswith(NOT_INHERITED)}
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "tests.launcher.settings",
                "LAUNCHER_VAR_DIR": str(self.var),
                "MEDIA_ROOT": str(folder / "media"),
                # Where CI's PostgreSQL and Redis would be found: closed, as on a bare machine.
                "LAUNCHER_POSTGRES_PORT": closed[0],
                "LAUNCHER_REDIS_PORT": closed[1],
            }
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "launcher", "run", "--port", str(self.port)],
                cwd=BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"the launcher exited:\n{self.output()}")
            return "Chez Soi is running on" in self.output()

        wait_until(ready, timeout=240, what="the launcher to serve the demo", every=0.5)
        self.ready_at = time.monotonic()

    def service_ports(self) -> list[int]:
        """Return the ports of the embedded PostgreSQL and Redis, from the line that names them."""
        line = re.search(r"^Database: (\S+)\s+Redis: (\S+)$", self.output(), re.MULTILINE)
        assert line, self.output()
        return [int(re.search(r":(\d+)/", url).group(1)) for url in line.groups()]

    def outbox(self) -> list[email.message.EmailMessage]:
        messages = []
        for file in sorted((self.var / "outbox").glob("*.log")):
            for chunk in file.read_bytes().split(MESSAGE_SEPARATOR):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return messages

    def kill(self) -> None:
        for process in [self.process_info(), *self.descendants()]:
            try:
                process and process.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.wait(timeout=10)

    def process_info(self):
        try:
            return psutil.Process(self.process.pid)
        except psutil.NoSuchProcess:
            return None

    def descendants(self) -> list:
        parent = self.process_info()
        return parent.children(recursive=True) if parent else []


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    launched = Launched(tmp_path_factory.mktemp("launcher"))
    try:
        launched.wait_ready()
        yield launched
    finally:
        if launched.process.poll() is None:
            launched.kill()


def alive(process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_home_page_answers_with_addresses_on_the_port_served(launched):
    home = httpx.get(f"{launched.url}/", timeout=30)
    robots = httpx.get(f"{launched.url}/robots.txt", timeout=30)

    assert home.status_code == 200
    assert "Chez Soi" in home.text
    assert f"Sitemap: {launched.url}/sitemap.xml" in robots.text


def test_the_services_are_the_embedded_ones(launched):
    output = launched.output()

    assert "Starting PostgreSQL (data in" in output
    assert "Starting Redis (data in" in output
    assert (launched.var / "postgres" / "data" / "PG_VERSION").read_text().strip() == "18"
    assert all(port_open(port) for port in launched.service_ports())


def test_a_subscription_sends_its_confirmation_email_with_links_on_that_port(launched):
    visitor = Visitor(launched.url, "127.0.0.1")
    address = "lecteur-du-lanceur@example.org"

    _page, answer = visitor.subscribe(email=address)

    assert answer.status == 302, answer.text[:500]
    sent = wait_until(
        lambda: [m for m in launched.outbox() if m["To"] == address],
        timeout=60,
        what="the worker to write the confirmation email to the outbox",
    )
    text = sent[0].get_body(preferencelist=("plain",)).get_content()
    links = re.findall(r"https?://[^\s>\"]+", text)
    assert any(f"{launched.url}/newsletter/confirm/" in link for link in links), text
    assert all(link.startswith(launched.url) for link in links if "127.0.0.1" in link)


def test_a_worker_that_dies_is_started_again_with_one_line_said(launched):
    def worker():
        for child in launched.process_info().children():
            try:
                if "worker" in child.cmdline() and "celery" in " ".join(child.cmdline()):
                    return child
            except psutil.Error:  # the one just killed, not reaped yet
                continue
        return None

    # Steady for a while: one that dies at once is started again only after a pause.
    wait_until(lambda: time.monotonic() - launched.ready_at > STEADY_AFTER, timeout=30)
    first = worker()
    before = len(launched.output().splitlines())

    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool, as the OOM killer would

    second = wait_until(
        lambda: (w := worker()) and w.pid != first.pid and w, timeout=30, what="a new worker"
    )
    wait_until(
        lambda: "ready." in "".join(launched.output().splitlines()[before:]),
        timeout=60,
        what="the new worker to be ready",
    )
    said = launched.output().splitlines()[before:]
    restarts = [line for line in said if line.startswith("The worker exited")]
    assert restarts == [f"The worker exited (code -{signal.SIGKILL}): starting it again."]
    assert alive(second)


def test_ctrl_c_stops_everything_within_ten_seconds_quietly(launched):
    processes = [launched.process_info(), *launched.descendants()]
    ports = [launched.port, *launched.service_ports()]
    assert len(processes) >= 6  # launcher, PostgreSQL, Redis, runserver, worker, beat
    before = len(launched.output().splitlines())

    os.killpg(launched.process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's job
    launched.process.wait(timeout=10)

    still_alive = [p for p in processes if alive(p)]
    assert still_alive == []
    assert [port for port in ports if port_open(port)] == []
    said = launched.output().splitlines()[before:]
    assert len(said) <= 3, said
    assert not any("Traceback" in line or "Warm shutdown" in line for line in said), said
