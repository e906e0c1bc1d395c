import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from comments import tasks, tokens
from comments.models import Comment
from tests.blog.factories import PostFactory, UserFactory
from tests.blog.test_views import POST_PAGE_QUERIES
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def comment_data(post, **overrides):
    return {
        "author_name": "Camille Durand",
        "author_email": "camille@example.org",
        "author_url": "",
        "body": "Merci pour ce billet, *vraiment*.",
        "issued": tokens.form_issued_token(post.pk),
        **overrides,
    }


def post_comment(client, post, prefix="", **overrides):
    return client.post(
        f"{prefix}/comments/post/{post.pk}/",
        comment_data(post, **overrides),
        HTTP_USER_AGENT="Mozilla/5.0 Firefox/130.0",
        HTTP_REFERER=f"http://testserver{post.get_absolute_url()}",
        REMOTE_ADDR="198.51.100.20",
    )


@pytest.fixture(autouse=True)
def no_broker(enqueued):
    """Keep spam checks off the broker: these tests look at what the reader sees."""
    return enqueued


def test_the_form_says_what_is_required_and_that_the_email_stays_private(client, settings):
    settings.AKISMET_API_KEY = "key"
    post = PostFactory()

    page = client.get(post.get_absolute_url()).content.decode()

    assert 'id="respond"' in page and "Laisser un commentaire" in page
    assert (
        '<label class="form-label" for="id_author_email">E-mail <span class="required-mark"' in page
    )
    assert "Votre adresse e-mail ne sera jamais publiée." in page
    assert "Ce site utilise Akismet pour réduire les indésirables." in page
    assert 'href="https://akismet.com/privacy/"' in page
    assert 'name="fax_number"' in page and 'aria-hidden="true"' in page


def test_without_akismet_the_form_does_not_claim_to_use_it(client):
    page = client.get(PostFactory().get_absolute_url()).content.decode()

    assert "Akismet" not in page


def test_posting_redirects_to_the_comment_and_says_it_awaits_moderation(client):
    post = PostFactory()

    response = post_comment(client, post)

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/{post.slug}/#comment-{comment.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "Merci ! Votre commentaire est en attente de modération." in page
    assert f'id="comment-{comment.pk}"' in page
    assert "Votre commentaire est en attente de modération. Vous seul le voyez" in page
    assert "<em>vraiment</em>" in page


def test_the_comment_is_stored_pending_with_the_readers_context(
    client, no_broker, django_capture_on_commit_callbacks
):
    post = PostFactory()

    with django_capture_on_commit_callbacks(execute=True):
        post_comment(client, post, prefix="/en", notify_replies="on")

    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert (comment.ip_address, comment.user_agent, comment.language) == (
        "198.51.100.20",
        "Mozilla/5.0 Firefox/130.0",
        "en",
    )
    assert comment.referrer == f"http://testserver/{post.slug}/"
    assert comment.notify_replies
    assert no_broker == [("check_comment", (comment.pk,))]


def test_a_pending_comment_shows_only_in_the_browser_that_sent_it(client, django_user_model):
    from django.test import Client

    post = PostFactory()
    post_comment(client, post, body="Mon avis à moi.")
    stranger = Client()

    assert "Mon avis à moi." in client.get(post.get_absolute_url()).content.decode()
    assert "Mon avis à moi." not in stranger.get(post.get_absolute_url()).content.decode()


def test_a_forged_pending_cookie_shows_nothing(client):
    post = PostFactory()
    secret = CommentFactory(post=post, pending=True, body="Le brouillon de quelqu’un d’autre.")
    client.cookies["chezsoi_pending"] = str(secret.pk)

    assert "quelqu’un d’autre" not in client.get(post.get_absolute_url()).content.decode()


def test_the_reader_who_sent_it_sees_it_even_after_another_comment(client):
    post = PostFactory()
    post_comment(client, post, body="Premier avis.")
    post_comment(client, post, body="Second avis.")

    page = client.get(post.get_absolute_url()).content.decode()

    assert "Premier avis." in page and "Second avis." in page


def test_errors_show_next_to_their_field_and_keep_the_text(client, settings):
    settings.COMMENTS_MAX_LENGTH = 20
    post = PostFactory()

    response = post_comment(client, post, author_email="pas-une-adresse", body="x" * 30)

    page = response.content.decode()
    assert response.status_code == 400
    assert not Comment.objects.exists()
    assert (
        'id="id_author_email_error">Saisissez une adresse e-mail comme nom@exemple.fr.</div>'
        in page
    )
    assert 'aria-invalid="true"' in page
    assert "trop long : 30 caractères" in page
    assert "x" * 30 in page and "Camille Durand" in page


def test_a_refused_comment_opens_on_a_focused_summary_linking_each_field_in_error(client):
    post = PostFactory()

    page = post_comment(client, post, author_name=" ", author_email="pas-une-adresse").content

    summary = re.search(rb'<div [^>]*id="comment-form-errors"[^>]*>(.*?)</div>', page, re.S)
    assert summary is not None
    assert b'role="alert"' in summary.group(0) and b'tabindex="-1" autofocus' in summary.group(0)
    links = re.findall(r'<a href="#(id_[a-z_]+)">([^<]*)</a>', summary.group(1).decode())
    assert links == [
        ("id_author_name", "Nom\u00a0: Ce champ est obligatoire."),
        ("id_author_email", "E-mail\u00a0: Saisissez une adresse e-mail comme nom@exemple.fr."),
    ]
    for field in ("author_name", "author_email"):
        assert re.search(
            rf'<input [^>]*name="{field}"[^>]*aria-invalid="true" '
            rf'aria-describedby="[^"]*id_{field}_error"',
            page.decode(),
        )


def test_the_form_is_sent_to_its_error_summary_so_a_refusal_opens_there(client):
    page = client.get(PostFactory().get_absolute_url()).content.decode()

    assert re.search(
        r'<form class="comment-form" method="post" action="[^"]*#comment-form-errors"', page
    )


def test_a_form_error_that_belongs_to_no_field_is_in_the_summary(client):
    post = PostFactory()

    page = post_comment(client, post, issued="falsifié").content.decode()

    assert "<li>Ce formulaire n’a pas pu être lu." in page
    assert "Votre commentaire n’a pas été envoyé.</p>" in page


def test_opening_the_posting_address_leads_back_to_the_posts_form(client):
    post = PostFactory()

    response = client.get(f"/comments/post/{post.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}#respond"


def test_the_website_field_lets_the_browser_send_a_bare_host_which_the_site_completes(client):
    post = PostFactory()
    page = client.get(post.get_absolute_url()).content.decode()

    field = re.search(r'<input [^>]*name="author_url"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'inputmode="url"' in field
    assert 'autocomplete="url"' in field
    assert post_comment(client, post, author_url="alice.example.net").status_code == 302
    assert Comment.objects.get().author_url == "https://alice.example.net"


def test_a_form_sent_too_fast_is_shown_again_ready_to_resend(client, settings):
    settings.COMMENTS_MIN_SECONDS = 30
    post = PostFactory()

    response = post_comment(client, post)

    page = response.content.decode()
    assert response.status_code == 400
    assert "C’était très rapide" in page
    assert "Merci pour ce billet" in page


def test_the_honeypot_refuses_robots_in_plain_words(client):
    post = PostFactory()

    response = post_comment(client, post, fax_number="0123456789")

    assert response.status_code == 400
    assert "champ caché" in response.content.decode()
    assert not Comment.objects.exists()


def test_posting_too_often_gets_a_readable_429(client, settings):
    settings.COMMENTS_RATE_LIMIT = 2
    settings.COMMENTS_RATE_LIMIT_PERIOD = 600
    post = PostFactory()
    address = f"192.0.2.{timezone.now().microsecond % 250 + 1}"
    statuses = [
        client.post(
            f"/comments/post/{post.pk}/",
            comment_data(post, body=f"Avis numéro {number}"),
            REMOTE_ADDR=address,
        ).status_code
        for number in range(3)
    ]

    response = client.post(
        f"/comments/post/{post.pk}/", comment_data(post, body="Encore"), REMOTE_ADDR=address
    )

    assert statuses == [302, 302, 429]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 601
    assert "Trop de commentaires" in response.content.decode()
    assert Comment.objects.count() == 2


def test_behind_a_proxy_the_limit_counts_the_readers_address(client, settings):
    settings.COMMENTS_RATE_LIMIT = 1
    settings.COMMENTS_CLIENT_IP_HEADER = "X-Real-IP"
    post = PostFactory()
    first = client.post(
        f"/comments/post/{post.pk}/",
        comment_data(post, body="Depuis une adresse"),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP=f"203.0.113.{timezone.now().microsecond % 250 + 1}",
    )
    second = client.post(
        f"/comments/post/{post.pk}/",
        comment_data(post, body="Depuis une autre"),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="2001:db8::42",
    )

    assert (first.status_code, second.status_code) == (302, 302)
    assert Comment.objects.filter(ip_address="2001:db8::42").exists()


def test_a_post_closed_to_comments_says_so_and_refuses_them(client):
    post = PostFactory(comments_open=False)
    CommentFactory(post=post, body="Un ancien avis reste visible.")

    page = client.get(post.get_absolute_url()).content.decode()
    response = post_comment(client, post)

    assert "Les commentaires sont fermés." in page and 'id="respond"' not in page
    assert "Un ancien avis reste visible." in page
    assert response.status_code == 403
    assert "Les commentaires sont fermés" in response.content.decode()
    assert Comment.objects.count() == 1


def test_comments_close_by_themselves_after_the_configured_days(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    old = PostFactory(published_at=timezone.now() - timedelta(days=15))
    recent = PostFactory(published_at=timezone.now() - timedelta(days=3))

    assert post_comment(client, old).status_code == 403
    assert post_comment(client, recent).status_code == 302
    page = client.get(recent.get_absolute_url()).content.decode()
    assert "Les commentaires fermeront le" in page


def test_unpublished_posts_take_no_comments(client):
    assert post_comment(client, PostFactory(draft=True)).status_code == 404
    assert client.get(f"/comments/post/{PostFactory(draft=True).pk}/").status_code == 404


def test_sign_in_can_be_required(client, settings):
    settings.COMMENTS_REQUIRE_LOGIN = True
    post = PostFactory()

    page = client.get(post.get_absolute_url()).content.decode()
    response = post_comment(client, post)

    assert "pour laisser un commentaire" in page and 'id="id_body"' not in page
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Comment.objects.exists()


def test_a_signed_in_reader_finds_name_and_email_filled_in(client):
    reader = UserFactory(first_name="Inès", last_name="Moreau", email="ines@example.org")
    client.force_login(reader)
    post = PostFactory()

    page = client.get(post.get_absolute_url()).content.decode()
    post_comment(client, post, author_name="Inès Moreau", author_email="ines@example.org")

    assert 'value="Inès Moreau"' in page and 'value="ines@example.org"' in page
    assert Comment.objects.get().user == reader


def test_reply_link_opens_the_form_as_a_reply(client):
    parent = CommentFactory(author_name="Bruno")

    page = client.get(f"{parent.post.get_absolute_url()}?replytocom={parent.pk}").content.decode()

    assert f'href="/{parent.post.slug}/?replytocom={parent.pk}#respond"' in page
    assert "Répondre à Bruno" in page
    assert f'name="parent" value="{parent.pk}"' in page


def test_a_reply_is_stored_under_its_parent(client):
    parent = CommentFactory()

    post_comment(client, parent.post, parent=str(parent.pk))

    assert Comment.objects.get(parent=parent).depth == 2


def test_threads_nest_oldest_first_and_stop_offering_replies_at_the_deepest_level(client):
    root = CommentFactory(body="Racine")
    reply = CommentFactory(parent=root, body="Réponse")
    deepest = CommentFactory(parent=reply, body="Au fond")
    later = CommentFactory(post=root.post, body="Plus tard")

    page = client.get(root.post.get_absolute_url()).content.decode()

    order = [page.index(text) for text in ("Racine", "Réponse", "Au fond", "Plus tard")]
    assert order == sorted(order)
    assert page.count('<ol class="comment-replies">') == 2
    assert f"?replytocom={reply.pk}#respond" in page
    assert f"?replytocom={deepest.pk}#respond" not in page
    assert later.pk


def test_comment_dates_are_written_in_the_readers_language(client):
    created = timezone.make_aware(datetime(2026, 3, 4, 15, 30), ZoneInfo("Europe/Paris"))
    comment = CommentFactory(created_at=created)
    Comment.objects.filter(pk=comment.pk).update(created_at=created)
    path = comment.post.get_absolute_url()

    french = client.get(path).content.decode()
    english = client.get("/en" + path).content.decode()

    assert '<time datetime="2026-03-04T15:30:00+01:00">4 mars 2026 15:30</time>' in french
    assert '<time datetime="2026-03-04T15:30:00+01:00">March 4, 2026, 3:30 p.m.</time>' in english


def test_each_comment_shows_author_link_date_anchor_and_initials(client):
    comment = CommentFactory(author_name="Zoé Martin", author_url="https://zoe.example.org/")

    page = client.get(comment.post.get_absolute_url()).content.decode()

    assert '<a href="https://zoe.example.org/" rel="nofollow ugc noopener">Zoé Martin</a>' in page
    assert f'<a class="comment-permalink" href="#comment-{comment.pk}"><time datetime=' in page
    assert '<span class="avatar" aria-hidden="true">ZM</span>' in page
    assert "gravatar" not in page and comment.author_email not in page


def test_an_authors_name_is_isolated_so_a_right_to_left_override_stays_inside_it(client):
    name = "Mallory \u202eesrever"
    comment = CommentFactory(author_name=name)
    CommentFactory(post=comment.post, parent=comment)

    page = client.get(f"{comment.post.get_absolute_url()}?replytocom={comment.pk}").content.decode()

    assert f'id="comment-{comment.pk}-author"><bdi>{name}</bdi></span>' in page
    assert f"<bdi>Répondre à {name}</bdi></h2>" in page


def test_gravatar_only_when_the_site_enables_it(client, settings):
    settings.COMMENTS_GRAVATAR = True
    comment = CommentFactory()

    page = client.get(comment.post.get_absolute_url()).content.decode()

    assert 'src="https://www.gravatar.com/avatar/' in page
    assert 'referrerpolicy="no-referrer"' in page


def test_removed_and_spam_comments_never_show(client):
    post = PostFactory()
    CommentFactory(post=post, status=Comment.Status.SPAM, body="Achetez des montres")
    CommentFactory(post=post, status=Comment.Status.REMOVED, body="Propos retirés")

    page = client.get(post.get_absolute_url()).content.decode()

    assert "montres" not in page and "retirés" not in page
    assert "0 commentaire" in page


def test_list_pages_count_approved_comments_only(client):
    post = PostFactory(title="Compté")
    CommentFactory.create_batch(2, post=post)
    CommentFactory(post=post, pending=True)

    assert "2 commentaires" in client.get("/").content.decode()


@pytest.mark.parametrize("count", [0, 200])
def test_post_page_queries_do_not_grow_with_comments(client, count):
    post = PostFactory()
    roots = CommentFactory.create_batch(count // 4, post=post)
    for index in range(count - len(roots)):
        parent = roots[index % len(roots)]
        if index % 3 == 0:
            parent = CommentFactory(parent=parent)
        CommentFactory(parent=parent)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(post.get_absolute_url())

    assert response.status_code == 200
    assert Comment.objects.approved().count() >= count
    assert len(queries) == POST_PAGE_QUERIES


def test_comments_feed_lists_approved_comments_newest_first(client):
    post = PostFactory(title="Le pain")
    first = CommentFactory(post=post, author_name="Alice", body="Premier")
    CommentFactory(post=post, author_name="Bruno", body="Second")
    CommentFactory(post=post, pending=True, body="Pas encore")

    response = client.get(f"/comments/feed/{post.slug}/")
    feed = response.content.decode()

    assert response["Content-Type"].startswith("application/rss+xml")
    assert "Commentaires sur « Le pain »" in feed or "Le pain" in feed
    assert feed.index("Second") < feed.index("Premier")
    assert "Pas encore" not in feed
    assert f"http://testserver/{post.slug}/#comment-{first.pk}" in feed


def test_the_post_page_links_its_comments_feed(client):
    post = PostFactory()

    page = client.get(post.get_absolute_url()).content.decode()

    assert 'type="application/rss+xml" title="Commentaires sur' in page
    assert f'href="/comments/feed/{post.slug}/"' in page


def stop_url(subscription):
    return f"/comments/stop/{tokens.stop_notifications_token(subscription)}/"


def test_opening_the_stop_link_asks_and_changes_nothing(client):
    subscription = CommentFactory(notify_replies=True, post=PostFactory(title="Le levain"))

    # What a mail service's link scanner does, and the reader's first click.
    response = client.get(stop_url(subscription))

    page = response.content.decode()
    subscription.refresh_from_db()
    assert response.status_code == 200
    assert "Arrêter les notifications de réponses ?" in page
    assert "« Le levain »" in page
    assert '<form method="post">' in page and "Arrêter ces e-mails</button>" in page
    assert subscription.notify_replies


def test_the_button_on_the_stop_page_stops_notifications(client):
    from django.test import Client

    subscription = CommentFactory(notify_replies=True)
    # The page's form carries no CSRF token: the signed token in the address authorises it.
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(stop_url(subscription))

    subscription.refresh_from_db()
    assert response.status_code == 200
    assert "Vous ne recevrez plus" in response.content.decode()
    assert not subscription.notify_replies


def test_mail_programs_can_stop_notifications_with_a_one_click_post(client):
    from django.test import Client

    subscription = CommentFactory(notify_replies=True)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(stop_url(subscription), {"List-Unsubscribe": "One-Click"})

    subscription.refresh_from_db()
    # RFC 8058: answered as it is, not redirected.
    assert response.status_code == 200 and not subscription.notify_replies


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("token", ["nonsense", "eyJjb21tZW50IjoxfQ:1abc:forged"])
def test_a_tampered_stop_link_says_so(client, token, method):
    subscription = CommentFactory(notify_replies=True)

    response = getattr(client, method)(f"/comments/stop/{token}/")

    subscription.refresh_from_db()
    assert response.status_code == 400
    assert "Ce lien n’est pas valide" in response.content.decode()
    assert subscription.notify_replies


def test_a_token_signed_for_another_purpose_does_not_stop_notifications(client):
    from django.core import signing

    subscription = CommentFactory(notify_replies=True)
    token = signing.dumps({"comment": subscription.pk}, salt=tokens.FORM_ISSUED_SALT)

    assert client.post(f"/comments/stop/{token}/").status_code == 400
    subscription.refresh_from_db()
    assert subscription.notify_replies


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", [BrokerUnavailable, ConnectionRefusedError])
def test_a_broker_outage_at_submit_time_loses_nothing(client, monkeypatch, caplog, error):
    def broker_down(*args, **kwargs):
        raise error("Redis is down")

    monkeypatch.setattr(tasks.check_comment, "apply_async", broker_down)
    post = PostFactory()

    response = post_comment(client, post)

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING and comment.verdict == ""
    assert "Redis is down" in caplog.text


# Authors fixing their own comments ---------------------------------------------------------------

REFUSED_FR = "Le délai pour modifier ce commentaire est écoulé"


def edit_link(comment):
    return f'<a href="/comments/{comment.pk}/edit/" rel="nofollow">Modifier'


@pytest.fixture
def posted(client, settings):
    """A comment just posted from `client`'s browser, edited within 15 minutes."""
    settings.COMMENT_EDIT_MINUTES = 15
    post = PostFactory()
    post_comment(client, post, body="Le levain doit reposer une nuiit.")
    return Comment.objects.get()


def test_posting_gives_this_browser_a_signed_httponly_cookie_to_edit_its_comment(client, posted):
    cookie = client.cookies["chezsoi_edit"]

    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 15 * 60
    assert str(posted.pk) in cookie.value
    page = client.get(posted.post.get_absolute_url()).content.decode()
    assert edit_link(posted) in page


def test_only_the_browser_that_posted_sees_the_edit_link(client, posted):
    CommentFactory(post=posted.post, body="Un autre avis.")
    posted.status = Comment.Status.APPROVED
    posted.save(update_fields=["status"])

    own_page = client.get(posted.post.get_absolute_url()).content.decode()
    other_page = Client().get(posted.post.get_absolute_url()).content.decode()

    assert own_page.count('class="comment-edit"') == 1
    assert "Un autre avis." in other_page and "comment-edit" not in other_page


def test_the_edit_page_shows_the_words_and_a_delete_button(client, posted):
    response = client.get(f"/comments/{posted.pk}/edit/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Le levain doit reposer une nuiit.</textarea>" in page
    assert f'action="/comments/{posted.pk}/delete/"' in page
    assert "Supprimer ce commentaire" in page
    edit_form, delete_form = re.findall(r'<form class="comment-[a-z]+".*?</form>', page, re.S)
    assert "csrfmiddlewaretoken" in edit_form and "csrfmiddlewaretoken" in delete_form
    assert response["Cache-Control"].startswith("max-age=0")


def test_saving_an_edit_redirects_to_the_comment_awaiting_moderation_again(
    client, posted, enqueued, django_capture_on_commit_callbacks
):
    posted.status = Comment.Status.APPROVED
    posted.save(update_fields=["status"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/comments/{posted.pk}/edit/", {"body": "Le levain doit reposer une nuit."}
        )

    assert response.status_code == 302
    assert response["Location"] == f"/{posted.post.slug}/#comment-{posted.pk}"
    stored = Comment.objects.get(pk=posted.pk)
    assert (stored.body, stored.status) == ("Le levain doit reposer une nuit.", "pending")
    assert enqueued == [("check_comment", (posted.pk,))]
    page = client.get(response["Location"]).content.decode()
    assert "Il est de nouveau en attente de modération." in page
    assert "Le levain doit reposer une nuit." in page
    assert "Votre commentaire est en attente de modération. Vous seul le voyez" in page


def test_an_edit_is_held_to_the_rules_of_a_new_comment(client, posted, settings):
    settings.COMMENTS_MAX_LENGTH = 40

    response = client.post(f"/comments/{posted.pk}/edit/", {"body": "Beaucoup trop long " * 5})

    assert response.status_code == 400
    assert "Votre commentaire est trop long" in response.content.decode()
    assert Comment.objects.get(pk=posted.pk).body == "Le levain doit reposer une nuiit."


def assert_refused(response, posted):
    assert response.status_code == 403
    assert REFUSED_FR in response.content.decode()
    stored = Comment.objects.get(pk=posted.pk)
    assert stored.body == "Le levain doit reposer une nuiit."
    assert stored.status == Comment.Status.PENDING
    assert not stored.decisions.exists()


def test_after_the_time_allowed_the_link_is_gone_and_changes_are_refused(client, posted):
    with time_machine.travel(posted.created_at + timedelta(minutes=15, seconds=1)):
        page = client.get(posted.post.get_absolute_url()).content.decode()
        assert f'id="comment-{posted.pk}"' in page and "comment-edit" not in page
        assert_refused(client.get(f"/comments/{posted.pk}/edit/"), posted)
        assert_refused(client.post(f"/comments/{posted.pk}/edit/", {"body": "Corrigé."}), posted)
        assert_refused(client.post(f"/comments/{posted.pk}/delete/"), posted)


def test_the_refusal_is_in_the_readers_language(client, posted):
    with time_machine.travel(posted.created_at + timedelta(minutes=16)):
        page = client.get(f"/en/comments/{posted.pk}/edit/").content.decode()

    assert "The time to edit this comment has passed" in page
    assert "during the 15 minutes after it is posted" in page


def test_another_browser_cannot_edit_or_delete(posted):
    other = Client()

    assert_refused(other.get(f"/comments/{posted.pk}/edit/"), posted)
    assert_refused(other.post(f"/comments/{posted.pk}/edit/", {"body": "Pris !"}), posted)
    assert_refused(other.post(f"/comments/{posted.pk}/delete/"), posted)


def test_a_forged_cookie_or_one_for_another_comment_is_refused(client, posted):
    someone_elses = CommentFactory(post=posted.post, body="Pas à moi.")

    response = client.post(f"/comments/{someone_elses.pk}/edit/", {"body": "Pris !"})
    assert response.status_code == 403 and REFUSED_FR in response.content.decode()
    assert Comment.objects.get(pk=someone_elses.pk).body == "Pas à moi."

    client.cookies["chezsoi_edit"] = f"{someone_elses.pk}:forged"
    response = client.post(f"/comments/{someone_elses.pk}/edit/", {"body": "Pris !"})
    assert response.status_code == 403
    assert Comment.objects.get(pk=someone_elses.pk).body == "Pas à moi."
    assert_refused(client.get(f"/comments/{posted.pk}/edit/"), posted)


def test_a_comment_that_does_not_exist_gets_the_same_refusal(client, posted):
    response = client.get(f"/comments/{posted.pk + 1000}/edit/")

    assert response.status_code == 403 and REFUSED_FR in response.content.decode()


def test_deleting_takes_the_comment_off_the_page(client, posted):
    response = client.post(f"/comments/{posted.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == f"/{posted.post.slug}/#comments"
    assert Comment.objects.get(pk=posted.pk).status == Comment.Status.REMOVED
    page = client.get(response["Location"]).content.decode()
    assert "Votre commentaire est supprimé." in page
    assert f'id="comment-{posted.pk}"' not in page


def test_deleting_is_a_post_only(client, posted):
    assert client.get(f"/comments/{posted.pk}/delete/").status_code == 405
    assert Comment.objects.get(pk=posted.pk).status == Comment.Status.PENDING
