from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import WORDS_READ_PER_MINUTE
from tests.blog.factories import EditorFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_saving_renders_the_markdown_body_to_html():
    post = PostFactory(body="## Titre\n\nDu **gras** et un [lien](https://example.org/).")

    assert '<h2 id="titre">Titre</h2>' in post.body_html
    assert "<strong>gras</strong>" in post.body_html
    # An editor's own links are not marked as user content.
    assert '<a href="https://example.org/">lien</a>' in post.body_html


def test_saving_strips_scripts_and_dangerous_attributes():
    post = PostFactory(
        body='Bonjour <script>alert(1)</script><img src="x.png" onerror="alert(2)" alt="x">'
        "\n\n[piège](javascript:alert(3))"
    )

    assert "<script" not in post.body_html
    assert "onerror" not in post.body_html
    assert "javascript:" not in post.body_html
    assert '<img src="x.png" alt="x">' in post.body_html


def test_without_an_excerpt_the_summary_is_the_start_of_the_body():
    post = PostFactory(body="Un début *accrocheur*. " + "mot " * 100, excerpt="")

    assert post.summary.startswith("Un début accrocheur.")
    assert len(post.summary.split()) == 40
    assert post.summary.endswith("…")
    assert post.excerpt == ""


def test_the_summary_follows_edits_of_the_body_when_no_excerpt_was_written():
    post = PostFactory(body="Première version du billet.", excerpt="")

    post.body = "Seconde version, réécrite."
    post.save()

    post.refresh_from_db()
    assert post.summary == "Seconde version, réécrite."


def test_an_excerpt_written_by_the_editor_is_the_summary():
    post = PostFactory(excerpt="Le résumé choisi.")

    post.body = "Un tout autre texte."
    post.save()

    assert post.summary == "Le résumé choisi."


def test_reading_time_rounds_up_and_is_at_least_a_minute():
    short = PostFactory(body="Trois petits mots.")
    long = PostFactory(body="mot " * (WORDS_READ_PER_MINUTE * 3 + 1))

    assert short.reading_minutes == 1
    assert long.reading_minutes == 4


def test_meta_title_and_description_prefer_the_seo_fields():
    plain = PostFactory(title="Titre", excerpt="Résumé")
    tuned = PostFactory(title="Titre", seo_title="Titre SEO", seo_description="Description SEO")

    assert (plain.meta_title, plain.meta_description) == ("Titre", "Résumé")
    assert (tuned.meta_title, tuned.meta_description) == ("Titre SEO", "Description SEO")


def test_is_live_only_for_published_posts_whose_date_has_come():
    assert PostFactory().is_live
    assert not PostFactory(draft=True).is_live
    assert not PostFactory(scheduled=True).is_live


def test_canonical_url_uses_the_language_of_the_post():
    french = PostFactory(slug="bonjour", language="fr")
    english = PostFactory(slug="hello", language="en")

    assert french.get_canonical_url() == "http://testserver/bonjour/"
    assert english.get_canonical_url() == "http://testserver/en/hello/"


def test_factories_link_tags_and_authors():
    tag = TagFactory(name="Cuisine", slug="cuisine")
    editor = EditorFactory()
    post = PostFactory(author=editor, tags=[tag], published_at=timezone.now() - timedelta(days=1))

    assert list(post.tags.all()) == [tag]
    assert editor.is_staff and not editor.is_superuser
    assert editor.groups.filter(name="Editors").exists()
