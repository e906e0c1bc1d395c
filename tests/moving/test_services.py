from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from blog.models import Page, Post, Tag
from blog.services import posts_go_live
from comments.models import Comment
from moving import records, services
from moving.models import ImportedObject, ImportRun, Redirect
from newsletter.models import Subscriber, SubscriberEvent
from tests.blog.factories import PostFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2019, 5, 3, 10, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_media(monkeypatch):
    """The media library seam, replaced: images are 'fetched' into nothing, or fail."""
    fetched = []

    def fetch(url, *, alt_text, run, on_failure):
        fetched.append(url)
        if "missing" in url:
            on_failure(f"{url}: not downloaded")
        return None

    monkeypatch.setattr(services, "media_fetch", fetch)
    monkeypatch.setattr(services, "media_rewrite", lambda html, fetch: html)
    monkeypatch.setattr(services, "media_available", lambda: True)
    return fetched


@pytest.fixture(autouse=True)
def english():
    """Read the report as written in the code."""
    with translation.override("en"):
        yield


@pytest.fixture
def run():
    return ImportRun.objects.create(file_name="site.xml", created_by=SuperuserFactory())


def site(**changes) -> records.Export:
    export = records.Export(
        platform="wxr",
        site_url="https://old.example.com",
        authors=[records.Author("1", "Alice Martin", "alice@example.org")],
        terms=[
            records.Term("10", "Cuisine", "cuisine", kind="category"),
            records.Term("11", "Radis", "radis"),
        ],
        posts=[
            records.Post(
                "100",
                "Des radis",
                '<p>Des <strong>radis</strong> roses.</p>\n<p>Voir <a href="https://old.example.com/?p=101">la suite</a>.</p>',
                slug="des-radis",
                published_at=WHEN,
                author_source_id="1",
                language="fr",
                term_source_ids=["10", "11"],
                seo_title="Radis",
                old_urls=[
                    "https://old.example.com/2019/05/des-radis/",
                    "https://old.example.com/?p=100",
                ],
            ),
            records.Post(
                "101",
                "La suite",
                "Premier paragraphe\nligne deux\n\nSecond paragraphe",
                slug="la-suite",
                status="draft",
                published_at=WHEN,
                old_urls=["https://old.example.com/?p=101"],
            ),
            records.Post("102", "À propos", "<p>Moi.</p>", kind="page", slug="a-propos"),
        ],
        comments=[
            records.Comment(
                "c2",
                "100",
                "<p>Merci !</p>",
                "Bob",
                parent_source_id="c1",
                created_at=WHEN + timedelta(hours=2),
            ),
            records.Comment(
                "c1",
                "100",
                "<p>Joli <em>radis</em></p>",
                "Carole",
                "carole@example.org",
                author_ip="192.0.2.1",
                created_at=WHEN + timedelta(hours=1),
            ),
            records.Comment("c3", "100", "<p>Ailleurs</p>", "Blog", kind="pingback"),
            records.Comment("c4", "100", "<p>Pub</p>", "Spam", status="spam"),
        ],
    )
    for name, value in changes.items():
        setattr(export, name, value)
    return export


def test_writes_posts_pages_tags_and_authors(run):
    report = services.export_write(export=site(), run=run)

    assert report["counts"] | {} == {
        "posts": 1, "pages": 1, "drafts": 1, "tags": 1, "categories": 1, "comments": 3,
        "pingbacks": 1, "media": 0, "subscribers": 0, "redirects": 4,  # ?p=100, its permalink, ?p=101, /category/cuisine/
    }  # fmt: skip
    post = Post.objects.get(slug="des-radis")
    assert post.status == Post.Status.PUBLISHED and post.published_at == WHEN
    assert post.seo_title == "Radis" and post.language == "fr"
    assert sorted(post.tags.values_list("name", flat=True)) == ["Cuisine", "Radis"]
    alice = post.author
    assert alice.email == "alice@example.org" and alice.is_staff
    assert not alice.has_usable_password() and not alice.groups.exists()
    assert Post.objects.get(slug="la-suite").status == Post.Status.DRAFT
    assert Page.objects.get(slug="a-propos").title == "À propos"


def test_an_existing_user_with_the_same_email_is_the_author(run):
    existing = get_user_model().objects.create(username="alice", email="Alice@example.org")
    services.export_write(export=site(), run=run)
    assert Post.objects.get(slug="des-radis").author == existing


def test_body_renders_as_the_sanitized_source(run):
    export = site()
    export.posts[
        0
    ].body_html += '<script>alert(1)</script><figure><img src="https://old.example.com/a.jpg" alt="A"><figcaption>Un "radis"</figcaption></figure>'
    services.export_write(export=export, run=run)
    post = Post.objects.get(slug="des-radis")
    assert "<script" not in post.body_html
    assert "<p>Des <strong>radis</strong> roses.</p>" in post.body_html
    assert '<figcaption>Un "radis"</figcaption>' in post.body_html
    # Without block tags, paragraphs are made of blank lines and lines are kept.
    assert Post.objects.get(slug="la-suite").body_html == (
        "<p>Premier paragraphe<br>\nligne deux</p>\n\n<p>Second paragraphe</p>"
    )


def test_imported_posts_are_never_announced(run, monkeypatch):
    announced = []
    monkeypatch.setattr("blog.services.post_went_live.send", lambda **kw: announced.append(kw))
    services.export_write(export=site(), run=run)
    post = Post.objects.get(slug="des-radis")
    assert post.went_live_at is not None and not post.email_subscribers
    posts_go_live()
    assert announced == []


def test_a_scheduled_post_is_published_with_its_future_date(run):
    later = timezone.now() + timedelta(days=3)
    export = site()
    export.posts[0].status = "scheduled"
    export.posts[0].published_at = later
    services.export_write(export=export, run=run)
    post = Post.objects.get(slug="des-radis")
    assert post.status == Post.Status.PUBLISHED and post.published_at == later
    assert not post.is_live


def test_a_private_post_becomes_a_draft_with_a_warning(run):
    export = site()
    export.posts[0].status = "private"
    report = services.export_write(export=export, run=run)
    assert Post.objects.get(slug="des-radis").status == Post.Status.DRAFT
    assert any("private" in warning["reason"] for warning in report["warnings"])


def test_a_taken_slug_is_suffixed(run):
    PostFactory(slug="des-radis")
    services.export_write(export=site(), run=run)
    assert Post.objects.filter(slug="des-radis-2", title="Des radis").exists()


def test_slugs_are_valid_addresses_of_the_site(run):
    from django.core.exceptions import ValidationError

    from blog.models import slug_check_free

    posts = [
        # Blogger's slug for a Cyrillic title: a year's archive at /30/.
        records.Post("1", "Привет, мир", "<p>Б</p>", slug="30", published_at=WHEN),
        records.Post("2", "Feed", "<p>F</p>", slug="feed", published_at=WHEN),
        records.Post("3", "2024", "<p>A</p>", slug="2024", published_at=WHEN),
        records.Post("4", "Admin", "<p>P</p>", kind="page", slug="admin"),
        records.Post("5", "Ещё раз", "<p>B</p>", slug="", published_at=WHEN),
    ]
    services.export_write(export=site(posts=posts, comments=[]), run=run)

    slugs = {post.title: post.slug for post in [*Post.objects.all(), *Page.objects.all()]}
    assert slugs == {
        "Привет, мир": "privet-mir",
        "Feed": "post-feed",
        "2024": "post-2024",
        "Admin": "page-admin",
        "Ещё раз": "eschyo-raz",
    }
    for slug in slugs.values():
        for model in (Post, Page):  # what an editor saving the post would be told
            try:
                slug_check_free(slug, taken_by=model.objects.none(), message="")
            except ValidationError as refusal:  # pragma: no cover - the failure's message
                pytest.fail(f"{slug}: {refusal}")


def test_a_reserved_or_numeric_slug_is_never_made_even_when_suffixing(run):
    # A post already has the transliterated title: the suffix goes after it, never a bare number.
    PostFactory(slug="privet-mir")
    record = records.Post("1", "Привет, мир", "<p>Б</p>", slug="30", published_at=WHEN)
    services.export_write(export=site(posts=[record], comments=[]), run=run)
    assert Post.objects.filter(slug="privet-mir-2", title="Привет, мир").exists()


def test_a_rerun_updates_without_duplicating(run):
    services.export_write(export=site(), run=run)
    export = site()
    export.posts[0].title = "Des radis, encore"
    services.export_write(export=export, run=run)
    assert Post.objects.count() == 2 and Page.objects.count() == 1
    assert Post.objects.get(slug="des-radis").title == "Des radis, encore"
    assert Tag.objects.count() == 2 and Comment.objects.count() == 4
    assert get_user_model().objects.filter(email="alice@example.org").count() == 1
    assert Redirect.objects.count() == 4
    assert ImportedObject.objects.filter(kind="post").count() == 2


def test_a_dry_run_writes_nothing_and_reports(run):
    report = services.export_write(export=site(), run=run, dry_run=True)
    assert report["dry_run"] and report["counts"]["posts"] == 1
    assert not Post.objects.exists() and not Tag.objects.exists() and not Comment.objects.exists()
    assert not ImportedObject.objects.exists() and not Redirect.objects.exists()
    assert not get_user_model().objects.filter(email="alice@example.org").exists()


def test_comments_keep_threads_dates_and_states_without_notice(run, mailoutbox):
    services.export_write(export=site(), run=run)
    post = Post.objects.get(slug="des-radis")
    carole = Comment.objects.get(author_name="Carole")
    bob = Comment.objects.get(author_name="Bob")
    assert bob.parent == carole and bob.depth == 2
    assert carole.created_at == WHEN + timedelta(hours=1)
    assert str(carole.ip_address) == "192.0.2.1"
    assert carole.status == Comment.Status.APPROVED and carole.verdict == Comment.Verdict.SKIPPED
    assert "*radis*" in carole.body
    assert Comment.objects.get(author_name="Spam").status == Comment.Status.SPAM
    pingback = Comment.objects.get(author_name="Blog")
    assert pingback.body.startswith("*Pingback*")
    assert post.comment_count == 3  # approved: Carole, Bob, the pingback
    Post.objects.filter(pk=post.pk).update(comment_count=0)
    assert Post.objects.get(pk=post.pk).comment_count == 0
    services.export_write(export=site(), run=run)
    assert Post.objects.get(pk=post.pk).comment_count == 3
    assert mailoutbox == []


def test_pingbacks_dropped_on_request(run):
    run.keep_pingbacks = False
    report = services.export_write(export=site(), run=run)
    assert not Comment.objects.filter(author_name="Blog").exists()
    assert report["counts"]["pingbacks"] == 0
    assert any("--pingbacks drop" in skip["reason"] for skip in report["skipped"])


def test_redirects_and_links_between_imported_posts(run):
    services.export_write(export=site(), run=run)
    radis = Post.objects.get(slug="des-radis")
    suite = Post.objects.get(slug="la-suite")
    assert Redirect.objects.get(old_path="/?p=100").new_path == radis.get_canonical_path()
    assert (
        Redirect.objects.get(old_path="/2019/05/des-radis/").new_path == radis.get_canonical_path()
    )
    assert Redirect.objects.get(old_path="/?p=101").new_path == suite.get_canonical_path()
    assert f'href="{suite.get_canonical_path()}"' in radis.body
    assert "old.example.com/?p=101" not in radis.body_html


def test_media_failures_are_reported(run, no_media):
    export = site()
    export.posts[0].featured_image_url = "https://old.example.com/missing.jpg"
    report = services.export_write(export=export, run=run)
    assert no_media == ["https://old.example.com/missing.jpg"]
    assert report["failures"] and "missing.jpg" in report["failures"][0]["reason"]


def test_an_image_that_fails_twice_in_a_post_is_one_line_of_the_report(run, no_media, monkeypatch):
    export = site()
    export.posts[0].featured_image_url = "https://old.example.com/missing.jpg"
    export.posts[0].body_html += '<img src="https://old.example.com/missing.jpg" alt="">'

    def rewrite(html, fetch):  # the body's own copy of the cover's image
        fetch("https://old.example.com/missing.jpg")
        return html

    monkeypatch.setattr(services, "media_rewrite", rewrite)

    report = services.export_write(export=export, run=run)

    assert no_media.count("https://old.example.com/missing.jpg") >= 2
    lines = [f for f in report["failures"] if f["what"] == "post “Des radis”"]
    assert len(lines) == 1 and "missing.jpg" in lines[0]["reason"]


def subscribers_site(*subscribers):
    return records.Export(platform="mailchimp", subscribers=list(subscribers))


def test_subscribed_readers_come_with_their_consent(run):
    services.export_write(
        export=subscribers_site(
            records.Subscriber(
                "ana@example.org", "subscribed", opted_in_at=WHEN, opt_in_ip="192.0.2.7",
                confirmed_at=WHEN + timedelta(minutes=5), confirm_ip="192.0.2.8",
                consent_wording="Je veux la lettre",
            )
        ),
        run=run,
    )  # fmt: skip
    ana = Subscriber.objects.get(email="ana@example.org")
    assert ana.status == Subscriber.Status.CONFIRMED
    assert ana.confirmed_at == WHEN + timedelta(minutes=5)
    subscribe = SubscriberEvent.objects.get(subscriber=ana, kind="subscribe")
    assert subscribe.created_at == WHEN and subscribe.ip_address == "192.0.2.7"
    assert subscribe.consent_text == "Je veux la lettre" and subscribe.source == "import"
    assert subscribe.detail["platform"] == "mailchimp"
    confirm = SubscriberEvent.objects.get(subscriber=ana, kind="confirm")
    assert confirm.ip_address == "192.0.2.8"


def test_a_blank_cell_never_overwrites_stored_consent(run):
    full = records.Subscriber(
        "ana@example.org", "subscribed", opted_in_at=WHEN, opt_in_ip="192.0.2.7",
        consent_wording="Je veux la lettre",
    )  # fmt: skip
    services.export_write(export=subscribers_site(full), run=run)
    blank = records.Subscriber("ana@example.org", "subscribed", opted_in_at=WHEN)
    services.export_write(export=subscribers_site(blank), run=run)
    subscribe = SubscriberEvent.objects.get(subscriber__email="ana@example.org", kind="subscribe")
    assert subscribe.ip_address == "192.0.2.7" and subscribe.consent_text == "Je veux la lettre"
    assert SubscriberEvent.objects.filter(subscriber__email="ana@example.org").count() == 2


def test_pending_readers_are_not_sent_a_confirmation(
    run, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.export_write(
            export=subscribers_site(records.Subscriber("bo@example.org", "pending")), run=run
        )
    bo = Subscriber.objects.get(email="bo@example.org")
    assert bo.status == Subscriber.Status.PENDING
    assert not Subscriber.objects.awaiting_confirmation_email().exists()
    assert mailoutbox == []


def test_unsubscribed_and_cleaned_are_never_active(run):
    Subscriber.objects.create(email="cy@example.org", status=Subscriber.Status.CONFIRMED)
    services.export_write(
        export=subscribers_site(
            records.Subscriber("cy@example.org", "unsubscribed", left_at=WHEN),
            records.Subscriber("di@example.org", "cleaned", left_reason="bounce"),
            records.Subscriber("ed@example.org", "unsubscribed"),
        ),
        run=run,
    )
    assert Subscriber.objects.get(email="cy@example.org").status == Subscriber.Status.UNSUBSCRIBED
    assert Subscriber.objects.get(email="di@example.org").status == Subscriber.Status.SUPPRESSED
    assert Subscriber.objects.get(email="ed@example.org").status == Subscriber.Status.UNSUBSCRIBED
    assert not Subscriber.objects.confirmed().exists()


def test_nobody_who_left_here_is_subscribed_again(run):
    Subscriber.objects.create(email="fa@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    services.export_write(
        export=subscribers_site(
            records.Subscriber("fa@example.org", "subscribed", opted_in_at=WHEN)
        ),
        run=run,
    )
    assert Subscriber.objects.get(email="fa@example.org").status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize(
    ("site_url", "src", "fetched"),
    [
        # Ghost's own images, the site's address known.
        ("https://ghost.example.com", "/content/images/2024/radis.jpg",
         "https://ghost.example.com/content/images/2024/radis.jpg"),
        # WordPress in a folder: a relative path is under the site's address.
        ("https://old.example.com/blog", "wp-content/uploads/radis.jpg",
         "https://old.example.com/blog/wp-content/uploads/radis.jpg"),
        ("https://old.example.com/blog/", "../img/radis.jpg", "https://old.example.com/img/radis.jpg"),
        # Already absolute: as it is.
        ("https://old.example.com", "https://cdn.example.net/radis.jpg",
         "https://cdn.example.net/radis.jpg"),
    ],
)  # fmt: skip
def test_relative_images_are_fetched_from_the_old_site(
    run, monkeypatch, no_media, site_url, src, fetched
):
    from moving import media

    monkeypatch.setattr(services, "media_rewrite", media.html_media_rewrite)
    post = records.Post("1", "Radis", f'<p><img src="{src}" alt="r"></p>', published_at=WHEN)
    report = services.export_write(
        export=site(site_url=site_url, posts=[post], comments=[]), run=run
    )
    assert no_media == [fetched]
    assert report["failures"] == []


def test_relative_images_without_the_site_address_are_kept_and_reported(run, monkeypatch, no_media):
    from moving import media

    monkeypatch.setattr(services, "media_rewrite", media.html_media_rewrite)
    post = records.Post(
        "1", "Radis", '<p><img src="/content/images/radis.jpg" alt="r"></p>', published_at=WHEN,
        featured_image_url="/content/images/cover.jpg",
    )  # fmt: skip
    report = services.export_write(export=site(site_url="", posts=[post], comments=[]), run=run)
    assert no_media == []  # nothing asked of the network
    assert 'src="/content/images/radis.jpg"' in Post.objects.get().body
    reasons = " ".join(failure["reason"] for failure in report["failures"])
    assert "/content/images/radis.jpg" in reasons and "/content/images/cover.jpg" in reasons


def test_a_categorys_old_page_leads_to_its_tag(run, client):
    export = site()
    export.terms.append(records.Term("cat-9", "Potager d’hiver", "potager-dhiver", kind="category"))
    export.posts[0].term_source_ids.append("cat-9")
    services.export_write(export=export, run=run)

    response = client.get("/category/potager-dhiver/")

    assert response.status_code == 301
    assert response["Location"] == "/tag/potager-dhiver/"
    assert client.get(response["Location"]).status_code == 200
