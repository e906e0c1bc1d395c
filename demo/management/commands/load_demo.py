"""Fill the site with demo content and an editor account; running it again changes nothing."""

import io
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from blog.models import MediaItem, Page, Post, Tag
from blog.services import EDITORS_GROUP, editors_group_sync, site_sync
from comments.models import Comment
from comments.services import post_comment_counts_refresh
from demo.content import DEMO_COMMENTS, DEMO_PAGES, DEMO_POSTS, DEMO_TAGS

EDITOR_USERNAME = "editeur"
EDITOR_EMAIL = "editeur@chezsoi.local"
EDITOR_PASSWORD = "chezsoi-demo"  # noqa: S105 -- a demo account, printed on purpose
# The site owner, on a developer's machine only (DEBUG): the one who may read the outbox.
OWNER_USERNAME = "proprietaire"
OWNER_EMAIL = "proprietaire@chezsoi.local"


class Command(BaseCommand):
    help = "Load demo posts, pages, tags, comments and an editor account (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the editor account has a published password).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates an editor whose password is public: it runs only with "
                "DEBUG on. Pass --force to load it anyway."
            )
        with transaction.atomic():
            site_sync()
            editors_group_sync()
            editor = self.editor()
            # Never with --force on a server: an owner with a published password owns the site.
            owner = self.owner() if settings.DEBUG else None
            tags = self.tags()
            for entry in DEMO_POSTS:
                self.post(entry, author=editor, tags=tags)
            for entry in DEMO_PAGES:
                self.page(entry, author=editor)
            self.comments(editor)
        self.report(editor, owner)

    def editor(self):
        user, created = get_user_model().objects.get_or_create(
            username=EDITOR_USERNAME,
            defaults={
                "email": EDITOR_EMAIL,
                "first_name": "Camille",
                "last_name": "Martin",
                "is_staff": True,
            },
        )
        if created:
            user.set_password(EDITOR_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=EDITORS_GROUP))
        EmailAddress.objects.get_or_create(
            user=user, email=EDITOR_EMAIL, defaults={"verified": True, "primary": True}
        )
        return user

    def owner(self):
        user, created = get_user_model().objects.get_or_create(
            username=OWNER_USERNAME,
            defaults={"email": OWNER_EMAIL, "is_staff": True, "is_superuser": True},
        )
        if created:
            user.set_password(EDITOR_PASSWORD)
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=OWNER_EMAIL, defaults={"verified": True, "primary": True}
        )
        return user

    def tags(self):
        tags = {}
        for name, slug, description in DEMO_TAGS:
            tags[slug], _created = Tag.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
        return tags

    def post(self, entry, *, author, tags):
        if Post.objects.filter(slug=entry["slug"]).exists():
            return  # Kept as it is: an editor may have changed it since.
        post = Post(
            slug=entry["slug"],
            title=entry["title"],
            language=entry["language"],
            body=entry["body"],
            author=author,
            status=entry.get("status", Post.Status.PUBLISHED),
            published_at=timezone.now() - timedelta(days=entry["days_ago"]),
        )
        if color := entry.get("cover"):
            post.cover = MediaItem(
                alt_text="Illustration : des collines sous un grand soleil", uploaded_by=author
            )
            post.cover.file.save(f"{entry['slug']}.png", ContentFile(cover_image(color)))
        post.save()
        post.tags.set([tags[slug] for slug in entry["tags"]])

    def page(self, entry, *, author):
        if Page.objects.filter(slug=entry["slug"]).exists():
            return  # Kept as it is: an editor may have changed it since.
        Page.objects.create(
            slug=entry["slug"],
            title=entry["title"],
            language=entry["language"],
            body=entry["body"],
            author=author,
            status=Page.Status.PUBLISHED,
            in_navigation=entry["navigation_order"] is not None,
            navigation_order=entry["navigation_order"] or 0,
        )

    def comments(self, editor):
        for slug, threads in DEMO_COMMENTS:
            post = Post.objects.get(slug=slug)
            if post.comments.exists():
                continue
            for name, email, body, replies in threads:
                parent = self.comment(post, name, email, body, editor=editor)
                for reply_name, reply_email, reply_body in replies:
                    self.comment(
                        post, reply_name, reply_email, reply_body, editor=editor, parent=parent
                    )
            self.spread_over_days_after(post)
        # Written directly as approved, past the comment services that keep each post's count.
        post_comment_counts_refresh()

    def comment(self, post, name, email, body, *, editor, parent=None):
        return Comment.objects.create(
            post=post,
            parent=parent,
            user=editor if email == editor.email else None,
            author_name=name,
            author_email=email,
            body=body,
            status=Comment.Status.APPROVED,
        )

    def spread_over_days_after(self, post):
        """Date the post's comments in the hours after it went live, as readers would have."""
        comments = list(post.comments.order_by("pk"))
        for number, comment in enumerate(comments, start=1):
            written = min(post.published_at + timedelta(hours=5 * number), timezone.now())
            Comment.objects.filter(pk=comment.pk).update(created_at=written)

    def report(self, editor, owner=None):
        posts = Post.objects.all()
        live = posts.published().count()
        scheduled = posts.filter(status=Post.Status.PUBLISHED).count() - live
        drafts = posts.filter(status=Post.Status.DRAFT).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {live} published posts, {scheduled} scheduled, "
                f"{drafts} drafts, {Page.objects.count()} pages, {Tag.objects.count()} tags, "
                f"{Comment.objects.count()} comments."
            )
        )
        password = EDITOR_PASSWORD if editor.check_password(EDITOR_PASSWORD) else "(changed)"
        self.stdout.write(f"Site:     {settings.SITE_URL}/")
        self.stdout.write(f"Admin:    {settings.SITE_URL}{reverse('admin:index')}")
        self.stdout.write(f"Editor:   {EDITOR_EMAIL}  password: {password}")
        if owner is not None:
            password = EDITOR_PASSWORD if owner.check_password(EDITOR_PASSWORD) else "(changed)"
            self.stdout.write(f"Owner:    {OWNER_EMAIL}  password: {password}")


def cover_image(color: str) -> bytes:
    """Return a simple PNG landscape in `color`, standing in for a photo."""
    width, height = 1200, 630
    sky = Image.new("RGB", (width, height), color)
    hills = Image.new("RGBA", (width, height))
    draw = ImageDraw.Draw(hills)
    draw.ellipse((820, 90, 980, 250), fill=(255, 244, 214, 255))
    draw.polygon([(0, 630), (380, 260), (760, 630)], fill=(0, 0, 0, 70))
    draw.polygon([(420, 630), (860, 300), (1200, 560), (1200, 630)], fill=(0, 0, 0, 40))
    image = Image.alpha_composite(sky.convert("RGBA"), hills).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
