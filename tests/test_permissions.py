"""Who may see and change what: editors run the publication, the owner keeps accounts and the site."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.test import Client
from django.urls import reverse

from tests.blog.factories import (
    EditorFactory,
    PostFactory,
    SuperuserFactory,
    TagFactory,
    UserFactory,
)
from tests.comments.factories import CommentFactory
from tests.newsletter.factories import DeliveryFactory, IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

# Admin pages reserved to the site owner: accounts, groups, the site record, second factors.
OWNER_ONLY = [
    ("auth", "user"),
    ("auth", "group"),
    ("sites", "site"),
    ("account", "emailaddress"),
    ("mfa", "authenticator"),
]


@pytest.fixture
def editor_client(client):
    client.force_login(EditorFactory())
    return client


@pytest.mark.parametrize(("app_label", "model"), OWNER_ONLY)
def test_an_editor_cannot_open_the_owners_admin_pages(editor_client, app_label, model):
    response = editor_client.get(reverse(f"admin:{app_label}_{model}_changelist"))
    assert response.status_code == 403


def test_an_editor_cannot_change_an_account_even_by_posting_directly(editor_client):
    owner = SuperuserFactory()
    url = reverse("admin:auth_user_change", args=[owner.pk])

    assert editor_client.get(url).status_code == 403
    response = editor_client.post(url, {"username": owner.username, "is_superuser": ""})

    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.is_superuser


def test_an_editor_cannot_grant_themselves_more_permissions(editor_client):
    editors = Group.objects.get(name="Editors")
    url = reverse("admin:auth_group_change", args=[editors.pk])
    before = set(editors.permissions.values_list("pk", flat=True))

    response = editor_client.post(url, {"name": "Editors", "permissions": []})

    assert response.status_code == 403
    assert set(editors.permissions.values_list("pk", flat=True)) == before


def test_an_editor_cannot_rename_the_site(editor_client):
    site = Site.objects.get_current()
    url = reverse("admin:sites_site_change", args=[site.pk])

    response = editor_client.post(url, {"domain": "evil.example", "name": "Evil"})

    assert response.status_code == 403
    site.refresh_from_db()
    assert site.domain != "evil.example"


def test_an_editor_sees_the_posts_but_not_the_accounts_in_the_admin(editor_client):
    index = editor_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:blog_post_changelist") in index
    assert reverse("admin:auth_user_changelist") not in index


def test_the_owner_can_manage_accounts(client):
    client.force_login(SuperuserFactory())
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_a_reader_cannot_see_a_draft(client):
    draft = PostFactory(draft=True)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_reader_cannot_see_a_scheduled_post(client):
    scheduled = PostFactory(scheduled=True)
    assert client.get(scheduled.get_absolute_url()).status_code == 404


def test_the_draft_preview_is_for_staff_only(client):
    draft = PostFactory(draft=True, title="Brouillon secret")
    preview = reverse("blog:preview", args=[draft.pk])

    response = client.get(preview, follow=True)
    assert "Brouillon secret" not in response.content.decode()

    client.force_login(UserFactory())
    response = client.get(preview, follow=True)
    assert response.status_code == 403
    assert "Brouillon secret" not in response.content.decode()


def test_an_anonymous_visitor_is_kept_out_of_the_admin(client):
    response = client.get(reverse("admin:blog_post_changelist"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "account/login.html" in [template.name for template in response.templates]


def test_a_signed_in_reader_is_refused_the_admin(client):
    client.force_login(UserFactory())
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


# What readers must never see: other readers' pending comments, drafts, subscribers' data.


def reader_clients(client):
    """Return an anonymous visitor and a signed-in reader without any staff right."""
    signed_in = Client()
    signed_in.force_login(UserFactory())
    return [client, signed_in]


def test_a_readers_pending_comment_is_shown_to_nobody_else(client):
    post = PostFactory(slug="attente")
    CommentFactory(post=post, body="Un commentaire publié.")
    pending = CommentFactory(post=post, pending=True, body="Mon brouillon de commentaire.")

    for reader in reader_clients(client):
        for page in (
            post.get_absolute_url(),
            f"{post.get_absolute_url()}?replytocom={pending.pk}",
            f"/comments/feed/{post.slug}/",
        ):
            content = reader.get(page).content.decode()
            assert "Un commentaire publié." in content, page
            assert "Mon brouillon de commentaire." not in content, page
            assert f"comment-{pending.pk}" not in content, page


def test_no_page_or_feed_shows_a_commenters_email_address(client):
    post = PostFactory(slug="adresses")
    CommentFactory(post=post, author_email="secrete@example.org", author_name="Discrète")

    for page in (post.get_absolute_url(), f"/comments/feed/{post.slug}/", "/", "/feed/"):
        assert "secrete@example.org" not in client.get(page).content.decode(), page


def test_drafts_and_scheduled_posts_appear_nowhere_a_reader_looks(client):
    tag = TagFactory(slug="annonces")
    PostFactory(title="Billet public", slug="public", tags=[tag])
    PostFactory(title="Brouillon secret", slug="brouillon", draft=True, tags=[tag])
    PostFactory(title="Billet programmé", slug="programme", scheduled=True, tags=[tag])

    for reader in reader_clients(client):
        for page in [
            "/",
            "/en/",
            "/archives/",
            f"/tag/{tag.slug}/",
            f"/tag/{tag.slug}/feed/",
            "/feed/",
            "/feed/atom/",
            "/sitemap.xml",
            "/search/?q=paragraphe",
        ]:
            content = reader.get(page).content.decode()
            if page not in ("/sitemap.xml", "/archives/"):  # those list addresses and months
                assert "Billet public" in content, page
            assert "Brouillon secret" not in content and "/brouillon/" not in content, page
            assert "Billet programmé" not in content and "/programme/" not in content, page


@pytest.mark.parametrize(
    "page",
    [
        "admin:newsletter_subscriber_changelist",
        "admin:newsletter_subscriberevent_changelist",
        "admin:newsletter_delivery_changelist",
        "admin:comments_comment_changelist",
    ],
)
def test_a_reader_reaches_no_subscriber_or_commenter_data(client, page):
    SubscriberFactory(email="abonnee@example.org")
    CommentFactory(pending=True, author_email="commentatrice@example.org")
    url = reverse(page)

    for reader in reader_clients(client):
        response = reader.get(url, follow=True)
        content = response.content.decode()
        assert "abonnee@example.org" not in content
        assert "commentatrice@example.org" not in content
        assert response.status_code == 403 or response.redirect_chain[-1][0].startswith(
            reverse("account_login")
        )


def test_the_newsletter_archive_names_no_subscriber(client):
    subscriber = SubscriberFactory(email="abonnee@example.org")
    issue = IssueFactory(subject="Lettre d’avril", status="sent")
    DeliveryFactory(issue=issue, subscriber=subscriber, status="sent")

    for page in ("/newsletter/archive/", issue.get_absolute_url()):
        response = client.get(page)
        assert response.status_code == 200
        assert "Lettre d’avril" in response.content.decode()
        assert "abonnee@example.org" not in response.content.decode()
        assert subscriber.key not in response.content.decode()
