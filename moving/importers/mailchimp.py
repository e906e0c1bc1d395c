"""Mailchimp's audience export: one CSV per status (subscribed, unsubscribed, cleaned).

The status is told by the columns: `UNSUB_TIME` only in the unsubscribed file, `CLEAN_TIME` only
in the cleaned one. Times ("2018-02-05 19:28:23") are UTC. The export does not carry the wording
the reader agreed to, so `consent_wording` stays "".
"""

import ipaddress
import re

from django.utils.translation import gettext

from moving import records
from moving.importers._csvfile import csv_read, email_clean, header_of, text_fix, utc_parse

# Columns that only Mailchimp's audience export has (whatever the account's language).
SYSTEM_COLUMNS = {
    "MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "LEID", "EUID",
    "LAST_CHANGED", "UNSUB_TIME", "CLEAN_TIME", "GMTOFF", "DSTOFF",
}  # fmt: skip
ZIP_NAME = re.compile(r"(?:^|/)(?:subscribed|unsubscribed|cleaned)_\w*export\w*\.csv$", re.I)
EMAIL_COLUMNS = ("Email Address", "EMAIL", "Email", "E-mail", "Adresse e-mail", "Adresse email")
FIRST_NAME_COLUMNS = ("First Name", "FNAME", "Prénom")
LAST_NAME_COLUMNS = ("Last Name", "LNAME", "Nom")
LANGUAGE_COLUMNS = ("LANGUAGE", "Language", "Langue")


def detect(head: bytes) -> bool:
    if head.startswith(b"ZIP\n"):
        # Mailchimp sends the three files zipped: subscribed_members_export_<id>.csv, …
        names = head.decode("utf-8", "replace").split("\n")[1:]
        return bool(names) and all(ZIP_NAME.search(name) for name in names)
    header = set(header_of(head))
    return len(header & SYSTEM_COLUMNS) >= 2


def column(header: list[str], names: tuple[str, ...]) -> str:
    for name in names:
        if name in header:
            return name
    lowered = {name.lower(): name for name in header}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return ""


def email_column(header: list[str]) -> str:
    """The address column: its English name, or the first column that speaks of mail."""
    found = column(header, EMAIL_COLUMNS)
    if found:
        return found
    for name in header:
        if "mail" in name.lower():
            return name
    return header[0] if header else ""


def ip_clean(value: str, *, what: str, warnings: list[records.Problem]) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        warnings.append(
            records.Problem(
                what=what,
                reason=gettext("“%(value)s” is not an IP address: left out.") % {"value": value},
            )
        )
        return ""


def language_clean(value: str) -> str:
    """Mailchimp's language codes ("fr", "fr_CA", "pt_PT") → their language ("fr", "pt")."""
    return value.replace("-", "_").split("_")[0].lower()[:8]


def read(data: bytes, *, files: dict[str, bytes] | None = None) -> records.Export:
    if files and data.startswith(b"PK"):
        export = records.Export(platform="mailchimp")
        for name, content in sorted(files.items()):
            if ZIP_NAME.search(name) and detect(content[:65536]):
                part = file_read(content)
                export.subscribers.extend(part.subscribers)
                for problem in part.skipped + part.warnings:
                    problem.what = f"{name}, {problem.what}"
                export.skipped.extend(part.skipped)
                export.warnings.extend(part.warnings)
        return export
    return file_read(data)


def file_read(data: bytes) -> records.Export:
    """One audience CSV: its columns tell which status its addresses have."""
    export = records.Export(platform="mailchimp")
    header, rows = csv_read(data, warnings=export.warnings)
    if "UNSUB_TIME" in header:
        status, left_column = "unsubscribed", "UNSUB_TIME"
    elif "CLEAN_TIME" in header:
        status, left_column = "cleaned", "CLEAN_TIME"
    else:
        status, left_column = "subscribed", ""
    email_name = email_column(header)
    first_name = column(header, FIRST_NAME_COLUMNS)
    last_name = column(header, LAST_NAME_COLUMNS)
    language = column(header, LANGUAGE_COLUMNS)
    seen = set()
    for line, row in rows:
        what = gettext("line %(number)d") % {"number": line}
        email = email_clean(row.get(email_name, ""))
        if not email:
            export.skipped.append(
                records.Problem(what=what, reason=gettext("No valid e-mail address."))
            )
            continue
        if email.lower() in seen:
            export.skipped.append(
                records.Problem(
                    what=what,
                    reason=gettext("%(email)s appears twice: the first line is kept.")
                    % {"email": email},
                )
            )
            continue
        seen.add(email.lower())
        name = " ".join(part for part in (row.get(first_name, ""), row.get(last_name, "")) if part)
        reason = row.get("UNSUB_REASON", "")
        other = row.get("UNSUB_REASON_OTHER", "")
        if other and other != reason:
            reason = f"{reason}: {other}" if reason else other
        export.subscribers.append(
            records.Subscriber(
                email=email,
                status=status,
                source_id=row.get("LEID", ""),
                name=name,
                language=language_clean(row.get(language, "")) if language else "",
                opted_in_at=utc_parse(row.get("OPTIN_TIME", "")),
                opt_in_ip=ip_clean(row.get("OPTIN_IP", ""), what=what, warnings=export.warnings),
                confirmed_at=utc_parse(row.get("CONFIRM_TIME", "")),
                confirm_ip=ip_clean(row.get("CONFIRM_IP", ""), what=what, warnings=export.warnings),
                left_at=utc_parse(row.get(left_column, "")) if left_column else None,
                left_reason=text_fix(reason, what=what, warnings=[]),
            )
        )
    return export
