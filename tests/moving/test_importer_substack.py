import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from moving.importers import ImportRefused, substack

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples" / "substack"

POSTS_CSV = (
    "post_id,post_date,is_published,email_sent_at,type,audience,title,subtitle,podcast_url\n"
    "101.l-ete,2021-07-01T08:30:00.000Z,true,2021-07-01T08:31:00.000Z,newsletter,everyone,"
    "L’été,&#x201C;Chaud&#x201D;,\n"
    "102.paye,2021-07-02T08:30:00.000Z,true,,newsletter,only_paid,Payé,,\n"
    "103.brouillon,2021-07-03T08:30:00.000Z,false,,newsletter,everyone,Brouillon,,\n"
    "104.ecoute,2021-07-04T08:30:00.000Z,true,,podcast,everyone,Écoute,,"
    "https://example.com/a.mp3?x=1&y=2\n"
    "105.apropos,2021-07-05T08:30:00.000Z,true,,page,everyone,À propos,,\n"
    "106.abonnes,2021-07-06T08:30:00.000Z,true,,newsletter,only_free,Abonnés,,\n"
)
BODIES = {
    "posts/101.l-ete.html": "<p>Il fait chaud à Nîmes.</p>".encode(),
    "posts/102.paye.html": b"<p>Paid.</p>",
    "posts/103.brouillon.html": b"<p>Draft.</p>",
    "posts/104.ecoute.html": b"<p>Notes.</p>",
    "posts/105.apropos.html": b"<p>About.</p>",
}
EMAIL_LIST = (
    "email,active_subscription,expiry,email_disabled,prefer_digests,created_at\n"
    "ana@example.com,true,2021-07-06T16:20:44.000Z,false,false,2018-08-27T15:06:27.713Z\n"
    "gone@example.com,,,true,false,2019-01-02T03:04:05.000Z\n"
)
SUBSCRIBERS = (
    "email,expiry,email_disabled,prefer_digests,stripe_connected_customer_id,type\n"
    "ana@example.com,2021-07-06T16:20:44.000Z,false,false,cus_1,paid\n"
    "paid-only@example.com,,false,false,cus_2,comp\n"
)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_detect_the_zip_by_its_names_and_member_csvs_by_their_header():
    assert substack.detect(b"ZIP\nposts.csv\nposts/101.l-ete.html\nemail_list.x.csv")
    assert substack.detect(b"ZIP\nexport/posts.csv\nexport/posts/101.l-ete.html")
    assert not substack.detect(b"ZIP\nposts.csv\nmanifest.json")
    assert substack.detect(EMAIL_LIST.encode())
    assert substack.detect(SUBSCRIBERS.encode())
    assert substack.detect(POSTS_CSV.encode())
    assert not substack.detect(b"email_address,name\na@example.com,A\n")
    assert not substack.detect(b"Email Address,OPTIN_TIME,LEID\n")


def test_posts_with_bodies_in_files():
    export = substack.read(POSTS_CSV.encode(), files=BODIES)
    posts = {post.source_id: post for post in export.posts}
    ete = posts["101"]
    assert (ete.slug, ete.title, ete.excerpt, ete.kind, ete.status) == (
        "l-ete",
        "L’été",
        "“Chaud”",
        "post",
        "published",
    )
    assert ete.body_html == "<p>Il fait chaud à Nîmes.</p>"
    assert ete.published_at == datetime(2021, 7, 1, 8, 30, tzinfo=UTC)
    assert ete.old_urls == ["/p/l-ete"]
    assert posts["102"].status == "private"  # paid-only: not made public
    assert posts["103"].status == "draft" and posts["103"].old_urls == []
    assert posts["104"].body_html.startswith('<p><a href="https://example.com/a.mp3?x=1&amp;y=2">')
    assert posts["104"].body_html.endswith("<p>Notes.</p>")
    assert posts["105"].kind == "page"
    assert posts["106"].status == "published" and posts["106"].body_html == ""
    # Paid-only, free-subscribers-only, and 106's missing HTML file.
    assert [problem.what.split()[-1] for problem in export.warnings] == [
        "102.paye",
        "106.abonnes",
        "106.abonnes",
    ]


def test_members_both_files_merged():
    export = substack.read(EMAIL_LIST.encode(), files={"subscribers.csv": SUBSCRIBERS.encode()})
    by_email = {s.email: s for s in export.subscribers}
    assert set(by_email) == {"ana@example.com", "gone@example.com", "paid-only@example.com"}
    assert by_email["ana@example.com"].status == "subscribed"
    assert by_email["ana@example.com"].opted_in_at == datetime(
        2018, 8, 27, 15, 6, 27, 713000, tzinfo=UTC
    )
    assert by_email["gone@example.com"].status == "unsubscribed"  # email_disabled
    assert by_email["paid-only@example.com"].opted_in_at is None


def test_whole_zip_read():
    data = zipped(
        {"posts.csv": POSTS_CSV.encode(), **BODIES, "email_list.pub.csv": EMAIL_LIST.encode()}
    )
    export = substack.read(data)
    assert len(export.posts) == 6 and len(export.subscribers) == 2


def test_unknown_csv_refused():
    with pytest.raises(ImportRefused):
        substack.read(b"email_address,name\na@example.com,A\n")


def test_sample_folder_as_a_zip():
    if not SAMPLES.exists():
        pytest.skip(f"{SAMPLES} is absent: the shared samples are not here")
    members = {
        str(path.relative_to(SAMPLES)): path.read_bytes()
        for path in sorted(SAMPLES.rglob("*"))
        if path.is_file() and (path.name == "posts.csv" or path.parent.name in {"posts", "members"})
    }
    data = zipped(members)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert substack.detect(b"ZIP\n" + "\n".join(names).encode())
    export = substack.read(data)
    assert export.platform == "substack"
    assert [post.slug for post in export.posts] == [
        "plain-text",
        "podcast",
        "thread",
        "draft-text",
        "about-us",
    ]
    first = export.posts[0]
    assert (first.source_id, first.title, first.excerpt) == (
        "123401",
        "Plain Text",
        "“This quote’s rather short”",
    )
    assert first.published_at == datetime(2019, 7, 26, 20, 48, 19, 814000, tzinfo=UTC)
    assert first.body_html.startswith("<h2>Lorem Ipsum</h2>")
    assert [post.status for post in export.posts] == [
        "published",
        "published",
        "published",
        "draft",
        "published",
    ]
    assert export.posts[1].body_html.startswith(
        '<p><a href="https://example.com/my-audio/file.mp3">'
    )
    assert export.posts[4].kind == "page"
    assert [post.old_urls for post in export.posts][:2] == [["/p/plain-text"], ["/p/podcast"]]
    # Both member files: the 21 of the e-mail list, the 17 paying ones all among them.
    by_email = {s.email: s for s in export.subscribers}
    assert len(export.subscribers) == 21
    assert by_email["ömil@gmail.com"].status == "subscribed"
    assert by_email["maguirec086@comm.ca"].status == "unsubscribed"
    assert by_email["nottimferris@gmail.com"].status == "unsubscribed"
    assert sum(s.status == "unsubscribed" for s in export.subscribers) == 2
    assert by_email["herroooo@substack.com"].opted_in_at == datetime(
        2018, 8, 27, 15, 6, 27, 713000, tzinfo=UTC
    )
    assert export.skipped == [] and export.warnings == []
