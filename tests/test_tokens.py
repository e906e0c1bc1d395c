"""Links in emails carry signed tokens: none can be forged, moved to another person or purpose.

Every kind of token is tried on every address that reads a token: only its own opens anything.
Tokens signed with another secret, or edited to name someone else, open nothing; links that
expire (confirmation, access to one's data) say so. Unsubscribe, preferences and stop-reply links
never expire, on purpose: a reader must be able to leave from an old email (RFC 8058).
"""

import pytest
from django.core import signing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comments import tokens as comment_tokens
from comments.models import Comment
from newsletter import tokens as newsletter_tokens
from newsletter.models import Subscriber
from tests.comments.factories import CommentFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db

# Each kind of link: the address that reads it, and those where a POST changes something.
ADDRESSES = {
    "confirm": ["/newsletter/confirm/{}/"],
    "unsubscribe": ["/newsletter/unsubscribe/{}/"],
    "preferences": [
        "/newsletter/preferences/{}/",
        "/newsletter/preferences/{}/leave/",
        "/newsletter/preferences/{}/language/",
        "/newsletter/preferences/{}/data-link/",
    ],
    "data": [
        "/newsletter/my-data/{}/",
        "/newsletter/my-data/{}/download/",
        "/newsletter/my-data/{}/erase/",
    ],
    "stop_replies": ["/comments/stop/{}/"],
}
# What a POST would need to act if the token were good.
FORM = {"confirm": "on", "language": "en", "List-Unsubscribe": "One-Click"}
EDITS = 200


class OldTimestampSigner(signing.TimestampSigner):
    """Sign as if it were `seconds_ago` seconds ago."""

    def __init__(self, *, seconds_ago: int, **kwargs):
        super().__init__(**kwargs)
        self.seconds_ago = seconds_ago

    def timestamp(self):
        return signing.b62_encode(int(signing.time.time()) - self.seconds_ago)


def tokens_of(subscriber: Subscriber, comment: Comment) -> dict[str, str]:
    return {
        "confirm": newsletter_tokens.confirmation_token(subscriber.confirmation_key),
        "unsubscribe": newsletter_tokens.unsubscribe_token(subscriber.key),
        "preferences": newsletter_tokens.preferences_token(subscriber.key),
        "data": newsletter_tokens.data_access_token(subscriber.key),
        "stop_replies": comment_tokens.stop_notifications_token(comment),
    }


def state(subscriber: Subscriber, comment: Comment) -> tuple:
    subscriber.refresh_from_db()
    comment.refresh_from_db()
    return subscriber.status, subscriber.language, comment.notify_replies


def assert_refused(client, kind, token, subscriber, comment, *, expired=False):
    """Every address of `kind` refuses `token` (GET and POST), changes nothing, shows nothing."""
    before = state(subscriber, comment)
    erasures = Subscriber.objects.count()
    for address in ADDRESSES[kind]:
        for response in (
            client.get(address.format(token)),
            client.post(address.format(token), FORM),
        ):
            # 400 and the problem page; 405 where the address takes only the other method.
            assert response.status_code in (400, 405), (address, response.status_code)
            page = response.content.decode()
            assert subscriber.email not in page
            if response.status_code == 400:
                assert ("expired" in page or "expiré" in page) == expired, address
    assert state(subscriber, comment) == before
    assert Subscriber.objects.count() == erasures


@pytest.fixture
def people():
    subscriber = SubscriberFactory(pending=True, email="alice@example.org")
    comment = CommentFactory(author_email="alice@example.org", notify_replies=True)
    return subscriber, comment


@pytest.mark.parametrize(
    ("kind", "address"),
    [(kind, address) for kind in ADDRESSES for address in ADDRESSES if kind != address],
)
def test_a_token_opens_only_the_door_it_was_made_for(client, people, kind, address):
    subscriber, comment = people
    token = tokens_of(subscriber, comment)[kind]

    assert_refused(client, address, token, subscriber, comment)


@pytest.mark.parametrize("kind", ADDRESSES)
def test_a_token_signed_with_another_secret_is_refused(client, settings, people, kind):
    subscriber, comment = people
    settings.SECRET_KEY = "someone-elses-secret"
    forged = tokens_of(subscriber, comment)[kind]
    settings.SECRET_KEY = "test-only-not-secret"

    assert_refused(client, kind, forged, subscriber, comment)


@pytest.mark.parametrize("kind", ["confirm", "unsubscribe", "preferences", "data"])
def test_a_token_edited_to_name_another_subscriber_is_refused(client, people, kind):
    subscriber, comment = people
    other = SubscriberFactory(pending=True, email="bob@example.org")
    token = tokens_of(subscriber, comment)[kind]
    own_value = subscriber.confirmation_key if kind == "confirm" else subscriber.key
    other_value = other.confirmation_key if kind == "confirm" else other.key

    moved = token.replace(own_value, other_value)

    assert moved != token
    assert_refused(client, kind, moved, other, comment)


def test_a_stop_token_edited_to_name_another_comment_is_refused(client, people):
    subscriber, comment = people
    other = CommentFactory(notify_replies=True, author_email="bob@example.org")
    token = comment_tokens.stop_notifications_token(comment)
    payload, signature = token.split(":", 1)
    other_payload = signing.dumps({"comment": other.pk}, salt="anything", compress=True).split(":")[
        0
    ]

    assert_refused(client, "stop_replies", f"{other_payload}:{signature}", subscriber, other)


@settings(
    max_examples=EDITS,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    kind=st.sampled_from(list(ADDRESSES)),
    position=st.integers(min_value=0),
    replacement=st.characters(categories=["L", "N"], max_codepoint=127),
)
def test_any_one_character_edit_of_a_token_is_refused(client, people, kind, position, replacement):
    subscriber, comment = people
    token = tokens_of(subscriber, comment)[kind]
    position %= len(token)
    edited = token[:position] + replacement + token[position + 1 :]
    if edited == token:
        return

    assert_refused(client, kind, edited, subscriber, comment)


def test_an_expired_confirmation_link_says_so(client, settings, people):
    subscriber, comment = people
    old = OldTimestampSigner(
        salt=newsletter_tokens.CONFIRM_SALT,
        seconds_ago=settings.NEWSLETTER_CONFIRMATION_MAX_AGE + 60,
    ).sign(subscriber.confirmation_key)

    assert_refused(client, "confirm", old, subscriber, comment, expired=True)


def test_an_expired_data_link_says_so(client, settings, people):
    subscriber, comment = people
    old = OldTimestampSigner(
        salt=newsletter_tokens.DATA_ACCESS_SALT,
        seconds_ago=settings.NEWSLETTER_DATA_LINK_MAX_AGE + 60,
    ).sign(subscriber.key)

    assert_refused(client, "data", old, subscriber, comment, expired=True)


def test_each_token_opens_its_own_door(client, people):
    """The control: the same requests with the right token are accepted."""
    subscriber, comment = people
    issued = tokens_of(subscriber, comment)

    assert client.post(f"/newsletter/confirm/{issued['confirm']}/").status_code == 302
    assert client.get(f"/newsletter/preferences/{issued['preferences']}/").status_code == 200
    assert client.get(f"/newsletter/my-data/{issued['data']}/").status_code == 200
    assert client.post(f"/comments/stop/{issued['stop_replies']}/").status_code == 200
    assert client.post(f"/newsletter/unsubscribe/{issued['unsubscribe']}/").status_code == 200
    assert state(subscriber, comment) == ("unsubscribed", "fr", False)
