"""A reader fixes a typo in the comment they just posted, deletes another, and finds the door shut
once the time to edit has passed; nobody else can touch their words."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from playwright.sync_api import expect

from comments import services, spam
from comments.models import Comment, ModerationDecision
from tests.blog.factories import EditorFactory, PostFactory
from tests.support.akismet import API_KEY, TIMEOUT, AkismetServer
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = "Le délai pour modifier ce commentaire est écoulé"


@pytest.fixture
def akismet_server(settings):
    """Have the real Akismet client check comments against the local stand-in."""
    server = AkismetServer().start()
    settings.AKISMET_API_KEY = API_KEY
    settings.AKISMET_TIMEOUT = TIMEOUT
    settings.AKISMET_API_URL = server.url
    cache.delete(spam._key_verified_cache_key())
    yield server
    server.stop()
    cache.delete(spam._key_verified_cache_key())


def field(page, label):
    return page.get_by_role("main").get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?\s*:?$"))


def post_a_comment(page, text):
    field(page, "Commentaire").fill(text)
    field(page, "Nom").fill("Alice Martin")
    field(page, "E-mail").fill("alice@example.org")
    page.get_by_role("button", name="Publier le commentaire").click()
    expect(page.get_by_role("status")).to_contain_text("en attente de modération")


def filed_by_the_policy(comment_id):
    """Return the comment once Akismet has judged it and the policy has filed it."""
    comment = Comment.objects.get(pk=comment_id)
    return comment if comment.verdict and comment.decisions.exists() else None


def test_a_reader_fixes_a_typo_then_the_time_to_edit_passes(
    browser_page, new_browser_page, celery_worker, akismet_server, settings
):
    settings.SITE_URL = browser_page.live_server.url
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    settings.COMMENTS_MODERATION = "trust_returning"
    settings.COMMENT_EDIT_MINUTES = 15
    post = PostFactory(title="Faire son levain")
    alice = browser_page

    # Alice comments; Akismet finds it clean, the policy holds a first comment, an editor
    # approves it.
    alice.goto(post.get_absolute_url())
    post_a_comment(alice, "Le levain doit reposer une nuiit au frais.")
    comment = wait_until(
        lambda: Comment.objects.filter(body__contains="nuiit").first(), what="the comment"
    )
    wait_until(lambda: filed_by_the_policy(comment.pk), what="Akismet's first check")
    services.comment_approve(comment=comment, moderator=EditorFactory())
    alice.reload()
    mine = alice.locator(f"#comment-{comment.pk}")
    expect(mine).not_to_contain_text("en attente de modération")

    # Another reader sees the comment, but no way to change it.
    bruno = new_browser_page()
    bruno.goto(post.get_absolute_url())
    expect(bruno.locator(f"#comment-{comment.pk}")).to_contain_text("une nuiit au frais")
    expect(bruno.get_by_role("link", name=re.compile("^Modifier"))).to_have_count(0)

    # Alice sees "Modifier" under her own comment and fixes the typo.
    mine.get_by_role("link", name="Modifier votre commentaire").click()
    expect(alice.get_by_role("heading", name="Modifier votre commentaire")).to_be_visible()
    text = field(alice, "Commentaire")
    expect(text).to_have_value("Le levain doit reposer une nuiit au frais.")
    text.fill("Le levain doit reposer une nuit au frais.")
    alice.get_by_role("button", name="Enregistrer les modifications").click()

    # Back on the post: her corrected comment awaits moderation again, as a first comment from
    # her address would; Bruno no longer sees it until it is filed.
    expect(alice.get_by_role("status")).to_contain_text(
        "Votre commentaire est enregistré. Il est de nouveau en attente de modération."
    )
    mine = alice.locator(f"#comment-{comment.pk}")
    expect(mine).to_contain_text("une nuit au frais")
    expect(mine).to_contain_text("Votre commentaire est en attente de modération.")
    bruno.reload()
    expect(bruno.get_by_text("au frais")).to_have_count(0)

    # Akismet was asked again, about the new words, and the policy held the comment.
    wait_until(
        lambda: len(akismet_server.checks()) == 2 and filed_by_the_policy(comment.pk),
        what="Akismet's second check",
    )
    assert [check["comment_content"] for check in akismet_server.checks()] == [
        "Le levain doit reposer une nuiit au frais.",
        "Le levain doit reposer une nuit au frais.",
    ]
    comment.refresh_from_db()
    assert (comment.status, comment.verdict) == (Comment.Status.PENDING, Comment.Verdict.HAM)
    # The moderation history holds both versions.
    [edit] = comment.decisions.filter(action=ModerationDecision.Action.EDIT)
    assert edit.previous_body == "Le levain doit reposer une nuiit au frais."
    assert comment.body == "Le levain doit reposer une nuit au frais."
    assert comment.decisions.last().action == ModerationDecision.Action.HOLD

    # Bruno, who found the address, cannot edit her comment.
    bruno.goto(f"/comments/{comment.pk}/edit/")
    expect(bruno.get_by_role("heading", name=REFUSED)).to_be_visible()

    # Alice posts a second comment, then thinks better of it and deletes it.
    alice.goto(post.get_absolute_url())
    post_a_comment(alice, "Et pour la farine, plutôt T80 ?")
    second = alice.locator(".comment", has_text="plutôt T80")
    second.get_by_role("link", name="Modifier votre commentaire").click()
    alice.get_by_role("button", name="Supprimer ce commentaire").click()
    expect(alice.get_by_role("status")).to_contain_text("Votre commentaire est supprimé.")
    expect(alice.get_by_text("plutôt T80")).to_have_count(0)
    deleted = Comment.objects.get(body__contains="plutôt T80")
    assert deleted.status == Comment.Status.REMOVED
    assert deleted.decisions.filter(action=ModerationDecision.Action.DELETE).exists()

    # Sixteen minutes later the link is gone, and the edit page says the time has passed.
    with time_machine.travel(comment.created_at + timedelta(minutes=16)):
        alice.goto(post.get_absolute_url())
        mine = alice.locator(f"#comment-{comment.pk}")
        expect(mine).to_contain_text("une nuit au frais")
        expect(mine.get_by_role("link", name=re.compile("^Modifier"))).to_have_count(0)
        alice.goto(f"/comments/{comment.pk}/edit/")
        expect(alice.get_by_role("heading", name=REFUSED)).to_be_visible()
        expect(alice.get_by_role("main")).to_contain_text("Rien n’a été changé.")
    comment.refresh_from_db()
    assert comment.body == "Le levain doit reposer une nuit au frais."
