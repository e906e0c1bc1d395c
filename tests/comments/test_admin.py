from datetime import UTC, datetime

import pytest

from comments import services
from comments.models import Comment, ModerationDecision
from tests.blog.factories import EditorFactory, SuperuserFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/comments/comment/"


@pytest.fixture
def editor(client):
    editor = EditorFactory()
    client.force_login(editor)
    return editor


def act(client, action, *comments):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [comment.pk for comment in comments]},
        follow=True,
    )


def test_changelist_has_a_tab_and_a_count_per_status(client, editor):
    CommentFactory.create_batch(2, pending=True)
    CommentFactory()
    CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.SPAM)
    CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.DISCARD)
    CommentFactory(status=Comment.Status.REMOVED)

    page = client.get(CHANGELIST).content.decode()

    for label, count in [
        ("En attente", 2),
        ("Approuvé", 1),
        ("Indésirable", 1),
        ("Retiré", 1),
        ("Indésirables jetés", 1),
    ]:
        assert f'{label} <span class="comment-tab-count">{count}</span>' in page


def test_default_view_hides_discarded_spam_which_has_its_own_tab(client, editor):
    CommentFactory(body="Spam ordinaire", status=Comment.Status.SPAM, verdict="spam")
    CommentFactory(body="Spam flagrant", status=Comment.Status.SPAM, verdict="discard")

    default = client.get(CHANGELIST).content.decode()
    spam_tab = client.get(CHANGELIST, {"status": "spam"}).content.decode()
    discarded = client.get(CHANGELIST, {"status": "discarded"}).content.decode()

    assert "Spam ordinaire" in default and "Spam flagrant" not in default
    assert "Spam ordinaire" in spam_tab and "Spam flagrant" not in spam_tab
    assert "Spam flagrant" in discarded and "Spam ordinaire" not in discarded


def test_the_list_shows_post_author_excerpt_verdict_and_date(client, editor):
    comment = CommentFactory(
        author_name="Zoé", author_email="zoe@example.org", body="Très juste.", verdict="ham"
    )

    page = client.get(CHANGELIST).content.decode()

    assert "Zoé" in page and "zoe@example.org" in page and "203.0.113.7" in page
    assert "Très juste." in page and comment.post.title in page
    assert "Non indésirable" in page


@pytest.mark.parametrize("terms", ["zoe@example", "Zoé", "198.51.100.77", "passionnant"], ids=str)
def test_search_by_author_email_ip_and_text(client, editor, terms):
    CommentFactory(
        author_name="Zoé",
        author_email="zoe@example.org",
        ip_address="198.51.100.77",
        body="Un billet passionnant.",
    )
    CommentFactory(author_name="Autre", body="Rien à voir.")

    page = client.get(CHANGELIST, {"q": terms}).content.decode()

    assert "Un billet passionnant." in page and "Rien à voir." not in page


def test_bulk_approve_publishes_and_records_who_decided(client, editor):
    comments = CommentFactory.create_batch(2, pending=True)

    page = act(client, "approve", *comments).content.decode()

    assert "2 commentaires approuvés." in page
    for comment in comments:
        comment.refresh_from_db()
        assert comment.status == Comment.Status.APPROVED
        decision = comment.decisions.get()
        assert (decision.moderator, decision.action) == (editor, "approve")


def test_mark_as_spam_reports_to_akismet(client, editor, akismet_on, enqueued):
    comment = CommentFactory(verdict=Comment.Verdict.HAM)

    with_callbacks = act(client, "mark_spam", comment)

    assert with_callbacks.status_code == 200
    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM
    assert comment.decisions.get().feedback == ModerationDecision.Feedback.PENDING


def test_not_spam_approves(client, editor):
    comment = CommentFactory(status=Comment.Status.SPAM, verdict=Comment.Verdict.SPAM)

    page = act(client, "mark_ham", comment).content.decode()

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert "marqué comme non indésirable et approuvé" in page


def test_remove_keeps_the_comment(client, editor):
    comment = CommentFactory()

    act(client, "remove", comment)

    comment.refresh_from_db()
    assert comment.status == Comment.Status.REMOVED


def test_single_decision_buttons_on_the_comment_page(client, editor):
    comment = CommentFactory(pending=True, body="À relire", author_name="Zoé")
    url = f"{CHANGELIST}{comment.pk}/change/"
    page = client.get(url).content.decode()

    response = client.post(
        url,
        {
            # An editor's attempt at rewriting the comment is ignored: moderation is by decision.
            "author_name": "Quelqu’un d’autre",
            "author_email": "autre@example.org",
            "author_url": "https://example.com",
            "body": "À relire, corrigé",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "_approve": "Approuver",
        },
        follow=True,
    )

    assert 'name="_approve"' in page and 'name="_spam"' in page and 'name="_remove"' in page
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert (comment.author_name, comment.body, comment.author_url) == ("Zoé", "À relire", "")
    assert "Le commentaire est approuvé." in response.content.decode()
    assert "Approuvé" in client.get(url).content.decode()  # the history shows the decision


def test_the_comment_page_shows_the_readers_words_without_fields_to_change_them(client, editor):
    comment = CommentFactory(body="Texte du lecteur", author_name="Zoé")

    page = client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()

    assert "Texte du lecteur" in page and "Zoé" in page
    for field in ("author_name", "author_email", "author_url", "body"):
        assert f'name="{field}"' not in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page


def test_the_admin_says_when_spam_filtering_is_off(client, editor, settings):
    settings.AKISMET_API_KEY = ""
    assert "Le filtrage des indésirables est désactivé" in client.get(CHANGELIST).content.decode()
    assert "Le filtrage des indésirables est désactivé" in client.get("/admin/").content.decode()

    settings.AKISMET_API_KEY = "key"
    assert (
        "Le filtrage des indésirables est désactivé" not in client.get(CHANGELIST).content.decode()
    )


def test_the_admin_front_page_says_how_many_comments_wait(client, editor):
    # The same count as the moderation email: comments Akismet has judged (or given up on).
    CommentFactory.create_batch(2, status=Comment.Status.PENDING, verdict=Comment.Verdict.HAM)
    CommentFactory(status=Comment.Status.PENDING, verdict=Comment.Verdict.ERROR)
    CommentFactory(pending=True)  # still being checked, perhaps spam
    CommentFactory()

    page = client.get("/admin/").content.decode()

    assert "3 commentaires attendent d’être modérés" in page
    assert f'href="{CHANGELIST}?status=pending"' in page


def test_editors_cannot_add_or_delete_comments_but_the_owner_can_delete(client, editor):
    comment = CommentFactory()

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{comment.pk}/delete/").status_code == 403
    assert "delete_selected" not in client.get(CHANGELIST).content.decode()

    client.force_login(SuperuserFactory())
    assert client.get(f"{CHANGELIST}{comment.pk}/delete/").status_code == 200


def test_the_comment_page_shows_both_versions_of_a_comment_its_author_edited(
    client, editor, enqueued
):
    comment = CommentFactory(body="Première version, avec une fote.")
    services.comment_edit(comment=comment, body="Seconde version, sans faute.")
    services.comment_delete_by_author(comment=comment)

    page = client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()

    assert "Seconde version, sans faute." in page
    assert "Première version, avec une fote." in page
    assert "Modifié par son auteur" in page and "Supprimé par son auteur" in page


def test_the_comment_page_labels_every_field_in_french(client, editor):
    comment = CommentFactory(user=editor)

    page = client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()

    assert "<label>Compte\u00a0:</label>" in page or "<label>Compte :</label>" in page
    assert "<label>User" not in page


def test_the_history_writes_every_time_in_the_sites_time_zone(client, editor, settings):
    settings.TIME_ZONE = "Europe/Paris"
    comment = CommentFactory(pending=True)
    services.comment_approve(comment=comment, moderator=editor)
    # 21:30 UTC is 23:30 in Paris in summer: one hour apart would show on the same row.
    ModerationDecision.objects.update(created_at=datetime(2026, 7, 1, 21, 30, tzinfo=UTC))

    page = client.get(f"{CHANGELIST}{comment.pk}/change/").content.decode()

    assert "Approuvé (2026-07-01 23:30)" in page
    assert "21:30" not in page
