"""Every environment variable is declared once, and .env.example and the README say the same."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import variables

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILES = sorted((BASE_DIR / "config" / "settings").glob("*.py"))
CHOOSING_THE_SETTINGS = ["manage.py", "config/wsgi.py", "config/asgi.py", "config/celery_app.py"]


def names_read(path: Path) -> set[str]:
    """Return the names passed as a literal to read() in the module at `path`."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "read"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def direct_reads(path: Path) -> list[str]:
    """Return the environment reads in `path` that bypass read(): env(...), os.getenv, os.environ.get."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        call = ast.unparse(node.func)
        if call == "env" or call.startswith("env.") or call in {"os.getenv", "os.environ.get"}:
            found.append(ast.unparse(node))
    return found


def test_env_example_is_generated_from_the_declarations():
    written = (BASE_DIR / ".env.example").read_text()
    assert written == variables.env_example(), "Run `python -m config.settings` to update it."


def test_the_readme_table_is_generated_from_the_declarations():
    readme = (BASE_DIR / "README.md").read_text()
    assert variables.readme_table() in readme, "Run `python -m config.settings` to update it."


def test_every_variable_the_settings_read_is_declared():
    read = set().union(*(names_read(path) for path in SETTINGS_FILES))
    assert read, "the settings read their variables through read()"
    assert read - variables.DECLARED.keys() == set()


def test_the_settings_read_the_environment_only_through_read():
    bypassing = {
        path.name: direct_reads(path) for path in SETTINGS_FILES if path.name != "variables.py"
    }
    assert {name: calls for name, calls in bypassing.items() if calls} == {}


def test_every_declared_variable_is_read_by_the_settings():
    read = set().union(*(names_read(path) for path in SETTINGS_FILES))
    prefixes = tuple(name for name in read if variables.DECLARED[name].prefix)
    unread = {
        name
        for name in variables.DECLARED
        if name not in read and not name.startswith(prefixes) and name != "DJANGO_SETTINGS_MODULE"
    }
    assert unread == set()
    for entry_point in CHOOSING_THE_SETTINGS:
        assert "choose_settings(" in (BASE_DIR / entry_point).read_text(), entry_point


def test_no_two_variables_share_a_meaning():
    meanings: dict[str, list[str]] = {}
    for variable in variables.VARIABLES:
        meanings.setdefault(variable.help, []).append(variable.name)
    assert [names for names in meanings.values() if len(names) > 1] == []


@pytest.mark.parametrize("variable", variables.VARIABLES, ids=lambda variable: variable.name)
def test_each_meaning_names_no_other_variable_as_its_own(variable):
    # The README once described COMMENTS_MAX_LENGTH with COMMENTS_MIN_SECONDS' text: a meaning may
    # mention another variable, but never start with it.
    others = [name for name in variables.DECLARED if name != variable.name]
    assert not variable.help.startswith(tuple(others))


def test_reading_an_undeclared_variable_is_refused():
    with pytest.raises(ImproperlyConfigured, match="NOT_A_VARIABLE is not declared"):
        variables.read("NOT_A_VARIABLE")


def test_a_declared_variable_is_parsed_by_its_type(monkeypatch):
    monkeypatch.setenv("COMMENTS_MAX_LINKS", "7")
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "a.example,b.example")
    monkeypatch.delenv("COMMENTS_GRAVATAR", raising=False)

    assert variables.read("COMMENTS_MAX_LINKS") == 7
    assert variables.read("DJANGO_ALLOWED_HOSTS") == ["a.example", "b.example"]
    assert variables.read("COMMENTS_GRAVATAR") is False


def test_anymail_variables_become_anymail_settings(monkeypatch):
    monkeypatch.setenv("ANYMAIL_POSTMARK_SERVER_TOKEN", "token")

    assert variables.read("ANYMAIL_")["POSTMARK_SERVER_TOKEN"] == "token"
