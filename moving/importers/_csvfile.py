"""Reading the CSV files of Substack, Mailchimp and Ghost's member list, and fixing their text.

A CSV may start with a byte-order mark, use `;` or tabs instead of commas (a spreadsheet saved it
in a French locale) and end its lines with CRLF. Text is UTF-8; a cell that is not is read as
cp1252 instead, with one warning for its line, and every cell is NFC-normalised.
"""

import csv
import io
import unicodedata
from datetime import UTC, datetime
from email.utils import parseaddr

from django.utils.translation import gettext

from moving.records import Problem

DELIMITERS = (",", ";", "\t")


def text_fix(value: str, *, what: str, warnings: list[Problem]) -> str:
    """Return `value` NFC-normalised; bytes that were not UTF-8 (kept by `surrogateescape`) are
    read as cp1252 instead, with a warning."""
    if any("\udc80" <= char <= "\udcff" for char in value):
        value = value.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
        warnings.append(
            Problem(what=what, reason=gettext("Not UTF-8: read as Windows-1252 (cp1252)."))
        )
    return unicodedata.normalize("NFC", value)


def header_of(head: bytes) -> list[str]:
    """Return the column names of a CSV from its first bytes, or [] when it does not look like one."""
    if head.startswith(b"ZIP\n"):
        return []
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    line = text.splitlines()[0] if text.strip() else ""
    if not line or line.lstrip().startswith(("{", "<", "[")):
        return []
    delimiter = max(DELIMITERS, key=line.count)
    try:
        return [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def csv_read(data: bytes, *, warnings: list[Problem]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Return the header and (line number, {column: cell}) for each non-empty row.

    Blank cells are "" and so are cells missing from a short row; cells are stripped.
    """
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [text_fix(cell, what="line 1", warnings=warnings).strip() for cell in next(reader)]
    except StopIteration:
        return [], []
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        what = gettext("line %(number)d") % {"number": line}
        line_warnings: list[Problem] = []
        fixed = [text_fix(cell, what=what, warnings=line_warnings).strip() for cell in cells]
        warnings.extend(line_warnings[:1])
        row = {
            name: (fixed[index] if index < len(fixed) else "") for index, name in enumerate(header)
        }
        rows.append((line, row))
    return header, rows


def email_clean(value: str) -> str:
    """Return the address in `value` (stripped, `Name <a@b>` unwrapped), or "" when it is not one."""
    address = parseaddr(value.strip())[1].strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or " " in address:
        return ""
    return address


def utc_parse(value: str) -> datetime | None:
    """Return an aware datetime for an ISO 8601 time ("2019-07-26T20:48:19.814Z") or Mailchimp's
    "2018-02-05 19:28:23", read as UTC when it has no offset; None when blank or unreadable."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def yes(value: str) -> bool:
    return value.strip().lower() in {"true", "yes", "1", "t", "y"}
