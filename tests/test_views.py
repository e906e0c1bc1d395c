"""The site's own error pages: a database that went away is a 503 to come back to, not a 500."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from blog.models import PostQuerySet

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("the database system is shutting down"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_lost_database_gets_a_friendly_503_to_come_back_to(visitor, monkeypatch, error):
    def fail(self):
        raise error

    monkeypatch.setattr(PostQuerySet, "for_listing", fail)

    response = visitor.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Le site revient dans un instant" in page and "The site will be back in a moment" in page
    assert "Traceback" not in page and "shutting down" not in page


def test_any_other_error_is_still_a_500(visitor, monkeypatch):
    def fail(self):
        raise ValueError("a bug")

    monkeypatch.setattr(PostQuerySet, "for_listing", fail)

    response = visitor.get("/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Un souci de notre côté" in response.content.decode()
