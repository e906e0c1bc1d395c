"""Read a subscribers CSV file; every row is checked before anything is written.

Two layouts are read: email, language, consent_source, consent_date (a list from elsewhere), and
the admin's own export (email, language, status, signed_up, confirmed, left), so that an exported
file can be imported back.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from newsletter.models import normalize_email

COLUMNS = ("email", "language", "consent_source", "consent_date", "status", "confirmed")
# The consent source recorded for a confirmed row of the admin's export: its date is "confirmed".
EXPORT_CONSENT_SOURCE = "export of this site (confirmed subscription)"
# The statuses of the export (Subscriber.Status); those who left or bounced are never taken back.
PENDING, CONFIRMED = "pending", "confirmed"
NO_LONGER_SUBSCRIBED = ("unsubscribed", "suppressed")
# A cell starting with one of these is a formula to spreadsheets: the export writes a quote before
# it (admin/subscribers.py), the import takes the quote off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 100_000


@dataclass
class ImportRow:
    line: int
    email: str
    language: str
    consent_source: str = ""
    consent_date: date | None = None
    # A row of the export for someone who left or bounced: never subscribed again, only reported.
    no_longer_subscribed: bool = False


@dataclass
class ImportResult:
    confirmed: int = 0
    pending: int = 0
    already_known: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


@dataclass
class RowError:
    line: int
    message: str


def read_subscribers_csv(raw: bytes) -> tuple[list[ImportRow], list[RowError]]:
    """Return the file's rows, or the problems found with their line numbers (then no rows)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(0, _("The file is not UTF-8 text."))]
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "email" not in header:
        return [], [RowError(1, _("The first line must name the columns, among them “email”."))]
    reader.fieldnames = header
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, _("Too many rows; split the file.")))
            break
        values = {column: _cell(record.get(column)) for column in COLUMNS}
        if not any(values.values()):
            continue
        row, problem = _read_row(line, values)
        if problem:
            errors.append(RowError(line, problem))
        elif row.email in seen:
            errors.append(
                RowError(line, _("Same address as line %(line)d.") % {"line": seen[row.email]})
            )
        else:
            seen[row.email] = line
            rows.append(row)
    if errors:
        return [], errors
    return rows, []


def _cell(value: str | None) -> str:
    value = (value or "").strip()
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _read_row(line: int, values: dict[str, str]) -> tuple[ImportRow | None, str]:
    email = normalize_email(values["email"])
    try:
        validate_email(email)
    except ValidationError:
        return None, _("“%(email)s” is not an email address.") % {"email": values["email"]}
    language = values["language"].lower() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        return None, _("Unknown language “%(language)s” (fr or en).") % {
            "language": values["language"]
        }
    status = values["status"].lower()
    if status not in ("", PENDING, CONFIRMED, *NO_LONGER_SUBSCRIBED):
        return None, _(
            "Unknown status “%(status)s” (pending, confirmed, unsubscribed or suppressed)."
        ) % {"status": values["status"]}
    if status in NO_LONGER_SUBSCRIBED:
        return ImportRow(line, email, language, no_longer_subscribed=True), ""
    source, raw_date = values["consent_source"], values["consent_date"]
    if status == CONFIRMED and not (source or raw_date) and values["confirmed"]:
        source, raw_date = EXPORT_CONSENT_SOURCE, values["confirmed"]
    if bool(source) != bool(raw_date):
        return None, _("Give both the consent source and its date, or neither.")
    consent_date = None
    if raw_date:
        try:
            consent_date = _parse_date(raw_date)
        except ValueError:
            return None, _("“%(date)s” is not a date (YYYY-MM-DD).") % {"date": raw_date}
        if consent_date > timezone.localdate():
            return None, _("A consent date cannot be in the future.")
    return ImportRow(line, email, language, source[:200], consent_date), ""


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        moment = datetime.fromisoformat(value)
    # The export writes times in UTC: the day is the site's, as everywhere else.
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
