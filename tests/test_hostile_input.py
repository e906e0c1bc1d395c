"""Whatever a visitor sends, the site answers clearly and never with a 500 (property-based, hypothesis).

Each property drives the real views through Django's test client, which re-raises any exception
a view lets escape: a crash fails the test with its traceback. The number of inputs tried per
property is in EXAMPLES (docs/RELIABILITY.md).
"""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comments import tokens as comment_tokens
from tests.blog.factories import PostFactory, TagFactory
from tests.comments.factories import CommentFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

EXAMPLES = 150
hostile = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Known trouble next to random text: markup, injections, line breaks, huge numbers, odd spaces.
CORPUS = [
    "",
    " ",
    "\x00",
    "\r\nBcc: victim@example.org",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR 1=1 --",
    "%00%0d%0a",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "../../../../etc/passwd",
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "\u202e\u200b\ufeff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🦊",
    "a" * 6000,
]
TEXT = st.one_of(st.sampled_from(CORPUS), st.text(max_size=200))
EMAILS = st.one_of(TEXT, st.emails().map(str))
SEGMENT = st.one_of(st.sampled_from(CORPUS), st.text(min_size=1, max_size=120))

ERROR_SHOWN = ("invalid-feedback", 'role="alert"')


@pytest.fixture
def open_settings(settings):
    """No clock, rate limit or spam filter in the way: every input reaches the form."""
    settings.COMMENTS_MIN_SECONDS = 0
    settings.COMMENTS_RATE_LIMIT = 0
    settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_HOUR = 0
    settings.AKISMET_API_KEY = ""
    return settings


@pytest.fixture
def post(open_settings):
    post = PostFactory(slug="billet-expose", tags=[TagFactory(slug="expose")])
    CommentFactory(post=post)
    return post


def path_segment(text: str) -> str:
    return quote(text, safe="")


@hostile
@given(
    name=TEXT,
    email=EMAILS,
    url=TEXT,
    body=TEXT,
    parent=TEXT,
    honeypot=st.sampled_from(["", "", "", "robot"]),
    issued=st.one_of(st.none(), TEXT),
)
def test_the_comment_form_accepts_or_explains(
    client, post, name, email, url, body, parent, honeypot, issued
):
    response = client.post(
        f"/comments/post/{post.pk}/",
        {
            "author_name": name,
            "author_email": email,
            "author_url": url,
            "body": body,
            "parent": parent,
            "fax_number": honeypot,
            "issued": comment_tokens.form_issued_token(post.pk) if issued is None else issued,
        },
    )

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith(post.get_absolute_url() + "#comment-")
    elif honeypot:
        assert "comments/rejected.html" in [template.name for template in response.templates]
    else:
        page = response.content.decode()
        assert any(marker in page for marker in ERROR_SHOWN)


@hostile
@given(email=EMAILS, language=TEXT, website=st.sampled_from(["", "", "http://spam.example"]))
def test_the_subscribe_form_accepts_or_explains(client, open_settings, email, language, website):
    response = client.post(
        "/newsletter/", {"email": email, "language": language, "website": website}
    )

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        # The same answer whatever the address, known or not, robot or not.
        assert response["Location"] == "/newsletter/thanks/"
    else:
        assert "invalid-feedback" in response.content.decode()


@hostile
@given(token=SEGMENT, method=st.sampled_from(["get", "post"]))
def test_newsletter_links_with_made_up_tokens_get_a_clear_refusal(
    client, open_settings, token, method
):
    SubscriberFactory()
    for address in (
        f"/newsletter/confirm/{path_segment(token)}/",
        f"/newsletter/unsubscribe/{path_segment(token)}/",
        f"/newsletter/preferences/{path_segment(token)}/",
        f"/newsletter/my-data/{path_segment(token)}/",
    ):
        response = getattr(client, method)(address)
        # 400 and the "this link does not work" page; 404 when the text cannot be one path segment;
        # 405 for a method the address does not take.
        assert response.status_code in (400, 404, 405), (address, response.status_code)
        if response.status_code == 400:
            assert "newsletter/link_problem.html" in [t.name for t in response.templates]


@hostile
@given(token=SEGMENT, method=st.sampled_from(["get", "post"]))
def test_comment_stop_links_with_made_up_tokens_get_a_clear_refusal(
    client, open_settings, token, method
):
    response = getattr(client, method)(f"/comments/stop/{path_segment(token)}/")

    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "comments/stop_notifications_invalid.html" in [t.name for t in response.templates]


@hostile
@given(terms=TEXT, page=TEXT)
def test_search_and_pagination_parameters_never_break_a_page(client, post, terms, page):
    for address, parameters in (
        ("/search/", {"q": terms, "page": page}),
        ("/", {"page": page}),
        ("/en/", {"page": page}),
        ("/tag/expose/", {"page": page}),
        (f"/{post.slug}/", {"replytocom": page}),
        ("/newsletter/archive/", {"page": page}),
    ):
        response = client.get(address, parameters)
        assert response.status_code in (200, 404), (address, parameters, response.status_code)


@hostile
@given(cookie=TEXT, language=TEXT)
def test_made_up_cookies_and_languages_never_break_a_page(post, cookie, language):
    reader = Client(HTTP_ACCEPT_LANGUAGE=language.encode("ascii", "ignore").decode())
    reader.cookies["chezsoi_pending"] = cookie.encode("ascii", "ignore").decode()
    reader.cookies["django_language"] = language.encode("ascii", "ignore").decode()

    response = reader.get(post.get_absolute_url())

    assert response.status_code == 200
