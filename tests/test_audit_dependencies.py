"""`make audit` fails on a vulnerable package and says plainly when nothing could be checked."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
audit_dependencies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_dependencies)


def test_a_known_vulnerability_fails_the_build_and_names_the_fix():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.0", "vulns": [
                {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": []},
            ]},
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ]
    }  # fmt: skip

    status, message = audit_dependencies.verdict(report)

    assert status == 1
    assert "django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)" in message


def test_clean_packages_pass_and_the_ones_pypi_does_not_know_are_named():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "local-tool", "skip_reason": "Dependency not found on PyPI"},
        ]
    }

    status, message = audit_dependencies.verdict(report)

    assert status == 0
    assert "no known vulnerability in 1 packages" in message
    assert "Not audited (unknown to PyPI): local-tool" in message


def test_when_no_package_could_be_checked_the_build_goes_on_but_says_so():
    report = {
        "dependencies": [
            {"name": "django", "skip_reason": "Dependency not found on PyPI"},
            {"name": "celery", "skip_reason": "Dependency not found on PyPI"},
        ]
    }

    status, message = audit_dependencies.verdict(report)

    assert status == 0
    assert message.startswith("pip-audit: NOT AUDITED")
    assert "none of 2 packages" in message
