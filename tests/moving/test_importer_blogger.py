import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from moving.importers import ImportRefused, blogger

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples" / "blogger"


@pytest.fixture(autouse=True)
def _english():
    """The report's texts are asserted in English; the site's default language is French."""
    with translation.override("en"):
        yield


BLOG = "tag:blogger.com,1999:blog-42"
KIND = "http://schemas.google.com/g/2005#kind"


def kind(name):
    return f"<category scheme='{KIND}' term='http://schemas.google.com/blogger/2008/kind#{name}'/>"


def classic(*entries, namespaces="xmlns:app='http://www.w3.org/2007/app'"):
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:thr='http://purl.org/syndication/thread/1.0'"
        f" {namespaces}>"
        f"<id>{BLOG}.archive</id><updated>2020-01-01T00:00:00.000+01:00</updated>"
        "<title type='text'>Mon carnet</title>"
        "<link rel='alternate' type='text/html' href='https://carnet.blogspot.com/'/>"
        + "".join(entries)
        + "</feed>"
    ).encode()


SETTINGS = (
    f"<entry><id>{BLOG}.settings.BLOG_LOCALE</id>{kind('settings')}<content type='text'>fr</content></entry>"
    f"<entry><id>{BLOG}.settings.BLOG_TIME_ZONE</id>{kind('settings')}"
    "<content type='text'>Europe/Paris</content></entry>"
    f"<entry><id>{BLOG}.layout</id>{kind('template')}<content type='text'>css</content></entry>"
)
POST = (
    f"<entry><id>{BLOG}.post-100</id>"
    "<published>2019-05-04T10:30:00.000+02:00</published>"
    "<updated>2019-05-05T08:00:00.000+02:00</updated>"
    f"{kind('post')}"
    "<category scheme='http://www.blogger.com/atom/ns#' term='Jardin'/>"
    "<category scheme='http://www.blogger.com/atom/ns#' term='Légumes d’été'/>"
    "<title type='text'>Les radis</title>"
    "<content type='html'>&lt;div&gt;Ils poussent.&lt;br /&gt;"
    '&lt;img src="https://1.bp.blogspot.com/-a/b/s1600/radis.jpg"/&gt;&lt;/div&gt;</content>'
    "<link rel='alternate' type='text/html' href='https://carnet.blogspot.com/2019/05/radis.html'/>"
    "<author><name>Camille</name><uri>https://www.blogger.com/profile/7</uri>"
    "<email>noreply@blogger.com</email></author>"
    "<media:thumbnail xmlns:media='http://search.yahoo.com/mrss/'"
    " url='https://1.bp.blogspot.com/-a/b/s72-c/radis.jpg' height='72' width='72'/>"
    "</entry>"
)
DRAFT = (
    f"<entry><id>{BLOG}.post-101</id><published>2019-06-01T10:00:00.000+02:00</published>"
    "<app:control><app:draft>yes</app:draft></app:control>"
    f"{kind('post')}<title type='text'>Pas fini</title><content type='html'>à suivre</content>"
    "<author><name>Camille</name></author></entry>"
)
PAGE = (
    f"<entry><id>{BLOG}.page-200</id><published>2018-01-01T00:00:00.000+01:00</published>"
    f"{kind('page')}<title type='text'>À propos</title><content type='html'>Moi</content>"
    "<link rel='alternate' type='text/html' href='https://carnet.blogspot.com/p/a-propos.html'/>"
    "</entry>"
)


def comment(number, text, *, parent=None, name="Lou", email="noreply@blogger.com", uri=""):
    related = (
        f"<link rel='related' type='application/atom+xml'"
        f" href='https://www.blogger.com/feeds/42/100/comments/default/{parent}'/>"
        if parent
        else ""
    )
    return (
        f"<entry><id>{BLOG}.post-{number}</id>"
        f"<published>2019-05-06T0{number % 10}:00:00.000+02:00</published>{kind('comment')}"
        f"<title type='text'>{text[:10]}</title><content type='html'>{text}</content>"
        f"{related}<author><name>{name}</name><uri>{uri}</uri><email>{email}</email></author>"
        f"<thr:in-reply-to href='https://carnet.blogspot.com/2019/05/radis.html'"
        f" ref='{BLOG}.post-100' type='text/html'/></entry>"
    )


def test_detects_both_blogger_formats_and_nothing_else():
    assert blogger.detect(classic(POST))
    assert blogger.detect(TAKEOUT.encode())
    assert not blogger.detect(b"<feed xmlns='http://www.w3.org/2005/Atom'><title>x</title></feed>")
    assert not blogger.detect(b"<rss><channel><wp:wxr_version>1.2</wp:wxr_version></channel></rss>")


def test_classic_post_keeps_title_body_labels_dates_old_addresses_and_thumbnail():
    export = blogger.read(classic(SETTINGS, POST, PAGE))

    assert export.platform == "blogger"
    assert export.site_url == "https://carnet.blogspot.com"
    assert export.site_title == "Mon carnet"
    assert export.language == "fr"
    post, page = export.posts
    assert post.source_id == f"{BLOG}.post-100"
    assert post.title == "Les radis"
    # Images stay as Blogger wrote them: the media step unwraps s1600 later.
    assert post.body_html == (
        '<div>Ils poussent.<br /><img src="https://1.bp.blogspot.com/-a/b/s1600/radis.jpg"/></div>'
    )
    assert post.status == "published"
    assert post.language == "fr"
    assert post.published_at.utcoffset() == timedelta(hours=2)
    assert post.published_at.isoformat() == "2019-05-04T10:30:00+02:00"
    assert post.updated_at.isoformat() == "2019-05-05T08:00:00+02:00"
    assert post.slug == "radis"
    assert post.old_urls == ["/2019/05/radis.html", "/2019/05/radis.html?m=1"]
    assert post.featured_image_url == "https://1.bp.blogspot.com/-a/b/s72-c/radis.jpg"
    assert post.term_source_ids == ["Jardin", "Légumes d’été"]
    assert [(term.name, term.slug, term.kind) for term in export.terms] == [
        ("Jardin", "jardin", "tag"),
        ("Légumes d’été", "legumes-dete", "tag"),
    ]
    assert [(a.source_id, a.name, a.email) for a in export.authors] == [
        ("https://www.blogger.com/profile/7", "Camille", "")
    ]
    assert post.author_source_id == "https://www.blogger.com/profile/7"
    assert (page.kind, page.slug, page.old_urls) == (
        "page",
        "a-propos",
        ["/p/a-propos.html", "/p/a-propos.html?m=1"],
    )


def test_settings_and_template_entries_are_counted_once_each_in_skipped():
    export = blogger.read(classic(SETTINGS, POST))

    assert [problem.what for problem in export.skipped] == [
        "2 settings entries",
        "1 template entry",
    ]


def test_without_a_locale_setting_the_language_is_unknown():
    export = blogger.read(classic(POST))

    assert export.language == ""
    assert export.posts[0].language == ""


def test_classic_draft_is_a_draft_without_old_address():
    export = blogger.read(classic(POST, DRAFT))

    draft = export.posts[1]
    assert draft.status == "draft"
    assert draft.old_urls == []
    assert draft.body_html == "à suivre"
    # The same author, with and without a profile address, is one author.
    assert len(export.authors) == 1
    assert draft.author_source_id == export.posts[0].author_source_id


def test_a_post_dated_after_the_export_is_scheduled():
    future = POST.replace("2019-05-04T10:30", "2021-05-04T10:30")

    assert blogger.read(classic(future)).posts[0].status == "scheduled"


def test_classic_comments_are_threaded_with_their_authors():
    export = blogger.read(
        classic(
            # The reply comes first in the file: threading does not depend on the order.
            comment(
                302, "Merci !", parent=301, name="Camille", uri="https://www.blogger.com/profile/7"
            ),
            POST,
            comment(301, "Bravo", email="lou@example.org"),
        )
    )

    reply, first = export.comments
    assert first.post_source_id == f"{BLOG}.post-100"
    assert first.parent_source_id == ""
    assert (first.author_name, first.author_email, first.author_url) == (
        "Lou",
        "lou@example.org",
        "",
    )
    assert first.status == "approved"
    assert first.created_at.isoformat() == "2019-05-06T01:00:00+02:00"
    assert reply.parent_source_id == f"{BLOG}.post-301"
    assert reply.post_source_id == f"{BLOG}.post-100"
    # Blogger's no-reply address is not a commenter's e-mail.
    assert reply.author_email == ""
    assert reply.author_url == "https://www.blogger.com/profile/7"


def test_a_comment_whose_post_is_missing_is_skipped_with_a_reason():
    export = blogger.read(classic(comment(301, "Orphelin")))

    assert export.comments == []
    assert export.skipped[0].what == "comment 301"


def test_undeclared_app_prefix_is_recovered_with_a_warning():
    export = blogger.read(classic(POST, DRAFT, namespaces=""))

    assert [post.status for post in export.posts] == ["published", "draft"]
    assert len(export.warnings) == 1
    assert "unbound prefix" in export.warnings[0].reason


BOMB = (
    "<?xml version='1.0'?><!DOCTYPE feed [<!ENTITY a 'aaaaaaaaaa'>"
    "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>"
    "<feed xmlns='http://www.w3.org/2005/Atom'><entry>{control}"
    f"{kind('post')}<title>&c;</title><content type='html'>x</content></entry></feed>"
)
EXTERNAL = (
    "<?xml version='1.0'?><!DOCTYPE feed [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
    "<feed xmlns='http://www.w3.org/2005/Atom'><entry>{control}"
    f"{kind('post')}<title>&x;</title><content type='html'>x</content></entry></feed>"
)


@pytest.mark.parametrize("document", [BOMB, EXTERNAL], ids=["bomb", "external-entity"])
@pytest.mark.parametrize(
    "control", ["", "<app:control><app:draft>yes</app:draft></app:control>"], ids=["", "undeclared"]
)
def test_entities_are_refused_even_when_the_file_needs_recovery(document, control):
    with pytest.raises(ImportRefused, match="entities"):
        blogger.read(document.format(control=control).encode())


def test_the_recovery_path_itself_refuses_entities():
    # Reached only for an undeclared prefix: check it refuses on its own, not thanks to defusedxml.
    with pytest.raises(ImportRefused, match="entities"):
        blogger._xml_recover(BOMB.format(control="").encode(), [], ValueError("x"))


def test_other_malformed_xml_is_refused():
    broken = classic(POST).replace(b"</title>", b"</titel>", 1)

    with pytest.raises(ImportRefused, match="not well-formed"):
        blogger.read(broken)


def test_bytes_that_are_not_utf8_are_read_as_cp1252_with_a_warning():
    data = classic(POST).replace(b"Les radis", "Les radis d’été".encode("cp1252"))

    export = blogger.read(data)

    assert export.posts[0].title == "Les radis d’été"
    assert "Windows-1252" in export.warnings[0].reason


def test_text_is_nfc():
    decomposed = unicodedata.normalize("NFD", "Été")
    export = blogger.read(classic(POST.replace("Les radis", decomposed)))

    assert export.posts[0].title == "Été"
    assert unicodedata.is_normalized("NFC", export.posts[0].title)


TAKEOUT = """<?xml version='1.0' encoding='utf-8'?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2018'>
  <id>tag:blogger.com,1999:blog-9</id><title>Carnet</title>
  <entry>
    <id>tag:blogger.com,1999:blog-9.post-1</id>
    <blogger:type>POST</blogger:type><blogger:status>LIVE</blogger:status>
    <author><name>Camille</name><uri>https://www.blogger.com/profile/5</uri></author>
    <title>Arrivée</title><content type='html'>&lt;p&gt;Il pleut.&lt;/p&gt;</content>
    <published>2021-06-01T09:00:00Z</published><updated>2021-06-02T10:00:00.000Z</updated>
    <category term='voyage'/>
    <blogger:filename>/2021/06/arrivee.html</blogger:filename>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-9.post-2</id>
    <blogger:parent>tag:blogger.com,1999:blog-9.post-1</blogger:parent>
    <blogger:inReplyTo/>
    <blogger:type>COMMENT</blogger:type><blogger:status>LIVE</blogger:status>
    <author><name>Anonyme</name><blogger:type>ANONYMOUS</blogger:type></author>
    <content type='html'>Bon voyage !</content><published>2021-06-03T12:00:00Z</published>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-9.post-3</id>
    <blogger:parent>tag:blogger.com,1999:blog-9.post-1</blogger:parent>
    <blogger:inReplyTo>tag:blogger.com,1999:blog-9.post-2</blogger:inReplyTo>
    <blogger:type>COMMENT</blogger:type><blogger:status>SPAM</blogger:status>
    <author><name>Promo</name></author>
    <content type='html'>Achetez</content><published>2021-06-04T12:00:00Z</published>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-9.post-4</id>
    <blogger:type>POST</blogger:type><blogger:status>DRAFT</blogger:status>
    <title>Brouillon</title><content type='html'>à finir</content>
    <published>2021-07-01T08:00:00Z</published>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-9.post-5</id>
    <blogger:type>POST</blogger:type><blogger:status>SOFT_TRASHED</blogger:status>
    <title>Jeté</title><content type='html'>non</content>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-9.page-6</id>
    <blogger:type>PAGE</blogger:type><blogger:status>LIVE</blogger:status>
    <title>Contact</title><content type='html'>Écrivez-moi</content>
    <blogger:filename>/p/contact.html</blogger:filename>
  </entry>
</feed>"""


def test_takeout_format_posts_pages_drafts_and_trash():
    export = blogger.read(TAKEOUT.encode())

    assert [(p.title, p.kind, p.status) for p in export.posts] == [
        ("Arrivée", "post", "published"),
        ("Brouillon", "post", "draft"),
        ("Contact", "page", "published"),
    ]
    post = export.posts[0]
    assert post.old_urls == ["/2021/06/arrivee.html", "/2021/06/arrivee.html?m=1"]
    assert post.slug == "arrivee"
    assert post.term_source_ids == ["voyage"]
    assert post.published_at.isoformat() == "2021-06-01T09:00:00+00:00"
    assert export.posts[2].old_urls == ["/p/contact.html", "/p/contact.html?m=1"]
    assert [problem.what for problem in export.skipped] == ["Jeté"]


def test_takeout_comments_follow_parent_and_in_reply_to():
    export = blogger.read(TAKEOUT.encode())

    first, spam = export.comments
    assert first.post_source_id == "tag:blogger.com,1999:blog-9.post-1"
    assert first.parent_source_id == ""
    assert first.author_name == "Anonyme"
    assert spam.parent_source_id == first.source_id
    assert spam.status == "spam"


def sample(name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared samples are not here")
    return blogger.read(path.read_bytes())


def test_sample_fizkult_privet_russian_classic_export():
    export = sample("fizkult-privet.blog-03-21-2019.xml")

    posts = [p for p in export.posts if p.kind == "post"]
    pages = [p for p in export.posts if p.kind == "page"]
    assert (len(posts), len(export.comments), len(pages)) == (33, 52, 3)
    assert export.language == "ru"
    assert export.site_title == "Физкульт-привет!"
    first = posts[0]
    assert first.title == "Шаровые гантели по 30 кг."
    assert first.old_urls == ["/2017/01/30.html", "/2017/01/30.html?m=1"]
    assert first.published_at.isoformat() == "2017-01-07T15:10:00.002000-08:00"
    assert first.term_source_ids == ["гантели Инча", "физкультура"]
    assert "Всем здравия!" in first.body_html
    assert first.featured_image_url.endswith("/s72-c/IMG_8127.JPG")
    for text in [p.title for p in export.posts] + [c.body_html for c in export.comments]:
        assert unicodedata.is_normalized("NFC", text)
        assert "Ð" not in text and "Ñ" not in text  # UTF-8 read as Latin-1 would show these
    assert sum(1 for c in export.comments if c.parent_source_id) == 26
    source_ids = {c.source_id for c in export.comments}
    assert all(c.parent_source_id in source_ids for c in export.comments if c.parent_source_id)
    assert [p.what for p in export.skipped] == ["57 settings entries", "1 template entry"]
    assert export.warnings == []


def test_sample_pelican_with_undeclared_prefix():
    export = sample("pelican-bloggerexport.xml")

    assert [(p.kind, p.status) for p in export.posts] == [
        ("post", "draft"),
        ("post", "published"),
        ("page", "draft"),
        ("page", "published"),
    ]
    assert len(export.comments) == 1
    assert export.comments[0].post_source_id == export.posts[1].source_id
    assert export.comments[0].author_name == "Thomas Isidore Noël Sankara"
    assert export.posts[1].old_urls[0] == "/2010/11/the-steel-windpipe.html"
    assert export.posts[0].term_source_ids == ["Interesting cases", "amputations"]
    assert len(export.warnings) == 1


def test_sample_synthetic_takeout():
    export = sample("SYNTHETIC-blogger-takeout-2018-format.feed.atom")

    assert [(p.title, p.status) for p in export.posts] == [
        ("Arrivée à Lyon", "published"),
        ("Brouillon", "draft"),
    ]
    assert export.posts[0].old_urls[0] == "/2021/06/arrivee-lyon.html"
    assert len(export.comments) == 1


def test_a_file_cut_short_is_refused_even_when_it_needs_recovery():
    whole = classic(POST, DRAFT, POST.replace("post-100", "post-102"), namespaces="")

    with pytest.raises(ImportRefused, match="cut short"):
        blogger.read(whole[: len(whole) - 200])


def test_refusals_are_in_the_readers_language():
    with translation.override("fr"), pytest.raises(ImportRefused, match="entités XML"):
        blogger.read(BOMB.format(control="").encode())
