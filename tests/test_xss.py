"""A corpus of XSS payloads through every field a stranger or an editor fills in: nothing executes.

Payloads go in through the real comment form (body, name, website) and as editors' content (post
Markdown, title, excerpt, tag, newsletter issue). Every page, feed and email that shows them is
parsed, and must hold no script but the site's own files, no event handler attribute, no
javascript:/vbscript:/data: link and no element that loads active content. Headers are read back
from the wire format: line breaks in names and subjects never add one.
"""

import email
import email.policy
import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client

from comments import emails as comment_emails
from comments import tokens
from comments.models import Comment
from newsletter import emails as newsletter_emails
from tests.blog.factories import PostFactory, SuperuserFactory, TagFactory
from tests.comments.factories import CommentFactory
from tests.newsletter.factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

MARKER = "xss"
PAYLOADS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert('xss')>",
    "<svg onload=alert('xss')>",
    "<iframe src=\"javascript:alert('xss')\"></iframe>",
    "<a href=\"javascript:alert('xss')\">clic</a>",
    "<a href=\"JaVaScRiPt:alert('xss')\">clic</a>",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">xss</a>',
    "<a href=\" \tjavascript:alert('xss')\">xss</a>",
    "[lien](javascript:alert('xss'))",
    "[lien](<javascript:alert('xss')>)",
    "![image](javascript:alert('xss'))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzJyk8L3NjcmlwdD4=)",
    '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzJyk8L3NjcmlwdD4=">',
    "<body onload=alert('xss')>",
    "<div style=\"background:url(javascript:alert('xss'))\">xss</div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss')>",
    "<scr<script>ipt>alert('xss')</script>",
    "\"><script>alert('xss')</script>",
    "'><img src=x onerror=alert('xss')>",
    "</textarea><script>alert('xss')</script>",
    "</title><script>alert('xss')</script>",
    "<object data=\"javascript:alert('xss')\"></object>",
    "<embed src=\"javascript:alert('xss')\">",
    "<base href=\"javascript:alert('xss')//\">",
    "<form action=\"javascript:alert('xss')\"><button>xss</button></form>",
    "<input onfocus=alert('xss') autofocus>",
    "<details open ontoggle=alert('xss')>",
    "<a href=\"vbscript:msgbox('xss')\">xss</a>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss\')">',
    "<![CDATA[<script>alert('xss')</script>]]>",
    "]]><script>alert('xss')</script>",
    "{{ request }} {% debug %} xss",
]
# What the comment form takes as a website (http/https only), still hostile inside.
HOSTILE_URLS = [
    "https://example.org/\"onmouseover=\"alert('xss')",
    "https://example.org/?q=<script>alert('xss')</script>",
    "https://example.org/#'><svg/onload=alert('xss')>",
    "https://example.org/<img/src=x/onerror=alert('xss')>",
]
HEADER_BREAKERS = [
    "Eve\r\nBcc: victim@example.org",
    "Eve\nX-Injected: xss",
    "Zoé\rTo: x@example.org",
]
ACTIVE_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset"}
SAME_SITE_FILE = re.compile(r"^/(?!/)")
DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


class ActiveMarkupFinder(HTMLParser):
    """Collect everything in an HTML document that a browser could run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.data_script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_data(self, data):
        if self.data_script is not None:
            self.data_script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self.data_script is not None:
            # Structured data: inert as long as it stays one JSON document with no markup in it.
            text = "".join(self.data_script)
            self.data_script = None
            try:
                json.loads(text)
            except ValueError:
                self.found.append(f"<script ld+json> not JSON: {text[:200]!r}")
            if "<" in text:
                self.found.append(f"<script ld+json> with markup: {text[:200]!r}")

    def check(self, tag, attrs):
        attributes = dict(attrs)
        src = attributes.get("src") or ""
        # Data blocks (JSON-LD, Django's json_script): inert while they stay JSON with no markup.
        if tag == "script" and attributes.get("type") in (
            "application/ld+json",
            "application/json",
        ):
            self.data_script = []
        elif tag == "script" and SAME_SITE_FILE.match(src) and MARKER not in src:
            pass  # the site's own files (the admin's scripts)
        elif tag in ACTIVE_ELEMENTS:
            self.found.append(f"<{tag} {attrs}>")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.found.append(f"<meta refresh {attrs}>")
        for name, value in attrs:
            value = unescape(value or "")
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and DANGEROUS_SCHEME.match(INVISIBLE.sub("", value)):
                if not (tag == "img" and value.startswith("data:image/")):
                    self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(r"javascript:|expression\(", value, re.IGNORECASE):
                self.found.append(f"<{tag} style={value!r}>")


def active_markup(html: str) -> list[str]:
    finder = ActiveMarkupFinder()
    finder.feed(html)
    finder.close()
    return finder.found


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_documents(xml: bytes) -> tuple[list[str], list[str]]:
    """Return the HTML a feed reader renders from a feed (each entry's description, summary or
    content), and every other text in it (titles, names, the feed's own description)."""
    root = ET.fromstring(xml)  # noqa: S314 (our own feed, parsed to be checked)
    html = [
        element
        for entry in [*root.iter("item"), *root.iter(f"{ATOM}entry")]
        for element in entry
        if element.tag in ("description", f"{ATOM}summary", f"{ATOM}content")
    ]
    text = [element.text for element in root.iter() if element not in html and element.text]
    return [element.text for element in html if element.text], text


@pytest.fixture
def hostile_site(settings):
    """A post, tag and issue written with the payloads, and every payload sent as a comment."""
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    settings.AKISMET_API_KEY = ""
    settings.PAGE_CACHE_ENABLED = False
    corpus = "\n\n".join(PAYLOADS)
    tag = TagFactory(name="<script>alert('xss')</script>", slug="xss", description=corpus)
    post = PostFactory(
        slug="billet-hostile",
        title="</title><script>alert('xss')</script> \"><img src=x onerror=alert('xss')>",
        excerpt=corpus[:500],
        body=corpus,
        tags=[tag],
    )
    thread = CommentFactory(post=post, notify_replies=True, author_email="fil@example.org")
    reader = Client()
    for n, payload in enumerate(PAYLOADS):
        response = reader.post(
            f"/comments/post/{post.pk}/",
            {
                "author_name": payload[:80],
                "author_email": f"lectrice{n}@example.org",
                "author_url": HOSTILE_URLS[n % len(HOSTILE_URLS)],
                "body": payload,
                "parent": thread.pk if n % 2 else "",
                "issued": tokens.form_issued_token(post.pk),
            },
        )
        assert response.status_code == 302, (
            payload,
            re.findall(
                r"invalid-feedback[^>]*>([^<]*)|alert-danger[^>]*>\s*<p[^>]*>([^<]*)",
                response.content.decode(),
            ),
        )
    Comment.objects.filter(post=post).update(status=Comment.Status.APPROVED)
    issue = IssueFactory(subject=post.title, body=corpus, post=post, status="sent")
    return post, tag, thread, issue


def test_pages_show_the_payloads_as_text(client, hostile_site):
    post, tag, _thread, issue = hostile_site
    pages = [
        post.get_absolute_url(),
        f"/en{post.get_absolute_url()}",
        "/",
        f"/tag/{tag.slug}/",
        "/search/?q=" + "<script>alert('xss')</script>",
        f"{post.get_absolute_url()}?replytocom=<script>alert('xss')</script>",
        issue.get_absolute_url(),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert active_markup(response.content.decode()) == [], page
    # The payloads are there, shown as text.
    assert "&lt;script&gt;alert(" in client.get(post.get_absolute_url()).content.decode()


def test_feeds_carry_the_payloads_as_inert_text(client, hostile_site):
    post, tag, _thread, _issue = hostile_site
    for feed in ("/feed/", "/feed/atom/", f"/tag/{tag.slug}/feed/", f"/comments/feed/{post.slug}/"):
        response = client.get(feed)
        assert response.status_code == 200, feed
        # Well-formed XML whatever was written; the HTML in it inert, the payloads in it as text.
        html, text = feed_documents(response.content)
        assert any(MARKER in document for document in html + text), feed
        for document in html:
            assert active_markup(document) == [], (feed, document[:200])


def test_the_admin_shows_the_payloads_as_text(client, hostile_site):
    post, _tag, thread, _issue = hostile_site
    client.force_login(SuperuserFactory())
    hostile_comment = Comment.objects.filter(post=post).exclude(pk=thread.pk).first()
    for page in (
        "/admin/comments/comment/",
        f"/admin/comments/comment/{hostile_comment.pk}/change/",
        f"/admin/blog/post/{post.pk}/change/",
        "/admin/blog/post/",
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert active_markup(response.content.decode()) == [], page


def test_emails_carry_the_payloads_as_inert_text(hostile_site):
    post, _tag, thread, issue = hostile_site
    reply = Comment.objects.filter(post=post, parent=thread).first()
    subscriber = SubscriberFactory()
    messages = [
        comment_emails.reply_notification(reply=reply, subscription=thread),
        comment_emails.moderation_notice(
            to="editrice@example.org",
            comments=list(Comment.objects.filter(post=post)),
            waiting_total=3,
        ),
        newsletter_emails.IssueRenderer(issue).message(subscriber=subscriber, delivery_id=1),
    ]
    for message in messages:
        [(html, _type)] = message.alternatives
        assert MARKER in html
        assert active_markup(html) == [], message.subject


@pytest.mark.parametrize("breaker", HEADER_BREAKERS)
def test_line_breaks_in_names_and_subjects_never_add_a_header(client, settings, breaker):
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    settings.AKISMET_API_KEY = ""
    post = PostFactory(title=f"Titre {breaker}")
    thread = CommentFactory(post=post, notify_replies=True, author_email="fil@exemple-été.fr")
    response = client.post(
        f"/comments/post/{post.pk}/",
        {
            "author_name": breaker,
            "author_email": "zoe@exemple-été.fr",
            "body": f"Réponse {breaker}",
            "parent": thread.pk,
            "issued": tokens.form_issued_token(post.pk),
        },
    )
    assert response.status_code == 302
    reply = Comment.objects.get(post=post, parent=thread)
    assert "\r" not in reply.author_name and "\n" not in reply.author_name
    issue = IssueFactory(subject=post.title, post=post)
    subscriber = SubscriberFactory(email="lectrice@exemple-été.fr")

    for message in (
        comment_emails.reply_notification(reply=reply, subscription=thread),
        comment_emails.moderation_notice(
            to="editrice@example.org", comments=[reply], waiting_total=1
        ),
        newsletter_emails.IssueRenderer(issue).message(subscriber=subscriber, delivery_id=1),
        newsletter_emails.confirmation_message(subscriber),
    ):
        message.send()
        wire = mail.outbox[-1].message().as_bytes()
        parsed = email.message_from_bytes(wire, policy=email.policy.default)
        header_names = {name.lower() for name in parsed.keys()}
        assert not header_names & {"bcc", "x-injected"}, header_names
        assert len(parsed.get_all("To")) == 1
        assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])
        # Headers are ASCII on the wire: non-ASCII domains in their xn-- form, words encoded.
        assert wire.split(b"\n\n", 1)[0].isascii()
        assert "xn--" in parsed["To"] or parsed["To"] == "editrice@example.org"
