"""Which PostgreSQL and Redis the launcher uses: the environment's, CI's, or embedded ones."""

import pytest
from django.conf import settings

from launcher.run import site_url
from launcher.services import Plan, plan_services, service_answers
from tests.support.network import free_port


def nothing_answers(url: str) -> bool:
    return False


def everything_answers(url: str) -> bool:
    return True


@pytest.mark.parametrize("command", ["run", "test"])
def test_the_addresses_in_the_environment_are_used_as_they_are(command):
    asked = []
    environ = {"DATABASE_URL": "postgres://u@db:5433/x", "REDIS_URL": "redis://cache:6380/3"}

    plan = plan_services(command, environ, lambda url: asked.append(url))

    assert plan == Plan("postgres://u@db:5433/x", "redis://cache:6380/3")
    assert asked == []


def test_run_starts_its_own_services_even_when_ci_ones_answer():
    assert plan_services("run", {}, everything_answers) == Plan(None, None)


def test_tests_use_the_servers_answering_on_the_usual_ports():
    plan = plan_services("test", {}, everything_answers)

    assert plan == Plan("postgres://postgres@127.0.0.1:5432/test", "redis://127.0.0.1:6379/1")


def test_tests_start_their_own_services_when_nothing_answers():
    assert plan_services("test", {}, nothing_answers) == Plan(None, None)


def test_the_usual_ports_can_be_pointed_elsewhere():
    asked = []
    environ = {"LAUNCHER_POSTGRES_PORT": "6543", "LAUNCHER_REDIS_PORT": "7654"}

    plan_services("test", environ, lambda url: asked.append(url))

    assert asked == ["postgres://postgres@127.0.0.1:6543/test", "redis://127.0.0.1:7654/1"]


def test_one_service_given_the_other_found():
    environ = {"REDIS_URL": "redis://cache:6380/3"}

    plan = plan_services("test", environ, lambda url: url.startswith("postgres"))

    assert plan == Plan("postgres://postgres@127.0.0.1:5432/test", "redis://cache:6380/3")


def test_a_closed_port_does_not_answer():
    port = free_port()

    assert not service_answers(f"postgres://postgres@127.0.0.1:{port}/test")
    assert not service_answers(f"redis://127.0.0.1:{port}/1")


def test_the_suites_own_services_answer():
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/test"

    assert service_answers(url)
    assert service_answers(settings.REDIS_URL)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "http://127.0.0.1:8020"),
        ("0.0.0.0", "http://127.0.0.1:8020"),  # noqa: S104 (shown, not bound)
        ("localhost", "http://localhost:8020"),
        ("::1", "http://[::1]:8020"),
        ("::", "http://[::1]:8020"),
    ],
)
def test_the_site_address_follows_host_and_port(host, expected):
    assert site_url(host, 8020) == expected
