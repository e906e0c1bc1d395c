"""Dates in pages are Django's `|date`: right on both sides of the autumn clock change."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template

from tests.blog.factories import PostFactory

# In Europe/Paris the clock goes back from 03:00 to 02:00 on 2026-10-25: both instants read 02:30.
BEFORE_THE_CHANGE = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
AFTER_THE_CHANGE = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def test_the_two_half_past_two_of_the_autumn_change_keep_their_own_offsets():
    template = Template('{{ before|date:"c" }} {{ after|date:"c" }} {{ before|date:"c" }}')

    rendered = template.render(Context({"before": BEFORE_THE_CHANGE, "after": AFTER_THE_CHANGE}))

    assert rendered == (
        "2026-10-25T02:30:00+02:00 2026-10-25T02:30:00+01:00 2026-10-25T02:30:00+02:00"
    )


@pytest.mark.django_db
def test_a_list_page_dates_each_post_on_its_own_side_of_the_change(client):
    PostFactory(title="Avant le changement d’heure", published_at=BEFORE_THE_CHANGE)
    PostFactory(title="Après le changement d’heure", published_at=AFTER_THE_CHANGE)

    page = client.get("/").content.decode()

    after = page.index('<time datetime="2026-10-25T02:30:00+01:00">25 octobre 2026</time>')
    before = page.index('<time datetime="2026-10-25T02:30:00+02:00">25 octobre 2026</time>')
    assert page.index("Après le changement") < after < page.index("Avant le changement") < before
