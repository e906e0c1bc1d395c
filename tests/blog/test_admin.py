from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from comments.models import Comment
from tests.blog.factories import EditorFactory, PostFactory, TagFactory, UserFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:blog_post_changelist")
ADD = reverse("admin:blog_post_add")


@pytest.fixture
def editor_client(client):
    editor = EditorFactory(first_name="Camille", last_name="Martin")
    client.force_login(editor)
    client.editor = editor
    return client


def approve(post, count):
    CommentFactory.create_batch(count, post=post)


def test_changelist_shows_status_date_author_tags_and_approved_comment_count(editor_client):
    post = PostFactory(
        title="Le balcon", tags=[TagFactory(name="Jardin"), TagFactory(name="Carnet")]
    )
    approve(post, 2)
    CommentFactory(post=post, status=Comment.Status.SPAM)
    PostFactory(title="Pas fini", draft=True)
    PostFactory(title="Pour demain", scheduled=True)

    response = editor_client.get(CHANGELIST)
    page = response.content.decode()

    assert response.status_code == 200
    assert '<td class="field-publication_state">Publié</td>' in page
    assert '<td class="field-publication_state">Brouillon</td>' in page
    assert '<td class="field-publication_state">Programmé</td>' in page
    assert '<td class="field-tag_names">Carnet, Jardin</td>' in page
    assert '<td class="field-comment_count">2</td>' in page


def test_changelist_searches_and_filters(editor_client):
    PostFactory(title="Compost urbain")
    PostFactory(title="Pain au levain", draft=True)

    found = editor_client.get(CHANGELIST, {"q": "compost"}).content.decode()
    drafts = editor_client.get(CHANGELIST, {"status__exact": "draft"}).content.decode()

    assert "Compost urbain" in found and "Pain au levain" not in found
    assert "Pain au levain" in drafts and "Compost urbain" not in drafts


def test_changelist_queries_do_not_grow_with_posts(editor_client, django_assert_max_num_queries):
    tags = TagFactory.create_batch(3)
    for _ in range(40):
        approve(PostFactory(tags=tags), 1)

    with django_assert_max_num_queries(14):
        assert editor_client.get(CHANGELIST).status_code == 200


def test_add_form_defaults_the_author_to_the_editor_and_explains_markdown(editor_client):
    page = editor_client.get(ADD).content.decode()

    assert f'<option value="{editor_client.editor.pk}" selected>' in page
    assert "Aide Markdown" in page
    assert "## Titre de section" in page


def test_author_choices_are_staff_only(editor_client):
    reader = UserFactory(username="lectrice")

    page = editor_client.get(ADD).content.decode()

    assert f'<option value="{reader.pk}"' not in page


def test_an_editor_writes_a_draft_that_readers_cannot_see_yet(editor_client, client):
    tag = TagFactory(name="Jardin")

    response = editor_client.post(
        ADD,
        {
            "title": "Mon premier billet",
            "slug": "mon-premier-billet",
            "body": "## Bonjour\n\nUn *début*.",
            "status": "draft",
            "published_at_0": timezone.localtime().strftime("%d/%m/%Y"),
            "published_at_1": timezone.localtime().strftime("%H:%M:%S"),
            "author": editor_client.editor.pk,
            "tags": [tag.pk],
            "language": "fr",
            "comments_open": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get(slug="mon-premier-billet")
    assert post.author == editor_client.editor
    assert '<h2 id="bonjour">Bonjour</h2>' in post.body_html
    assert post not in Post.objects.published()


def test_view_on_site_opens_the_preview_for_drafts_and_the_page_for_live_posts(editor_client):
    draft = PostFactory(draft=True)
    scheduled = PostFactory(scheduled=True)
    live = PostFactory()

    def change_page(post):
        return editor_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()

    assert f'href="/preview/{draft.pk}/"' in change_page(draft)
    assert f'href="/preview/{scheduled.pk}/"' in change_page(scheduled)
    assert f'href="{live.get_absolute_url()}"' in change_page(live)


def test_publish_action_puts_drafts_live_now_and_keeps_future_dates_scheduled(editor_client):
    old_draft = PostFactory(draft=True, published_at=timezone.now() - timedelta(days=10))
    future_draft = PostFactory(draft=True, published_at=timezone.now() + timedelta(days=3))

    response = editor_client.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [old_draft.pk, future_draft.pk]},
        follow=True,
    )

    assert "2 billets publiés." in response.content.decode()
    old_draft.refresh_from_db()
    future_draft.refresh_from_db()
    assert old_draft.is_live
    assert timezone.now() - old_draft.published_at < timedelta(minutes=1)
    assert future_draft.status == Post.Status.PUBLISHED and not future_draft.is_live


def test_unpublish_action_turns_posts_back_into_drafts(editor_client, client):
    post = PostFactory()

    response = editor_client.post(
        CHANGELIST, {"action": "unpublish", "_selected_action": [post.pk]}, follow=True
    )

    assert "1 billet repassé en brouillon." in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert client.get(post.get_absolute_url()).status_code == 404


def test_tag_admin_lists_tags_with_their_post_count(editor_client):
    tag = TagFactory(name="Jardin")
    PostFactory.create_batch(2, tags=[tag])

    page = editor_client.get(reverse("admin:blog_tag_changelist")).content.decode()

    assert '<td class="field-post_count">2</td>' in page


def test_editors_group_exists_after_migrate_with_the_editors_permissions():
    group = Group.objects.get(name="Editors")
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))

    for action in ("add", "change", "delete", "view"):
        assert ("blog", f"{action}_post") in granted
        assert ("blog", f"{action}_tag") in granted
        assert ("comments", f"{action}_comment") in granted
    assert {app for app, _codename in granted} <= {"blog", "comments", "newsletter"}


def test_an_editor_is_staff_not_superuser_and_cannot_manage_accounts(editor_client):
    editor = editor_client.editor

    assert editor.is_staff and not editor.is_superuser
    assert editor.has_perm("blog.add_post") and editor.has_perm("comments.change_comment")
    assert not editor.has_perm("auth.change_user")
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert editor_client.get(ADD).status_code == 200


def test_a_reader_cannot_open_the_admin(client):
    client.force_login(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
