"""Fail on a known vulnerability in an installed package; say plainly when none could be checked.

pip-audit asks PyPI's JSON API (https://pypi.org/pypi/<name>/<version>/json) about each installed
package. Where that API cannot be reached, the packages are reported as not audited and the build
goes on: a network outage is not a vulnerability. See docs/security.md.
"""

import json
import subprocess
import sys

PIP_AUDIT = [
    sys.executable,
    "-m",
    "pip_audit",
    "--format",
    "json",
    "--skip-editable",
    "--progress-spinner",
    "off",
]
NETWORK_ERRORS = (
    "ConnectionError",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "timed out",
)
NOT_AUDITED = (
    "pip-audit: NOT AUDITED, the vulnerability data is out of reach from this machine ({reason}). "
    "Run `make audit` where https://pypi.org/pypi/<name>/<version>/json answers."
)


def verdict(report: dict) -> tuple[int, str]:
    """Return the exit status and the message for a pip-audit JSON report."""
    dependencies = report.get("dependencies", [])
    vulnerable = [dependency for dependency in dependencies if dependency.get("vulns")]
    if vulnerable:
        lines = [
            f"{dependency['name']} {dependency['version']}: {vuln['id']} "
            f"(fixed in {', '.join(vuln.get('fix_versions') or ['no release yet'])})"
            for dependency in vulnerable
            for vuln in dependency["vulns"]
        ]
        return 1, "pip-audit: known vulnerabilities:\n  " + "\n  ".join(lines)
    audited = [dependency for dependency in dependencies if "skip_reason" not in dependency]
    if not audited:
        reason = f"none of {len(dependencies)} packages found in PyPI's JSON API"
        return 0, NOT_AUDITED.format(reason=reason)
    skipped = sorted(
        dependency["name"] for dependency in dependencies if "skip_reason" in dependency
    )
    message = f"pip-audit: no known vulnerability in {len(audited)} packages."
    if skipped:
        message += f" Not audited (unknown to PyPI): {', '.join(skipped)}."
    return 0, message


def main() -> int:
    try:
        completed = subprocess.run(  # noqa: S603 -- a fixed command line, no outside input
            PIP_AUDIT, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        print(NOT_AUDITED.format(reason="no answer within 10 minutes"))
        return 0
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        error = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        if any(marker in completed.stderr for marker in NETWORK_ERRORS):
            print(NOT_AUDITED.format(reason=error[0]))
            return 0
        print(f"pip-audit failed: {error[0]}", file=sys.stderr)
        return 1
    status, message = verdict(report)
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
