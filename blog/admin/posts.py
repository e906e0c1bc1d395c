import reversion
from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from blog.admin.authors import StaffAuthorAdminMixin
from blog.admin.editor import MarkdownEditorAdminMixin
from blog.admin.media import cover_thumbnail
from blog.admin.revisions import RevisionAdmin
from blog.models import Post
from blog.services import post_publish, post_unpublish, posts_go_live_soon
from core.admin import LabelledAutocompleteMixin


@admin.register(Post)
class PostAdmin(
    StaffAuthorAdminMixin, LabelledAutocompleteMixin, MarkdownEditorAdminMixin, RevisionAdmin
):
    list_display = [
        "title",
        "publication_state",
        "published_at",
        "author",
        "tag_names",
        "comment_count",
    ]
    list_filter = ["status", "language", "tags", "comments_open", "published_at"]
    list_select_related = ["author"]
    search_fields = ["title", "slug", "excerpt", "body"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags", "cover"]
    readonly_fields = [cover_thumbnail]
    save_on_top = True
    # Apps that hang off the blog add their own bulk actions to this list (the newsletter does).
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "body"]}),
        (
            _("Publication"),
            {
                "fields": [
                    ("status", "published_at"),
                    "author",
                    "tags",
                    "language",
                    "comments_open",
                    "email_subscribers",
                ]
            },
        ),
        (_("Summary and cover"), {"fields": ["excerpt", ("cover", cover_thumbnail)]}),
        (
            _("Search engines and sharing"),
            {
                "fields": ["seo_title", "seo_description"],
                "description": _("Left empty, the title and the excerpt are used."),
                "classes": ["collapse"],
            },
        ),
    ]

    class Media:
        css = {"all": ["blog/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.is_live and obj.went_live_at is None:
            posts_go_live_soon()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "body":
            field.widget.attrs.update({"rows": 24, "class": "vLargeTextField markdown-body"})
            field.help_text = render_to_string("admin/blog/_markdown_help.html")
        return field

    def view_on_site(self, post):
        # Drafts and scheduled posts are not public yet: staff see them through the preview.
        if post.is_live:
            return post.get_absolute_url()
        return reverse("blog:preview", kwargs={"pk": post.pk})

    @admin.display(description=_("status"), ordering="status")
    def publication_state(self, post):
        if post.status == Post.Status.DRAFT:
            return Post.Status.DRAFT.label
        if post.published_at > timezone.now():
            return _("Scheduled")
        return Post.Status.PUBLISHED.label

    @admin.display(description=_("tags"))
    def tag_names(self, post):
        return ", ".join(tag.name for tag in post.tags.all())

    @admin.display(description=_("comments"), ordering="comment_count")
    def comment_count(self, post):
        return post.comment_count

    @admin.action(description=_("Publish the selected posts"), permissions=["change"])
    def publish(self, request, queryset):
        with reversion.create_revision():
            reversion.set_user(request.user)
            reversion.set_comment(gettext("Published with the list’s action."))
            count = post_publish(posts=queryset)
        self.message_user(
            request,
            ngettext("%(count)d post published.", "%(count)d posts published.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish the selected posts"), permissions=["change"])
    def unpublish(self, request, queryset):
        with reversion.create_revision():
            reversion.set_user(request.user)
            reversion.set_comment(gettext("Turned back into a draft with the list’s action."))
            count = post_unpublish(posts=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d post turned back into a draft.",
                "%(count)d posts turned back into drafts.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
