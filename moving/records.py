"""What an importer reads from another platform's export, before anything is written.

Each importer (`moving/importers/<format>.py`) turns a file into these records and knows nothing
of our models; `moving.services` writes them, matching each one to what an earlier run of the
same import stored (by `source` and `source_id`), so that a re-run updates instead of duplicating.

Texts are `str`, already decoded (UTF-8, or cp1252 per field with a warning) and NFC-normalised.
Times are aware datetimes (the export's own time zone applied), or None when unknown.
Bodies are HTML as the platform stored it (`body_html`), shortcodes and block comments already
turned into HTML by the importer; the writer sanitizes them with the same nh3 rules as posts.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

PostStatus = Literal["draft", "private", "scheduled", "published"]
CommentStatus = Literal["approved", "pending", "spam", "trash"]
CommentKind = Literal["comment", "pingback", "trackback"]
SubscriberStatus = Literal["subscribed", "pending", "unsubscribed", "cleaned"]


@dataclass
class Author:
    source_id: str
    name: str
    email: str = ""


@dataclass
class Term:
    """A tag or a category of the source platform."""

    source_id: str  # the platform's id, else its slug
    name: str
    slug: str
    kind: Literal["tag", "category"] = "tag"
    description: str = ""


@dataclass
class Attachment:
    """A file the export lists on its own (WordPress attachments); posts may point at it."""

    source_id: str
    url: str
    title: str = ""
    alt_text: str = ""
    caption: str = ""
    # The file itself when the export carries it (a Chez Soi zip: `url` is "zip:<member name>").
    content: bytes = b""


@dataclass
class Comment:
    source_id: str
    post_source_id: str
    body_html: str
    author_name: str
    author_email: str = ""
    author_url: str = ""
    author_ip: str = ""
    created_at: datetime | None = None
    status: CommentStatus = "approved"
    kind: CommentKind = "comment"
    parent_source_id: str = ""  # "" for a comment on the post itself


@dataclass
class Post:
    """A post or a page."""

    source_id: str
    title: str
    body_html: str
    kind: Literal["post", "page"] = "post"
    slug: str = ""
    excerpt: str = ""
    status: PostStatus = "published"
    published_at: datetime | None = None
    updated_at: datetime | None = None
    author_source_id: str = ""
    language: str = ""  # "fr", "en", or "" when the export does not say
    term_source_ids: list[str] = field(default_factory=list)
    seo_title: str = ""
    seo_description: str = ""
    featured_image_url: str = ""
    featured_image_alt: str = ""
    # Every address the post had on the old site (its permalink, `?p=12`, `/2019/05/x.html`…):
    # each becomes a 301 to the new address.
    old_urls: list[str] = field(default_factory=list)
    comments_open: bool = True


@dataclass
class Subscriber:
    email: str
    status: SubscriberStatus
    source_id: str = ""  # the platform's own id (Mailchimp LEID), else ""
    name: str = ""
    language: str = ""
    opted_in_at: datetime | None = None
    opt_in_ip: str = ""
    confirmed_at: datetime | None = None
    confirm_ip: str = ""
    left_at: datetime | None = None  # unsubscribed or cleaned
    left_reason: str = ""
    consent_wording: str = ""
    # The whole consent ledger when the export has it (a Chez Soi zip): SubscriberEvent's fields.
    events: list[dict] = field(default_factory=list)


@dataclass
class Redirect:
    """An address of the old site that already redirected elsewhere than to one of its posts."""

    old_path: str
    new_path: str
    note: str = ""


@dataclass
class Problem:
    """Something the importer skipped or could not read, for the run's report."""

    what: str  # "post 12", "line 40"
    reason: str  # translated, in the reader's language


@dataclass
class Export:
    """Everything one file held."""

    platform: Literal["wxr", "blogger", "overblog", "substack", "ghost", "mailchimp", "chezsoi"]
    site_url: str = ""  # the old site's address, for links between its posts
    site_title: str = ""
    language: str = ""
    authors: list[Author] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    subscribers: list[Subscriber] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
