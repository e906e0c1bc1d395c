"""Signed tokens in the newsletter's links, one salt per purpose so that none opens another's door."""

from django.conf import settings
from django.core import signing

CONFIRM_SALT = "newsletter.confirm"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"
PREFERENCES_SALT = "newsletter.preferences"
DATA_ACCESS_SALT = "newsletter.data_access"


class InvalidToken(Exception):
    """The token was altered or made for something else."""


class ExpiredToken(InvalidToken):
    """The token is genuine but too old."""


def confirmation_token(confirmation_key: str) -> str:
    """Return the token of a confirmation link; it expires (NEWSLETTER_CONFIRMATION_MAX_AGE)."""
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(confirmation_key)


def read_confirmation_token(token: str) -> str:
    """Return the confirmation key inside `token`, or raise InvalidToken / ExpiredToken."""
    return _unsign_timed(token, CONFIRM_SALT, settings.NEWSLETTER_CONFIRMATION_MAX_AGE)


def data_access_token(key: str) -> str:
    """Return the token of a link to download or erase one's data; it expires (NEWSLETTER_DATA_LINK_MAX_AGE)."""
    return signing.TimestampSigner(salt=DATA_ACCESS_SALT).sign(key)


def read_data_access_token(token: str) -> str:
    """Return the subscriber key inside a data-access token, or raise InvalidToken / ExpiredToken."""
    return _unsign_timed(token, DATA_ACCESS_SALT, settings.NEWSLETTER_DATA_LINK_MAX_AGE)


def unsubscribe_token(key: str) -> str:
    """Return the token of a subscriber's unsubscribe link; it never expires (RFC 8058)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(key)


def preferences_token(key: str) -> str:
    """Return the token of a subscriber's preferences link; it never expires.

    Every issue carries it and issues get forwarded, so it only opens what is harmless in a
    stranger's hands (language, unsubscribe); data and erasure need a data-access token.
    """
    return signing.Signer(salt=PREFERENCES_SALT).sign(key)


def read_unsubscribe_token(token: str) -> str:
    """Return the subscriber key inside an unsubscribe token, or raise InvalidToken."""
    return _unsign(token, UNSUBSCRIBE_SALT)


def read_preferences_token(token: str) -> str:
    """Return the subscriber key inside a preferences token, or raise InvalidToken."""
    return _unsign(token, PREFERENCES_SALT)


def _unsign(token: str, salt: str) -> str:
    try:
        return signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature as error:
        raise InvalidToken from error


def _unsign_timed(token: str, salt: str, max_age: int) -> str:
    try:
        return signing.TimestampSigner(salt=salt).unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ExpiredToken from error
    except signing.BadSignature as error:
        raise InvalidToken from error
