from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from moving.importers import mailchimp

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples" / "mailchimp"

COMMON = (
    "Email Address,First Name,Last Name,Company,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,"
    "CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION"
)
SUBSCRIBED = (
    COMMON + ",LAST_CHANGED,LEID,EUID,NOTES,TAGS\n"
    "zoé@example.com, Zoé , Étienne ,Co,2,2018-02-05 19:28:23,203.0.113.5,"
    '2018-02-06 08:00:01,203.0.113.6,,,,,,,,2020-01-01 00:00:00,12345,abc,,"""Editors"""\n'
    "bare@example.com,,,,,,,,,,,,,,,,,,,,\n"
)
UNSUBSCRIBED = (
    COMMON + ",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,"
    "LEID,EUID,NOTES,TAGS\n"
    "u@example.com,Ana,,,1,2018-02-12 10:54:27,,2018-02-12 10:54:27,,,,,,,,,"
    "2018-07-23 12:19:27,,,Other,Too many e-mails,77,,,\n"
)
CLEANED = (
    COMMON + ",CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS\n"
    "c@example.com,,,,1,2018-02-05 19:28:23,,,,,,,,,,,2020-03-23 17:30:05,,,88,,,\n"
)


def test_detect_by_the_system_columns():
    assert mailchimp.detect(SUBSCRIBED.encode())
    assert mailchimp.detect(CLEANED.encode())
    assert not mailchimp.detect(b"email,name\na@example.com,A\n")
    assert not mailchimp.detect(b'{"db": []}')
    assert not mailchimp.detect(b"ZIP\nEmail Address.csv")


def test_subscribed_file_keeps_consent_provenance():
    export = mailchimp.read(SUBSCRIBED.encode())
    assert export.platform == "mailchimp"
    first, bare = export.subscribers
    assert first.email == "zoé@example.com"
    assert first.status == "subscribed"
    assert first.name == "Zoé Étienne"
    assert first.source_id == "12345"
    assert first.opted_in_at == datetime(2018, 2, 5, 19, 28, 23, tzinfo=UTC)
    assert first.opt_in_ip == "203.0.113.5"
    assert first.confirmed_at == datetime(2018, 2, 6, 8, 0, 1, tzinfo=UTC)
    assert first.confirm_ip == "203.0.113.6"
    assert first.left_at is None
    assert first.consent_wording == ""
    # Blank cells are empty values, never "None" or missing-column errors.
    assert (bare.name, bare.source_id, bare.opt_in_ip, bare.language) == ("", "", "", "")
    assert bare.opted_in_at is None and bare.confirmed_at is None
    assert export.skipped == [] and export.warnings == []


def test_unsubscribed_and_cleaned_files_are_told_by_their_columns():
    unsubscribed = mailchimp.read(UNSUBSCRIBED.encode()).subscribers[0]
    assert unsubscribed.status == "unsubscribed"
    assert unsubscribed.left_at == datetime(2018, 7, 23, 12, 19, 27, tzinfo=UTC)
    assert unsubscribed.left_reason == "Other: Too many e-mails"
    assert unsubscribed.source_id == "77"
    cleaned = mailchimp.read(CLEANED.encode()).subscribers[0]
    assert cleaned.status == "cleaned"
    assert cleaned.left_at == datetime(2020, 3, 23, 17, 30, 5, tzinfo=UTC)
    assert cleaned.source_id == "88"


def test_bom_semicolons_crlf_and_language():
    data = (
        "\ufeffEmail Address;First Name;Last Name;LANGUAGE;OPTIN_TIME;LEID;EUID\r\n"
        "a@example.com;Élise;;fr_CA;2021-05-01 10:00:00;9;x\r\n"
        "\r\n"
        "b@example.com;;;;;;\r\n"
    ).encode()
    assert mailchimp.detect(data)
    first, second = mailchimp.read(data).subscribers
    assert (first.email, first.name, first.language, first.source_id) == (
        "a@example.com",
        "Élise",
        "fr",
        "9",
    )
    assert first.opted_in_at == datetime(2021, 5, 1, 10, tzinfo=UTC)
    assert (second.email, second.language, second.opted_in_at) == ("b@example.com", "", None)


def test_cp1252_cell_is_read_with_a_warning_and_nfc():
    data = b"Email Address,First Name,OPTIN_TIME,LEID\na@example.com,Ren" + (
        b"\xe9,2021-05-01 10:00:00,1\nb@example.com,Rene\xcc\x81,,2\n"
    )
    export = mailchimp.read(data)
    assert [s.name for s in export.subscribers] == ["René", "René"]
    assert export.subscribers[1].name == "Ren\u00e9"  # NFC, one code point
    assert len(export.warnings) == 1 and "2" in export.warnings[0].what


def test_bad_rows_are_skipped_or_cleaned_with_a_reason():
    data = (
        b"Email Address,OPTIN_TIME,OPTIN_IP,LEID\n"
        b"not-an-address,,,1\n"
        b"a@example.com,,999.1.1.1,2\n"
        b"A@example.com,,,3\n"
    )
    export = mailchimp.read(data)
    assert [s.email for s in export.subscribers] == ["a@example.com"]
    assert export.subscribers[0].opt_in_ip == ""
    assert len(export.skipped) == 2 and len(export.warnings) == 1


@pytest.mark.parametrize(
    ("name", "status", "count", "left_at"),
    [
        ("subscribed.csv", "subscribed", 5, None),
        ("unsubscribed.csv", "unsubscribed", 5, datetime(2018, 7, 23, 12, 19, 27, tzinfo=UTC)),
        ("cleaned.csv", "cleaned", 5, datetime(2020, 3, 23, 17, 30, 5, tzinfo=UTC)),
    ],
)
def test_sample_files(name, status, count, left_at):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared samples are not here")
    data = path.read_bytes()
    assert mailchimp.detect(data[:65536])
    export = mailchimp.read(data)
    assert len(export.subscribers) == count
    assert {s.status for s in export.subscribers} == {status}
    first = export.subscribers[0]
    assert first.email == f"{name[0]}1@example.com"
    assert first.left_at == left_at
    assert export.skipped == [] and export.warnings == []
    if name == "subscribed.csv":
        last = export.subscribers[-1]
        assert last.name == "Dolor Simet"  # padded cells stripped
        assert last.opted_in_at == datetime(2018, 2, 5, 19, 28, 22, tzinfo=UTC)
        assert last.confirmed_at == datetime(2018, 2, 5, 19, 28, 22, tzinfo=UTC)
        assert (last.opt_in_ip, last.source_id, last.consent_wording) == ("", "", "")


def test_the_zip_mailchimp_sends():
    files = {
        "subscribed_members_export_1a2b.csv": SUBSCRIBED.encode(),
        "unsubscribed_members_export_1a2b.csv": UNSUBSCRIBED.encode(),
        "cleaned_members_export_1a2b.csv": CLEANED.encode(),
    }
    assert mailchimp.detect(b"ZIP\n" + "\n".join(files).encode())
    assert not mailchimp.detect(b"ZIP\nsubscribed_members_export_1a2b.csv\nposts.csv")
    export = mailchimp.read(b"PK\x03\x04", files=files)
    assert sorted((s.email, s.status) for s in export.subscribers) == [
        ("bare@example.com", "subscribed"),
        ("c@example.com", "cleaned"),
        ("u@example.com", "unsubscribed"),
        ("zoé@example.com", "subscribed"),
    ]
