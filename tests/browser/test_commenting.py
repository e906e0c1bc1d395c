"""A reader comments, an editor approves, another reader replies, the first one hears of it."""

import re

import pytest
from playwright.sync_api import expect

from comments.models import Comment
from tests.blog.factories import DEFAULT_PASSWORD, EditorFactory, PostFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def field(page, label):
    return page.get_by_role("main").get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?\s*:?$"))


def approve_in_admin(page, excerpt):
    """As the editor: open the moderation queue, tick the comment, run "Approve"."""
    page.goto("/admin/comments/comment/?status=pending")
    row = page.get_by_role("row", name=re.compile(re.escape(excerpt)))
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name=re.compile("^Action")).select_option(label="Approuver")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".messagelist")).to_contain_text("1 commentaire approuvé.")


def test_a_conversation_from_first_comment_to_reply_notification(
    browser_page, new_browser_page, smtp_server, celery_worker, settings
):
    settings.SITE_URL = browser_page.live_server.url
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    post = PostFactory(title="Faire son levain")
    editor = EditorFactory()
    alice = browser_page

    # Alice reads the post and leaves a comment, asking to hear of replies.
    alice.goto(post.get_absolute_url())
    expect(alice.get_by_role("heading", name="Laisser un commentaire")).to_be_visible()
    field(alice, "Commentaire").fill("Combien de temps pour un levain *actif* ?")
    field(alice, "Nom").fill("Alice Martin")
    field(alice, "E-mail").fill("alice@example.org")
    alice.get_by_label("Me prévenir des réponses par e-mail").check()
    alice.get_by_role("button", name="Publier le commentaire").click()

    expect(alice.get_by_role("status")).to_contain_text(
        "Merci ! Votre commentaire est en attente de modération."
    )
    mine = alice.locator(".comment", has_text="Combien de temps")
    expect(mine).to_contain_text("Votre commentaire est en attente de modération.")
    expect(mine.locator("em")).to_have_text("actif")

    # The editor signs in and approves it from the moderation queue.
    admin = new_browser_page()
    admin.goto("/admin/")
    admin.get_by_role("main").get_by_label(
        re.compile(r"^\s*(E-mail|Courriel|Adresse e-mail)")
    ).fill(editor.email)
    admin.get_by_role("main").get_by_label(re.compile(r"^\s*Mot de passe")).fill(DEFAULT_PASSWORD)
    admin.get_by_role("button", name="Connexion").click()
    expect(admin.get_by_text("1 commentaire attend d’être modéré")).to_be_visible()
    approve_in_admin(admin, "Combien de temps pour un levain")

    # Bruno sees Alice's comment and answers it.
    bruno = new_browser_page()
    bruno.goto(post.get_absolute_url())
    expect(bruno.get_by_role("heading", name="1 commentaire")).to_be_visible()
    bruno.get_by_role("link", name="Répondre à Alice Martin").click()
    expect(bruno.get_by_role("heading", name="Répondre à Alice Martin")).to_be_visible()
    field(bruno, "Commentaire").fill("Une semaine, en le nourrissant chaque jour.")
    field(bruno, "Nom").fill("Bruno")
    field(bruno, "E-mail").fill("bruno@example.org")
    bruno.get_by_role("button", name="Publier la réponse").click()
    expect(bruno.get_by_role("status")).to_contain_text("en attente de modération")
    alice.reload()
    expect(alice.get_by_text("Une semaine, en le nourrissant")).to_have_count(0)

    # The editor approves the reply; Alice's notification arrives by email.
    approve_in_admin(admin, "Une semaine, en le nourrissant")
    [message] = smtp_server.wait_for(1)
    assert smtp_server.to("alice@example.org") == [message]
    assert (
        message["Subject"].strip()
        == "Nouvelle réponse à votre commentaire sur « Faire son levain »"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Bruno a répondu" in text
    reply = Comment.objects.get(author_name="Bruno")
    link = re.search(r"http://\S+#comment-\d+", text).group(0)
    assert link.endswith(f"#comment-{reply.pk}")

    # Following the link (a new tab, as from her mail program), Alice finds the thread:
    # Bruno's reply nested under her comment.
    alice = alice.context.new_page()
    alice.goto(link)
    thread = alice.locator(".comment", has_text="Combien de temps")
    expect(thread.locator(".comment-replies .comment")).to_contain_text(
        "Une semaine, en le nourrissant chaque jour."
    )
    expect(alice.get_by_role("heading", name="2 commentaires")).to_be_visible()

    # Alice wants no more of these emails. The link in the email only asks (a mail service's
    # link scanner opening it changes nothing); her click on the button stops them.
    stop_link = re.search(r"http://\S+/comments/stop/\S+/", text).group(0)
    assert message["List-Unsubscribe"].strip() == f"<{stop_link}>"
    alice.goto(stop_link)
    expect(
        alice.get_by_role("heading", name="Arrêter les notifications de réponses ?")
    ).to_be_visible()
    assert Comment.objects.get(author_name="Alice Martin").notify_replies
    alice.get_by_role("button", name="Arrêter ces e-mails").click()
    expect(alice.get_by_role("heading", name="Notifications arrêtées")).to_be_visible()
    assert not Comment.objects.get(author_name="Alice Martin").notify_replies
