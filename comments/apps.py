import re

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The comment form is signed with the time it was shown, to tell robots that answer at once.
FORM_ISSUED_FIELD = re.compile(rb'name="issued" value="([^"]+)"')


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = _("Comments")

    def ready(self):
        from blog import pagecache
        from comments import checks, moderation, tokens  # noqa: F401 - checks registers itself

        # Cached pages show comments: each reader gets a form shown at the time they see it,
        # the comment feeds are cached too, and pages expire when a post's comments close.
        pagecache.cached_view_register("comments:feed")
        pagecache.reader_field_register(
            "comment-issued",
            FORM_ISSUED_FIELD,
            key_of=tokens.form_issued_post,
            fill=lambda post_id: tokens.form_issued_token(int(post_id)),
            lifetime=settings.COMMENTS_FORM_MAX_AGE,
        )
        pagecache.change_moment_source_register(moderation.next_closing_at)
