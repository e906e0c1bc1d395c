"""Production settings are secure by default; every page carries the Content-Security-Policy."""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.blog.factories import PostFactory

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "blog.example.org,testserver",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/chezsoi",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://blog.example.org",
    "COMMENTS_CLIENT_IP_HEADER": "X-Real-IP",
}


def run_production(*args: str, **overrides: str) -> subprocess.CompletedProcess:
    """Run Python with production settings and only the variables an operator sets."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    env.update(PRODUCTION_ENV, **overrides)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "warning"),
    [
        ("SITE_URL", "newsletter.W001"),
        ("COMMENTS_CLIENT_IP_HEADER", "comments.W001"),
    ],
)
def test_the_deployment_checklist_names_what_a_public_site_misses(variable, warning):
    value = "http://blog.example.org" if variable == "SITE_URL" else ""
    result = run_production(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", **{variable: value}
    )
    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


# An empty value rather than a missing one, so that a developer's .env cannot fill it in.
@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_each_required_variable(variable):
    result = run_production("manage.py", "check", **{variable: ""})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} must be set in production" in result.stderr


# PostgreSQL and Redis in every setup: no SQLite, no broker in a folder, no cache in files.
@pytest.mark.parametrize("settings_module", ["production", "local"])
@pytest.mark.parametrize("variable", ["DATABASE_URL", "REDIS_URL"])
def test_no_settings_start_without_postgresql_and_redis(settings_module, variable):
    result = run_production(
        "manage.py",
        "check",
        DJANGO_SETTINGS_MODULE=f"config.settings.{settings_module}",
        **{variable: ""},
    )
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} is not set" in result.stderr
    assert "make run" in result.stderr


PROBE = """
import json
import django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/robots.txt")
proxied = client.get("/robots.txt", headers={"x-forwarded-proto": "https"})
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "proxied": [proxied.status_code, dict(proxied.headers)],
}))
"""


def test_production_redirects_plain_http_and_sends_security_headers_behind_the_proxy():
    result = run_production("-c", PROBE)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    assert answers["plain"] == [301, "https://testserver/robots.txt"]
    status, headers = answers["proxied"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "object-src 'none'" in headers["Content-Security-Policy"]


def csp_directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(directive.strip().partition(" ")[::2] for directive in policy.split(";"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    [
        lambda: reverse("blog:home"),
        lambda: PostFactory().get_absolute_url(),
        lambda: "/une-page-qui-n-existe-pas/",
        lambda: reverse("account_login"),
        lambda: reverse("admin:login"),
    ],
    ids=["home", "post", "not-found", "sign-in", "admin"],
)
def test_every_page_carries_the_content_security_policy(client, page):
    response = client.get(page())
    directives = csp_directives(response)

    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["img-src"] == "'self' data: https:"
    # Inline script runs only with this response's nonce; 'unsafe-inline' is never allowed.
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-inline" not in directives["style-src"]


@pytest.mark.django_db
def test_a_template_asking_for_a_nonce_gets_one_in_the_policy(rf):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def view(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">go()</script>')

    request = rf.get("/")
    response = CSPMiddleware(view)(request)

    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in csp_directives(response)["script-src"]


ENTRY_POINTS = {
    "manage.py": [
        "manage.py",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SETTINGS_MODULE)",
    ],
    "wsgi": [
        "-c",
        "import config.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE)",
    ],
    "asgi": [
        "-c",
        "import config.asgi; from django.conf import settings; print(settings.SETTINGS_MODULE)",
    ],
    "celery": ["-c", "import os, config.celery_app; print(os.environ['DJANGO_SETTINGS_MODULE'])"],
}


def run_in_checkout_with_env_file(tmp_path, args, env_file: str, **environment):
    """Run Python in a copy of manage.py and config/ beside `env_file` as its .env."""
    shutil.copy(BASE_DIR / "manage.py", tmp_path)
    shutil.copytree(
        BASE_DIR / "config", tmp_path / "config", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / ".env").write_text(env_file)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    # The apps come from this checkout, the settings and the .env from the copy.
    env.update(PYTHONPATH=str(BASE_DIR), **environment)
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


SERVER_ENV_FILE = "\n".join(f"{key}={value}" for key, value in PRODUCTION_ENV.items()) + "\n"


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_every_entry_point_takes_the_settings_module_from_the_env_file(tmp_path, entry_point):
    result = run_in_checkout_with_env_file(tmp_path, ENTRY_POINTS[entry_point], SERVER_ENV_FILE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "config.settings.production"


def test_the_environment_wins_over_the_env_file(tmp_path):
    result = run_in_checkout_with_env_file(
        tmp_path,
        ENTRY_POINTS["manage.py"],
        SERVER_ENV_FILE,
        DJANGO_SETTINGS_MODULE="config.settings.local",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "config.settings.local"


@pytest.mark.parametrize(
    ("entry_point", "expected"),
    [
        ("wsgi", "config.settings.production"),
        ("asgi", "config.settings.production"),
        ("manage.py", "config.settings.local"),
        ("celery", "config.settings.local"),
    ],
)
def test_with_no_settings_module_anywhere_a_web_server_gets_production_settings(
    tmp_path, entry_point, expected
):
    # The .env gives what production needs but not which settings: a server started bare must
    # not run with the development settings (DEBUG on).
    env_file = "".join(
        line + "\n" for line in SERVER_ENV_FILE.splitlines() if "SETTINGS_MODULE" not in line
    )
    result = run_in_checkout_with_env_file(tmp_path, ENTRY_POINTS[entry_point], env_file)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
