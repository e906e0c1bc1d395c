"""Whatever a visitor sends, the site answers clearly and never with a 500 (property-based, hypothesis).

Each property drives the real views through Django's test client, which re-raises any exception
a view lets escape: a crash fails the test with its traceback. The number of inputs tried per
property is in EXAMPLES (docs/RELIABILITY.md).
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RoutePattern
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from comments import tokens as comment_tokens
from tests.blog.factories import PageFactory, PostFactory, SuperuserFactory, TagFactory
from tests.comments.factories import CommentFactory
from tests.newsletter.factories import IssueFactory, SubscriberFactory

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
    # What XML 1.0 cannot hold, raw and as the references a sanitizer decodes.
    "Nice post\x01 thanks\x0b\x0c\x1f",
    "\ufffe\uffff\U0001fffe",
    "Nice post&#1; thanks&#11;&#x1F;&#65535;",
    "2147483648",
    "10000000000",
    "-2147483649",
]
# Control characters and noncharacters come up often, not once in a million draws.
CHARACTERS = st.one_of(
    st.sampled_from("\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\x85\u2028\u202e\ufeff\ufdd0\ufffe\uffff"),
    st.characters(exclude_categories=["Cs"]),
)
TEXT = st.one_of(st.sampled_from(CORPUS), st.text(CHARACTERS, max_size=200))
EMAILS = st.one_of(TEXT, st.emails().map(str))
SEGMENT = st.one_of(st.sampled_from(CORPUS), st.text(CHARACTERS, min_size=1, max_size=120))

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
        # 405 for a method the address does not take; the site's 400 page for a NUL in the address.
        assert response.status_code in (400, 404, 405), (address, response.status_code)
        if response.status_code == 400 and "\x00" not in token:
            assert "newsletter/link_problem.html" in [t.name for t in response.templates]


@hostile
@given(token=SEGMENT, method=st.sampled_from(["get", "post"]))
def test_comment_stop_links_with_made_up_tokens_get_a_clear_refusal(
    client, open_settings, token, method
):
    response = getattr(client, method)(f"/comments/stop/{path_segment(token)}/")

    assert response.status_code in (400, 404)
    if response.status_code == 400 and "\x00" not in token:  # else the site's own 400 page
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
        # 400 for a NUL character, which PostgreSQL cannot hold (config/middleware.py).
        expected = (400,) if "\x00" in "".join(parameters.values()) else (200, 404)
        assert response.status_code in expected, (address, parameters, response.status_code)


@hostile
@given(cookie=TEXT, language=TEXT)
def test_made_up_cookies_and_languages_never_break_a_page(post, cookie, language):
    reader = Client(HTTP_ACCEPT_LANGUAGE=language.encode("ascii", "ignore").decode())
    reader.cookies["chezsoi_pending"] = cookie.encode("ascii", "ignore").decode()
    reader.cookies["django_language"] = language.encode("ascii", "ignore").decode()

    response = reader.get(post.get_absolute_url())

    assert response.status_code == 200


# Every address of the site -------------------------------------------------------------------

ADDRESS_EXAMPLES = 5
every_address = settings(
    max_examples=ADDRESS_EXAMPLES,
    deadline=None,
    database=None,
    # Shrinking hundreds of draws takes minutes; the failure names its address and parameters.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Numbers past every range a view might hand on: a C int, a date's year, PostgreSQL's bigint.
HUGE_NUMBERS = [0, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**10, 10**20, 10**100]
NUMBER = st.one_of(st.sampled_from(HUGE_NUMBERS), st.integers(min_value=0)).map(str)
# Every query parameter a view of the site, the admin or allauth reads. Not `_to_field`: Django's
# own admin answers 500 to `?_to_field=` (empty) on any change or delete page, for staff only.
QUERY_PARAMETERS = [
    "page", "p", "q", "next", "token", "key", "replytocom", "language", "status", "against",
    "o", "e", "all", "_popup", "_changelist_filters", "issue__id__exact",
]  # fmt: skip
PARAMETER_VALUE = st.one_of(NUMBER, st.sampled_from(["-1", "-2147483649", "1.5", "0x10"]), TEXT)
CONVERTER = re.compile(r"<(?:(?P<kind>[^>:]+):)?(?P<name>[^>]+)>")


def url_patterns(resolver=None, pieces=()):
    """Yield each address pattern of the site as the list of patterns leading to it."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, (*pieces, entry.pattern))
        else:
            yield (*pieces, entry.pattern)


ADDRESS_PATTERNS = {"".join(map(str, pieces)) or "/": pieces for pieces in url_patterns()}


def segment(data, kind, known):
    """Draw one converter's value: often a real one of the fixture's, else anything at all."""
    if kind == "int":
        hostile = NUMBER
    elif kind == "slug":
        hostile = st.one_of(st.from_regex(r"[-a-zA-Z0-9_]+", fullmatch=True), TEXT)
    else:
        hostile = st.one_of(TEXT, NUMBER)
    return data.draw(st.one_of(st.sampled_from(known), hostile))


def address(data, pieces, known):
    parts = []
    for piece in pieces:
        if isinstance(piece, LocalePrefixPattern):
            parts.append(data.draw(st.sampled_from(["", "en/"])))
        elif isinstance(piece, RoutePattern):
            route, position = str(piece), 0
            for match in CONVERTER.finditer(route):
                parts.append(route[position : match.start()])
                parts.append(quote(segment(data, match["kind"], known), safe=""))
                position = match.end()
            parts.append(route[position:])
        else:
            drawn = data.draw(
                st.from_regex(piece.regex.pattern.replace(r"\Z", "$"), fullmatch=True)
            )
            parts.append(quote(drawn, safe="/"))
    return "/" + "".join(parts)


@pytest.fixture
def site(open_settings):
    """A site with one of everything, so that drawn addresses reach real rows too."""
    owner = SuperuserFactory()
    post = PostFactory(slug="billet-expose", tags=[TagFactory(slug="expose")])
    comment = CommentFactory(post=post)
    page = PageFactory(slug="page-exposee")
    issue = IssueFactory()
    subscriber = SubscriberFactory()
    known = [
        *(str(row.pk) for row in (owner, post, comment, page, issue, subscriber)),
        "billet-expose",
        "expose",
        "page-exposee",
        "2024",
        "12",
    ]
    return owner, known


@every_address
@given(data=st.data())
def test_no_address_and_no_query_parameter_gives_a_500(site, data):
    owner, known = site
    # Each example visits every address once: a view no draw reaches cannot hide.
    for pattern, pieces in ADDRESS_PATTERNS.items():
        path = address(data, pieces, known)
        parameters = data.draw(
            st.dictionaries(st.sampled_from(QUERY_PARAMETERS), PARAMETER_VALUE, max_size=3)
        )
        visitor = Client()
        if data.draw(st.booleans()):
            # The owner only reads: their POSTs would change the site under the next addresses
            # (deleting the Site row, say, which every page then misses).
            visitor.force_login(owner)
            method = "get"
        else:
            method = data.draw(st.sampled_from(["get", "get", "post"]))

        request = f"{method.upper()} {path} {parameters!r}"
        try:
            response = getattr(visitor, method)(path, parameters)
        except Exception as crash:
            # The test client raises what a view lets escape: the crash, and what caused it.
            raise AssertionError(f"{request} crashed") from crash

        # /healthz/worker says 503 when no worker beats, as a health check should.
        if pattern != "healthz/worker" or response.status_code != 503:
            assert response.status_code < 500, f"{request}: {response.status_code}"


@pytest.mark.parametrize(
    ("address", "status"),
    [
        # Years and months no calendar has: datetime.date raised OverflowError past a C int.
        ("/2147483648/", 404),
        ("/10000000000/", 404),
        ("/2024/2147483648/", 404),
        ("/99999999999999999999999/12/", 404),
        ("/0/", 404),
        ("/2024/13/", 404),
        ("/feed/?page=-1", 200),
        ("/en/feed/atom/?page=99999999999999999999", 200),
        ("/?page=-1", 200),
        ("/?page=99999999999999999999", 200),
        ("/search/?q=billet&page=-2147483649", 200),
        ("/tag/expose/?page=0", 200),
        ("/comments/feed/billet-expose/?page=-1", 200),
        ("/newsletter/archive/?page=-1", 200),
        ("/sitemap.xml?p=-1", 404),
        ("/sitemap.xml?p=99999999999999999999", 404),
    ],
)
def test_numbers_out_of_range_in_addresses_the_issue_reported(client, post, address, status):
    assert client.get(address).status_code == status
