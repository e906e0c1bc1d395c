"""Memoized addresses are the addresses Django's reverse() gives, in every language and prefix."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from config.reversing import reverse_memoized, reverse_slugs


@pytest.fixture
def script_prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("prefix", ["/", "/blog/"])
@pytest.mark.parametrize("viewname", ["blog:post", "blog:tag", "comments:feed"])
def test_slug_addresses_match_reverse(viewname, language, prefix, script_prefix):
    script_prefix(prefix)
    with translation.override(language):
        for slug in ["pain-au-levain", "a", "2026-bilan", "under_score"]:
            assert reverse_slugs(viewname, slug=slug) == reverse(viewname, kwargs={"slug": slug})


def test_a_language_given_wins_over_the_active_one():
    with translation.override("fr"):
        assert reverse_slugs("blog:post", slug="bread", language="en") == "/en/bread/"
        assert reverse_slugs("blog:post", slug="pain") == "/pain/"


def test_addresses_without_arguments_match_reverse():
    for language in ("fr", "en"):
        with translation.override(language):
            for viewname in ("blog:home", "blog:feed_rss", "newsletter:subscribe", "admin:index"):
                assert reverse_memoized(viewname) == reverse(viewname)


def test_an_unknown_name_still_fails_loudly():
    with pytest.raises(NoReverseMatch):
        reverse_memoized("blog:nowhere")


def test_the_url_tag_gives_the_same_addresses_as_djangos():
    template = Template(
        "{% url 'blog:home' %}|{% url 'blog:post' 'pain' %}|{% url 'blog:tag' slug='jardin' %}|"
        "{% url 'blog:nowhere' as missing %}[{{ missing }}]|{% url 'blog:archives' as found %}{{ found }}"
    )
    with translation.override("en"):
        assert template.render(Context()) == "/en/|/en/pain/|/en/tag/jardin/|[]|/en/archives/"
    with translation.override("fr"):
        assert template.render(Context()) == "/|/pain/|/tag/jardin/|[]|/archives/"


def test_the_date_filter_gives_djangos_result_per_language_and_time_zone():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.template.defaultfilters import date as django_date
    from django.utils import timezone

    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    template = Template('{{ moment|date:"DATE_FORMAT" }} {{ moment|date:"c" }} {{ moment|date }}')
    for zone in ("Europe/Paris", "UTC", "America/New_York"):
        for language in ("fr", "en"):
            with timezone.override(ZoneInfo(zone)), translation.override(language):
                local = timezone.localtime(moment)
                expected = " ".join(
                    [django_date(local, "DATE_FORMAT"), django_date(local, "c"), django_date(local)]
                )
                assert template.render(Context({"moment": moment})) == expected
    with translation.override("fr"), timezone.override(ZoneInfo("Europe/Paris")):
        assert template.render(Context({"moment": moment})).startswith("2 mars 2026 ")
