import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from moving.importers import ImportRefused, overblog

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples" / "overblog"


@pytest.fixture(autouse=True)
def _english():
    """The report's texts are asserted in English; the site's default language is French."""
    with translation.override("en"):
        yield


EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<overblog version="2">
  <posts>
    <post>
      <title>Les confitures</title>
      <slug>2015/03/les-confitures.html</slug>
      <status>published</status>
      <created_at>2015-03-02 10:15:00</created_at>
      <published_at>2015-03-02 10:20:00</published_at>
      <modified_at>2016-01-11T08:00:00+00:00</modified_at>
      <tags>cuisine, été ,, Cuisine</tags>
      <mood>joyeux</mood>
      <content><![CDATA[<p>Les abricots&nbsp;!</p>]]></content>
      <comments>
        <comment>
          <author_name>Élodie</author_name>
          <author_email>elodie@example.org</author_email>
          <author_url></author_url>
          <published_at>Tue, 03 Mar 2015 09:00:00 +0100</published_at>
          <content><![CDATA[Miam !

Combien de sucre ?]]></content>
          <replies>
            <comment>
              <author_name>Mamie</author_name>
              <author_url>http://mamie.over-blog.com</author_url>
              <published_at>1425385800</published_at>
              <content>Moitié moins.</content>
              <replies>
                <comment><author_name>Élodie</author_name><content>Merci</content></comment>
              </replies>
            </comment>
          </replies>
        </comment>
      </comments>
    </post>
    <post>
      <title>Ancien article</title>
      <slug>article-12345678.html</slug>
      <status>brouillon</status>
      <published_at>2009-05-13T18:00:00</published_at>
      <mood>triste</mood>
      <content>Premier paragraphe.

Second.</content>
    </post>
    <post>
      <id>77</id>
      <title>Avec une adresse</title>
      <permalink>http://mamie.over-blog.com/article-avec-une-adresse-77.html</permalink>
      <status>en attente</status>
      <published_at>13/05/2009 18:00</published_at>
      <content>x</content>
    </post>
    <post><title>Un slug nu</title><slug>slug-nu</slug><content>y</content></post>
    <post><title>Jeté</title><slug>jete</slug><status>deleted</status><content>z</content></post>
  </posts>
  <pages>
    <page>
      <title>À propos</title>
      <slug>pages/a-propos.html</slug>
      <status>published</status>
      <published_at>2015-01-01 00:00:00</published_at>
      <content><![CDATA[<p>Bienvenue.</p>]]></content>
    </page>
  </pages>
</overblog>"""


def test_detects_by_structure_whatever_the_root():
    assert overblog.detect(EXPORT.encode())
    assert overblog.detect(b"<export><post><title>a</title><content>b</content></post></export>")
    assert not overblog.detect(b"<rss><channel><item><title>a</title><content>b</content>")
    assert not overblog.detect(b"<feed><entry><title>a</title><content>b</content></entry></feed>")
    assert not overblog.detect(b'{"posts": [{"title": "a", "content": "b"}]}')


def test_posts_and_pages_with_their_fields():
    export = overblog.read(EXPORT.encode())

    assert export.platform == "overblog"
    assert [(p.title, p.kind, p.status) for p in export.posts] == [
        ("Les confitures", "post", "published"),
        ("Ancien article", "post", "draft"),
        ("Avec une adresse", "post", "draft"),
        ("Un slug nu", "post", "published"),
        ("À propos", "page", "published"),
    ]
    post = export.posts[0]
    assert post.body_html == "<p>Les abricots&nbsp;!</p>"
    assert post.slug == "les-confitures"
    assert post.old_urls == ["/2015/03/les-confitures.html"]
    # A time without a zone is Paris time, with its summer/winter offset.
    assert post.published_at.isoformat() == "2015-03-02T10:20:00+01:00"
    assert post.updated_at.isoformat() == "2016-01-11T08:00:00+00:00"
    assert post.term_source_ids == ["cuisine", "été"]
    assert [(t.name, t.slug) for t in export.terms] == [("cuisine", "cuisine"), ("été", "ete")]
    assert [p.what for p in export.skipped] == ["Jeté"]


def test_old_addresses_and_slugs_in_each_form():
    posts = overblog.read(EXPORT.encode()).posts

    numbered, with_address, bare, page = posts[1], posts[2], posts[3], posts[4]
    # A numbered address says nothing: the slug comes from the title.
    assert (numbered.old_urls, numbered.slug) == (["/article-12345678.html"], "ancien-article")
    assert with_address.old_urls == ["/article-avec-une-adresse-77.html"]
    assert with_address.source_id == "77"
    assert (bare.old_urls, bare.slug) == (["/article-slug-nu.html"], "slug-nu")
    assert (page.old_urls, page.slug) == (["/pages/a-propos.html"], "a-propos")


def test_plain_text_bodies_become_paragraphs():
    assert overblog.read(EXPORT.encode()).posts[1].body_html == (
        "<p>Premier paragraphe.</p>\n<p>Second.</p>"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-07-02 10:15:00", "2015-07-02T10:15:00+02:00"),
        ("2015-07-02T10:15:00", "2015-07-02T10:15:00+02:00"),
        ("2015-07-02T10:15:00Z", "2015-07-02T10:15:00+00:00"),
        ("2015-07-02T10:15:00-05:00", "2015-07-02T10:15:00-05:00"),
        ("Thu, 02 Jul 2015 10:15:00 +0200", "2015-07-02T10:15:00+02:00"),
        ("1435824900", "2015-07-02T10:15:00+02:00"),
        ("1435824900000", "2015-07-02T10:15:00+02:00"),
        ("02/07/2015 10:15", "2015-07-02T10:15:00+02:00"),
    ],
)
def test_dates_in_several_formats(value, expected):
    assert overblog.parse_date(value).isoformat() == expected


def test_comments_are_threaded_at_any_depth():
    export = overblog.read(EXPORT.encode())

    first, reply, thanks = export.comments
    post_id = export.posts[0].source_id
    assert {c.post_source_id for c in export.comments} == {post_id}
    assert first.parent_source_id == ""
    assert reply.parent_source_id == first.source_id
    assert thanks.parent_source_id == reply.source_id
    assert (first.author_name, first.author_email) == ("Élodie", "elodie@example.org")
    assert first.created_at.isoformat() == "2015-03-03T09:00:00+01:00"
    assert first.body_html == "<p>Miam !</p>\n<p>Combien de sucre ?</p>"
    assert reply.author_url == "http://mamie.over-blog.com"
    assert reply.created_at.isoformat() == "2015-03-03T13:30:00+01:00"
    assert first.status == "approved"
    # Ids are derived from the content, so a re-run finds the same comments.
    again = overblog.read(EXPORT.encode()).comments
    assert [c.source_id for c in again] == [first.source_id, reply.source_id, thanks.source_id]
    assert len({first.source_id, reply.source_id, thanks.source_id}) == 3


def test_unknown_fields_and_statuses_are_reported_once():
    export = overblog.read(EXPORT.encode())

    whats = [problem.what for problem in export.warnings]
    assert whats.count("<mood>") == 1
    assert "<status>en attente</status>" in whats
    assert "<status>brouillon</status>" not in whats


def test_a_file_without_posts_is_refused():
    with pytest.raises(ImportRefused, match="no post"):
        overblog.read(b"<blog><settings><title>x</title></settings></blog>")


def test_a_bomb_and_an_external_entity_are_refused():
    bomb = (
        b"<?xml version='1.0'?><!DOCTYPE blog [<!ENTITY a 'aaaaaaaaaa'>"
        b"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
        b"<blog><posts><post><title>&b;</title><content>x</content></post></posts></blog>"
    )
    external = (
        b"<?xml version='1.0'?><!DOCTYPE blog [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
        b"<blog><posts><post><title>&x;</title><content>x</content></post></posts></blog>"
    )
    for document in (bomb, external, bomb.replace(b"</title>", b"</title>&")):
        with pytest.raises(ImportRefused, match="entities"):
            overblog.read(document)


def test_malformed_xml_is_recovered_with_a_warning_but_a_cut_file_is_refused():
    broken = (
        b"<blog><posts><post><title>Toi & moi</title><content>ok</content></post></posts></blog>"
    )

    export = overblog.read(broken)

    assert export.posts[0].title.startswith("Toi")
    assert len(export.warnings) == 1
    with pytest.raises(ImportRefused):
        overblog.read(EXPORT.encode()[: len(EXPORT) // 2])


def test_sample_synthetic_overblog_export():
    path = SAMPLES / "SYNTHETIC-overblog-export.xml"
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared samples are not here")

    export = overblog.read(path.read_bytes())

    assert [(p.kind, p.title) for p in export.posts] == [
        ("post", "Les confitures de Mamie"),
        ("post", "Ancien article (ancienne plateforme)"),
        ("page", "À propos"),
    ]
    assert len(export.comments) == 2
    assert export.comments[1].parent_source_id == export.comments[0].source_id
    assert export.comments[0].author_name == "Élodie"
    assert unicodedata.is_normalized("NFC", export.posts[2].title)
    assert export.posts[0].old_urls == ["/2015/03/les-confitures-de-mamie.html"]
    assert export.posts[1].old_urls == ["/article-12345678.html"]
    assert export.posts[0].term_source_ids == ["cuisine", "été", "souvenirs d'enfance"]
    assert export.warnings == []
