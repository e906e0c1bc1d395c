import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import to_locale

from core.markdown import plain_text, render_post_markdown, summary_of
from core.urls import reverse_slugs

WORDS_READ_PER_MINUTE = 230


@dataclass(frozen=True)
class MediaUse:
    """A post or page showing a library image, in its body or as its cover."""

    item: "MediaItem"
    writing: "Post | Page"
    as_cover: bool = False


class MediaItemQuerySet(models.QuerySet):
    def search(self, terms: str):
        """Return items whose file name, alt text or caption contains `terms`."""
        return self.filter(
            Q(file__icontains=terms) | Q(alt_text__icontains=terms) | Q(caption__icontains=terms)
        )

    def uses(self) -> list[MediaUse]:
        """Return where the items are shown (three queries, whatever their number)."""
        ids = self.values("pk")
        uses = [
            MediaUse(link.mediaitem, link.post)
            for link in Post.media.through.objects.filter(mediaitem__in=ids).select_related(
                "mediaitem", "post"
            )
        ]
        uses += [
            MediaUse(link.mediaitem, link.page)
            for link in Page.media.through.objects.filter(mediaitem__in=ids).select_related(
                "mediaitem", "page"
            )
        ]
        uses += [
            MediaUse(post.cover, post, as_cover=True)
            for post in Post.objects.filter(cover__in=ids).select_related("cover")
        ]
        return sorted(uses, key=lambda use: (str(use.item), use.writing.title))


class MediaItem(models.Model):
    """An image of the media library: the original (metadata stripped) and its renditions.

    `renditions` lists what `blog.media.media_item_render` made, smallest first:
    `[{"width": 480, "webp": "library/2026/12/photo-480.webp", "fallback": "library/…-480.jpg"}]`;
    empty until the worker has made them, when pages show the original. `rendered_at` says when
    it did: an animation is done with none; an item still without it is queued again by
    `blog.media.media_items_render_pending`.
    """

    file = models.ImageField(
        _("file"), upload_to="library/%Y/%m/", width_field="width", height_field="height"
    )
    alt_text = models.CharField(
        _("alternative text"),
        max_length=250,
        blank=True,
        help_text=_("What the image shows, read aloud to readers who cannot see it."),
    )
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    renditions = models.JSONField(default=list, blank=True, editable=False)
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="media_items",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)

    objects = MediaItemQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("media item")
        verbose_name_plural = _("media library")

    def __str__(self):
        return self.alt_text or self.file.name.rsplit("/", 1)[-1]

    def save(self, *args, **kwargs):
        if self.file and not (self.width and self.height):
            try:
                self.width, self.height = self.file.width or 0, self.file.height or 0
            except OSError:
                pass  # a file gone missing (an old cover): the row stays, without a size
        super().save(*args, **kwargs)

    @property
    def url(self) -> str:
        return self.file.url


class TagQuerySet(models.QuerySet):
    def in_use(self):
        """Return the tags of published posts, each with its `post_count`."""
        # Counting after filtering on the same relation counts only the published posts.
        return (
            self.filter(
                posts__status=Post.Status.PUBLISHED, posts__published_at__lte=timezone.now()
            )
            .annotate(post_count=Count("posts", distinct=True))
            .order_by("name")
        )


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_slugs("blog:tag", slug=self.slug)


class PostQuerySet(models.QuerySet):
    def published(self):
        """Return the posts a reader may see: published, and not scheduled for later."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=timezone.now())

    def neighbours(self, post):
        """Return the posts just before and just after `post` in publication order."""
        # One query for both (a UNION ALL of two indexed LIMIT 1 queries): a round trip is worth
        # more than the rows it brings back on a post page (docs/performance.md).
        shown = self.only("title", "slug", "language", "published_at")
        earlier = shown.filter(published_at__lt=post.published_at).order_by("-published_at", "-id")
        later = shown.filter(published_at__gt=post.published_at).order_by("published_at", "id")
        previous_post = next_post = None
        for neighbour in earlier[:1].union(later[:1], all=True):
            if neighbour.published_at < post.published_at:
                previous_post = neighbour
            else:
                next_post = neighbour
        return previous_post, next_post

    def with_tags(self):
        """Prefetch each post's tags into `post.tag_list`, a plain list.

        A list rather than `post.tags.all()` in templates: each `.tags` access builds a related
        manager (about 15 µs), and a list page asked for it twice per post (docs/BENCHMARKS.md).
        """
        tags = Prefetch("tags", to_attr="tag_list")
        return self.prefetch_related(tags)

    def for_detail(self):
        """Return published posts with what a post page shows."""
        return self.published().select_related("author", "cover").with_tags()

    def for_listing(self):
        """Return published posts ready for a list page: tags and counts in fixed queries."""
        # No author: list pages do not show it, and the join cost every list page.
        return (
            self.published()
            .with_tags()
            # A list shows summaries: the texts and the search document are most of a row's weight.
            .defer("body", "body_html", "search_document")
            .order_by("-published_at", "-id")
        )

    def months_with_counts(self):
        """Return `{"month": date, "count": n}` for each month that has posts, newest first."""
        return (
            self.annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(count=Count("id"))
            .order_by("-month")
        )

    def search(self, terms: str):
        """Return posts matching `terms`, best first (PostgreSQL full-text search)."""
        query = SearchQuery(terms, search_type="websearch", config="simple")
        # Matching with @@ honours the query's quotes and exclusions, which a rank alone ignores.
        return (
            self.annotate(rank=SearchRank(F("search_document"), query))
            .filter(search_document=query)
            .order_by("-rank", "-published_at")
        )


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("author"),
    )
    body = models.TextField(_("body"), help_text=_("Written in Markdown."))
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(
        _("excerpt"), blank=True, help_text=_("Left empty, the start of the body is used.")
    )
    # What lists, feeds and emails show: the editor's excerpt, or else the start of the body,
    # derived again at every save so that it follows edits of the body.
    summary = models.TextField(editable=False, default="")
    cover = models.ForeignKey(
        MediaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="covered_posts",
        verbose_name=_("cover image"),
        help_text=_("Picked from the media library; its alternative text describes it."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        _("publication date"),
        default=timezone.now,
        db_index=True,
        help_text=_("A date in the future schedules the post."),
    )
    # When readers could first see the post, stamped once by `blog.services.posts_go_live`, which
    # then sends `blog.signals.post_went_live`; unpublishing keeps it.
    went_live_at = models.DateTimeField(_("went live"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts", verbose_name=_("tags"))
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    seo_title = models.CharField(_("SEO title"), max_length=70, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)
    comments_open = models.BooleanField(_("comments open"), default=True)
    email_subscribers = models.BooleanField(
        _("email to subscribers when published"),
        default=False,
        help_text=_("Sends this post to the mailing list once, when it goes live."),
    )
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # The library's images shown in the body, kept by save(): the library asks before deleting one.
    media = models.ManyToManyField(MediaItem, blank=True, editable=False, related_name="posts")
    # Approved comments, kept by the comments app (as WordPress keeps wp_posts.comment_count):
    # list pages read a column instead of counting each post's comments (docs/BENCHMARKS.md).
    comment_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)
    # Kept by PostgreSQL and indexed (GIN, migration 0002), so a search parses no post's text.
    search_document = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="simple")
        + SearchVector("excerpt", "body", weight="B", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["status", "published_at"]),
            # The few posts not yet announced, found every few seconds by `posts_go_live`.
            models.Index(
                fields=["published_at"],
                condition=Q(went_live_at__isnull=True),
                name="blog_post_awaiting_live",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        media_items = render_body(self)
        self.summary = self.excerpt.strip() or summary_of(self.body_html)
        super().save(*args, **kwargs)
        self.media.set(media_items)

    def get_absolute_url(self):
        return reverse_slugs("blog:post", slug=self.slug)

    def clean(self):
        super().clean()
        slug_check_free(
            self.slug,
            taken_by=Page.objects.all(),
            message=_("This address is already used by the page “%(title)s”."),
        )

    @property
    def og_locale(self) -> str:
        """Return the post's language as an Open Graph locale (fr_FR)."""
        return settings.OG_LOCALES.get(self.language) or to_locale(self.language)

    def get_canonical_path(self) -> str:
        """Return the post's address under its own language's prefix, whatever the reader's."""
        return reverse_slugs("blog:post", slug=self.slug, language=self.language)

    def get_canonical_url(self) -> str:
        return settings.SITE_URL + self.get_canonical_path()

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_READ_PER_MINUTE))

    @property
    def meta_title(self) -> str:
        return self.seo_title or self.title

    @property
    def meta_description(self) -> str:
        return self.seo_description or Truncator(self.summary).chars(160)


def render_body(writing) -> list[MediaItem]:
    """Fill `body_html` and `word_count` of a post or page; return the library items it shows."""
    from blog.media import MediaImages

    images = MediaImages()
    writing.body_html = render_post_markdown(writing.body, extensions=[images])
    writing.word_count = len(plain_text(writing.body_html).split())
    return images.items


# First segments of the site's own addresses, which a post or page at `/<slug>/` would never reach
# (an all-digit slug is a year's archive).
RESERVED_SLUGS = {
    "accounts", "admin", "archives", "comments", "en", "feed", "fr", "healthz", "i18n", "media",
    "newsletter", "outbox", "preview", "search", "static", "tag",
}  # fmt: skip


def slug_check_free(slug: str, *, taken_by: models.QuerySet, message: str) -> None:
    """Refuse `slug` if a row of `taken_by` has it: posts and pages share the `/<slug>/` addresses.
    Refuse the site's own addresses too.

    `message` names the row that has it with `%(title)s`.
    """
    if slug in RESERVED_SLUGS or slug.isdigit():
        raise ValidationError(
            {"slug": _("This address belongs to the site itself: choose another one.")}
        )
    taken = taken_by.filter(slug=slug).only("title").first() if slug else None
    if taken is not None:
        raise ValidationError({"slug": message % {"title": taken.title}})


class PageQuerySet(models.QuerySet):
    def published(self):
        """Return the pages a reader may see."""
        return self.filter(status=Page.Status.PUBLISHED)

    def in_navigation(self):
        """Return the published pages shown in the site's navigation, in their order."""
        return (
            self.published()
            .filter(in_navigation=True)
            .only("title", "slug", "language", "navigation_order")
            .order_by("navigation_order", "title", "id")
        )


class Page(models.Model):
    """A page outside the flow of posts (About, Contact, Legal): never on the home page, in feeds
    or in the newsletter. Its address is `/<slug>/`, a slug no post may take."""

    Status = Post.Status

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pages",
        verbose_name=_("author"),
    )
    body = models.TextField(_("body"), help_text=_("Written in Markdown."))
    body_html = models.TextField(editable=False, default="")
    word_count = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    in_navigation = models.BooleanField(
        _("in the navigation"), default=True, help_text=_("Linked from every page's header.")
    )
    navigation_order = models.PositiveSmallIntegerField(
        _("order in the navigation"), default=0, help_text=_("Smaller numbers come first.")
    )
    seo_title = models.CharField(_("SEO title"), max_length=70, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=160, blank=True)
    media = models.ManyToManyField(MediaItem, blank=True, editable=False, related_name="pages")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["navigation_order", "title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        media_items = render_body(self)
        super().save(*args, **kwargs)
        self.media.set(media_items)

    def get_absolute_url(self):
        return reverse_slugs("blog:page", slug=self.slug)

    def clean(self):
        super().clean()
        slug_check_free(
            self.slug,
            taken_by=Post.objects.all(),
            message=_("This address is already used by the post “%(title)s”."),
        )

    def get_canonical_path(self) -> str:
        """Return the page's address under its own language's prefix, whatever the reader's."""
        return reverse_slugs("blog:page", slug=self.slug, language=self.language)

    def get_canonical_url(self) -> str:
        return settings.SITE_URL + self.get_canonical_path()

    @property
    def og_locale(self) -> str:
        """Return the page's language as an Open Graph locale (fr_FR)."""
        return settings.OG_LOCALES.get(self.language) or to_locale(self.language)

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def meta_title(self) -> str:
        return self.seo_title or self.title

    @property
    def meta_description(self) -> str:
        return self.seo_description or Truncator(summary_of(self.body_html)).chars(160)
