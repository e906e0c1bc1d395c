from datetime import date

from newsletter.importing import read_subscribers_csv


def read(text):
    return read_subscribers_csv(text.encode())


def test_rows_are_read_with_their_line_numbers():
    rows, errors = read(
        "Email,Language,consent_source,consent_date\n"
        "Une@Example.org,en,salon,2024-05-01\n"
        "\n"
        "deux@example.org,,,\n"
    )
    assert errors == []
    assert [(row.line, row.email, row.language) for row in rows] == [
        (2, "une@example.org", "en"),
        (4, "deux@example.org", "fr"),
    ]
    assert (rows[0].consent_source, rows[0].consent_date) == ("salon", date(2024, 5, 1))
    assert (rows[1].consent_source, rows[1].consent_date) == ("", None)


def test_semicolons_and_a_byte_order_mark_are_fine():
    rows, errors = read_subscribers_csv("\ufeffemail;language\nune@example.org;fr\n".encode())
    assert errors == [] and rows[0].email == "une@example.org"


def test_every_bad_row_is_reported_and_no_row_is_returned():
    rows, errors = read(
        "email,language,consent_source,consent_date\n"
        "pas-une-adresse,fr,,\n"
        "une@example.org,es,,\n"
        "deux@example.org,fr,salon,\n"
        "trois@example.org,fr,salon,hier\n"
        "cinq@example.org,fr,salon,2999-01-01\n"
        "quatre@example.org,fr,,\n"
        "QUATRE@example.org,fr,,\n"
    )
    assert rows == []
    assert [error.line for error in errors] == [2, 3, 4, 5, 6, 8]
    assert "7" in errors[-1].message


def test_a_file_without_an_email_column_is_refused():
    rows, errors = read("adresse,langue\nune@example.org,fr\n")
    assert rows == [] and errors[0].line == 1


def test_a_file_that_is_not_text_is_refused():
    rows, errors = read_subscribers_csv(b"\xff\xfe\x00binary")
    assert rows == [] and errors


def test_the_admins_export_is_read_back_keeping_consent_and_who_left():
    rows, errors = read_subscribers_csv(
        b"email,language,status,signed_up,confirmed,left\n"
        b"fidele@example.org,fr,confirmed,2024-01-01T09:00:00+00:00,2024-01-02T09:00:00+00:00,\n"
        b"attente@example.org,en,pending,2024-01-03T09:00:00+00:00,,\n"
        b"partie@example.org,fr,unsubscribed,2024-01-01T09:00:00+00:00,,2024-02-01T09:00:00+00:00\n"
        b"rebond@example.org,fr,suppressed,2024-01-01T09:00:00+00:00,,\n"
        b"'=calcul@example.org,fr,confirmed,,2024-01-04T09:00:00+00:00,\n"
    )

    assert errors == []
    read = {row.email: (row.consent_date, row.no_longer_subscribed) for row in rows}
    assert read == {
        "fidele@example.org": (date(2024, 1, 2), False),
        "attente@example.org": (None, False),
        "partie@example.org": (None, True),
        "rebond@example.org": (None, True),
        "=calcul@example.org": (date(2024, 1, 4), False),
    }


def test_an_unknown_status_is_a_row_error():
    _rows, errors = read_subscribers_csv(b"email,status\nx@example.org,banned\n")

    assert [error.line for error in errors] == [2]
