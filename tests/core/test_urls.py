"""Addresses filled into a resolved pattern are the addresses Django's reverse() gives."""

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import translation

from core.urls import absolute_links, absolute_url, reverse_slugs


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
    with translation.override("en"):
        assert reverse_slugs("blog:post", slug="pain", language="fr") == "/pain/"


def test_an_absolute_address_is_under_site_url(settings):
    settings.SITE_URL = "https://blog.example.org"

    assert absolute_url("/pain/") == "https://blog.example.org/pain/"


def test_absolute_links_prefix_the_sites_own_addresses_only(settings):
    settings.SITE_URL = "https://blog.example.org"
    html = (
        '<a href="/billet/">a</a> <a href="//cdn.example/x">b</a> <a href="https://ex.org/">c</a>'
        '<source srcset="/media/a-480.webp 480w, /media/a-960.webp 960w">'
        '<img src="/media/a.jpg" srcset="https://ex.org/a.jpg 1x, /media/a-2x.jpg 2x">'
    )

    assert absolute_links(html) == (
        '<a href="https://blog.example.org/billet/">a</a> <a href="//cdn.example/x">b</a> '
        '<a href="https://ex.org/">c</a>'
        '<source srcset="https://blog.example.org/media/a-480.webp 480w, '
        'https://blog.example.org/media/a-960.webp 960w">'
        '<img src="https://blog.example.org/media/a.jpg" '
        'srcset="https://ex.org/a.jpg 1x, https://blog.example.org/media/a-2x.jpg 2x">'
    )
