"""The WordPress (WXR) importer: small exports written here, then the samples in ../shared/samples."""

import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from moving.importers import ImportRefused, wxr

WP = "http://wordpress.org/export/1.2/"
SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples" / "wxr"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def wxr_document(items: str = "", channel: str = "", version: str = "1.2") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/{version}/">
<channel>
<title>Le Potager</title>
<link>https://potager.example</link>
<language>fr-FR</language>
<wp:wxr_version>{version}</wp:wxr_version>
{channel}
{items}
</channel>
</rss>""".encode()


def item(post_id="12", post_type="post", content="", extra="", status="publish", name="radis"):
    return f"""<item>
<title>Les radis</title>
<link>https://potager.example/2019/05/{name}/</link>
<guid isPermaLink="false">https://potager.example/?p={post_id}</guid>
<dc:creator><![CDATA[anne]]></dc:creator>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_date>2019-05-02 14:30:00</wp:post_date>
<wp:post_date_gmt>2019-05-02 12:30:00</wp:post_date_gmt>
<wp:comment_status>open</wp:comment_status>
<wp:post_name>{name}</wp:post_name>
<wp:status>{status}</wp:status>
<wp:post_type>{post_type}</wp:post_type>
{extra}
</item>"""


def attachment(post_id, url, *, alt="", caption="", parent="0"):
    return f"""<item>
<title>Photo {post_id}</title>
<wp:post_id>{post_id}</wp:post_id>
<wp:post_type>attachment</wp:post_type>
<wp:post_parent>{parent}</wp:post_parent>
<wp:attachment_url>{url}</wp:attachment_url>
<excerpt:encoded><![CDATA[{caption}]]></excerpt:encoded>
<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>
<wp:meta_value><![CDATA[{alt}]]></wp:meta_value></wp:postmeta>
</item>"""


def meta(key, value):
    return (
        f"<wp:postmeta><wp:meta_key>{key}</wp:meta_key>"
        f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:postmeta>"
    )


# Detection and hostile files -------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_detect_accepts_wxr_versions(version):
    assert wxr.detect(wxr_document(version=version)[:65536])


def test_detect_accepts_the_https_namespace_of_wordpress_com():
    assert wxr.detect(b'<rss xmlns:wp="https://wordpress.org/export/1.2/"><channel>')


@pytest.mark.parametrize(
    "head",
    [
        b'<rss version="2.0"><channel><title>A feed</title></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:x="http://wordpress.org/export/1.2/">',
        b'<rss xmlns:wp="http://wordpress.org/export/2.0/">',
        b"ZIP\nposts.csv",
    ],
)
def test_detect_refuses_other_files(head):
    assert not wxr.detect(head)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&lol4;</title></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&x;</title></channel></rss>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_entities_are_refused_with_a_clear_message(data):
    with pytest.raises(ImportRefused, match="refused to protect the server"):
        wxr.read(data)


def test_the_refusal_is_in_the_readers_language():
    with translation.override("fr"), pytest.raises(ImportRefused) as refused:
        wxr.read(EXTERNAL_ENTITY)
    assert "refusé" in str(refused.value)


def test_a_file_that_is_not_xml_is_refused():
    with pytest.raises(ImportRefused, match="not well-formed XML"):
        wxr.read(wxr_document()[:300])


def test_a_file_that_is_not_an_rss_export_is_refused():
    with pytest.raises(ImportRefused, match="no RSS channel"):
        wxr.read(b"<html><body>hello</body></html>")


def test_bare_ampersands_and_html_entities_are_mended_with_a_warning():
    data = wxr_document(
        attachment("5", "https://img.example/p.jpg?w=10&h=20")
        + item(content="<p>Bonjour</p>").replace("<title>Les radis", "<title>Radis&nbsp;&amp; co")
    )
    export = wxr.read(data)
    assert export.attachments[0].url == "https://img.example/p.jpg?w=10&h=20"
    assert export.posts[0].title == "Radis\u00a0& co"
    assert "repaired" in export.warnings[0].reason


# The channel -----------------------------------------------------------------------------------


def test_site_authors_and_terms():
    channel = """
<wp:author><wp:author_login>anne</wp:author_login><wp:author_email>anne@example.com</wp:author_email>
<wp:author_display_name><![CDATA[Anne Potager]]></wp:author_display_name></wp:author>
<wp:author><wp:author_login>bob</wp:author_login>
<wp:author_first_name>Bob</wp:author_first_name><wp:author_last_name>Binette</wp:author_last_name>
</wp:author>
<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>l%c3%a9gumes</wp:category_nicename>
<wp:cat_name><![CDATA[Légumes]]></wp:cat_name>
<wp:category_description>Du jardin</wp:category_description></wp:category>
<wp:tag><wp:term_id>7</wp:term_id><wp:tag_slug>printemps</wp:tag_slug>
<wp:tag_name><![CDATA[Printemps]]></wp:tag_name></wp:tag>"""
    extra = (
        '<category domain="category" nicename="l%c3%a9gumes"><![CDATA[Légumes]]></category>'
        '<category domain="post_tag" nicename="printemps"><![CDATA[Printemps]]></category>'
        '<category domain="post_tag" nicename="semis"><![CDATA[Semis]]></category>'
        '<category domain="post_format" nicename="post-format-aside">Aside</category>'
    )
    export = wxr.read(wxr_document(item(extra=extra), channel=channel))
    assert (export.platform, export.site_title, export.site_url, export.language) == (
        "wxr",
        "Le Potager",
        "https://potager.example",
        "fr",
    )
    assert [(a.source_id, a.name, a.email) for a in export.authors] == [
        ("anne", "Anne Potager", "anne@example.com"),
        ("bob", "Bob Binette", ""),
    ]
    assert [(t.source_id, t.name, t.slug, t.kind, t.description) for t in export.terms] == [
        ("3", "Légumes", "légumes", "category", "Du jardin"),
        ("7", "Printemps", "printemps", "tag", ""),
        ("tag:semis", "Semis", "semis", "tag", ""),
    ]
    assert export.posts[0].term_source_ids == ["3", "7", "tag:semis"]
    assert export.posts[0].language == "fr"


# Posts -----------------------------------------------------------------------------------------


def test_a_post_and_its_fields():
    extra = (
        meta("_yoast_wpseo_title", "Radis de printemps")
        + meta("_yoast_wpseo_metadesc", "Semer des radis en mai.")
        + meta("_yoast_wpseo_focuskw", "radis")
        + meta("_thumbnail_id", "30")
        + "<wp:post_modified>2019-06-01 10:00:00</wp:post_modified>"
        + "<wp:post_modified_gmt>2019-06-01 08:00:00</wp:post_modified_gmt>"
    )
    data = wxr_document(
        attachment("30", "https://potager.example/wp-content/uploads/radis.jpg", alt="Des radis")
        + item(content="<p>Ils poussent vite.</p>", extra=extra).replace(
            "<excerpt:encoded><![CDATA[]]>", "<excerpt:encoded><![CDATA[<p>Vite &amp; bien</p>]]>"
        )
    )
    post = wxr.read(data).posts[0]
    assert post.source_id == "12"
    assert post.title == "Les radis"
    assert post.kind == "post"
    assert post.slug == "radis"
    assert post.excerpt == "Vite & bien"
    assert post.status == "published"
    assert post.body_html == "<p>Ils poussent vite.</p>"
    assert post.author_source_id == "anne"
    paris = timezone(timedelta(hours=2))
    assert post.published_at == datetime(2019, 5, 2, 14, 30, tzinfo=paris)
    assert post.published_at == datetime(2019, 5, 2, 12, 30, tzinfo=UTC)
    assert post.published_at.utcoffset() == timedelta(hours=2)
    assert post.updated_at == datetime(2019, 6, 1, 8, tzinfo=UTC)
    assert (post.seo_title, post.seo_description) == (
        "Radis de printemps",
        "Semer des radis en mai.",
    )
    assert post.featured_image_url == "https://potager.example/wp-content/uploads/radis.jpg"
    assert post.featured_image_alt == "Des radis"
    assert post.old_urls == ["/2019/05/radis/", "/?p=12"]
    assert post.comments_open is True


@pytest.mark.parametrize(
    ("wp_status", "status"),
    [
        ("publish", "published"),
        ("draft", "draft"),
        ("future", "scheduled"),
        ("private", "private"),
        ("pending", "draft"),
    ],
)
def test_statuses(wp_status, status):
    assert wxr.read(wxr_document(item(status=wp_status))).posts[0].status == status


def test_a_page_has_its_page_id_address_and_closed_comments():
    page = item(post_id="40", post_type="page", name="a-propos").replace(
        "<wp:comment_status>open", "<wp:comment_status>closed"
    )
    post = wxr.read(wxr_document(page)).posts[0]
    assert post.kind == "page"
    assert post.old_urls == ["/2019/05/a-propos/", "/?page_id=40", "/?p=40"]
    assert post.comments_open is False


def test_a_draft_without_gmt_date_takes_the_blogs_offset():
    draft = (
        item(post_id="13", status="draft", name="")
        .replace("<wp:post_date_gmt>2019-05-02 12:30:00", "<wp:post_date_gmt>0000-00-00 00:00:00")
        .replace("<wp:post_date>2019-05-02 14:30:00", "<wp:post_date>2019-05-03 09:00:00")
        .replace("<title>Les radis", "<title>Semer les Carottes")
    )
    export = wxr.read(wxr_document(item() + draft))
    draft_post = export.posts[1]
    assert draft_post.published_at == datetime(2019, 5, 3, 9, tzinfo=timezone(timedelta(hours=2)))
    # No slug in the export: one is derived from the title.
    assert draft_post.slug == "semer-les-carottes"


def test_other_post_types_are_skipped_and_counted_per_type():
    items = "".join(
        item(post_id=str(n), post_type=kind)
        for n, kind in enumerate(["nav_menu_item", "nav_menu_item", "revision", "recipe", "post"])
    )
    export = wxr.read(wxr_document(items + item(post_id="9", status="trash")))
    assert len(export.posts) == 1
    assert [p.what for p in export.skipped] == [
        "2 items of type “nav_menu_item”",
        "1 item of type “recipe”",
        "1 item of type “revision”",
        "1 item in the trash",
    ]


def test_password_protected_posts_become_private_with_a_warning():
    extra = "<wp:post_password>secret</wp:post_password>"
    export = wxr.read(wxr_document(item(extra=extra)))
    assert export.posts[0].status == "private"
    assert export.warnings[0].what == "post 12"


# Comments --------------------------------------------------------------------------------------


def comment(comment_id, parent="0", approved="1", kind="", content="Bravo !"):
    return f"""<wp:comment>
<wp:comment_id>{comment_id}</wp:comment_id>
<wp:comment_author><![CDATA[Marie]]></wp:comment_author>
<wp:comment_author_email>marie@example.com</wp:comment_author_email>
<wp:comment_author_url>https://marie.example</wp:comment_author_url>
<wp:comment_author_IP>192.0.2.7</wp:comment_author_IP>
<wp:comment_date>2019-05-03 10:00:00</wp:comment_date>
<wp:comment_date_gmt>2019-05-03 08:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{content}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved>
<wp:comment_type>{kind}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent>
</wp:comment>"""


def test_comments_with_threads_states_and_kinds():
    comments = (
        comment("1", content="Premier.\n\nSecond paragraphe.")
        + comment("2", parent="1")
        + comment("3", approved="0")
        + comment("4", approved="spam")
        + comment("5", approved="trash")
        + comment("6", kind="pingback")
        + comment("7", kind="trackback")
    )
    export = wxr.read(wxr_document(item(extra=comments)))
    first = export.comments[0]
    assert (first.source_id, first.post_source_id, first.parent_source_id) == ("1", "12", "")
    assert first.body_html == "<p>Premier.</p>\n<p>Second paragraphe.</p>"
    assert (first.author_name, first.author_email, first.author_url, first.author_ip) == (
        "Marie",
        "marie@example.com",
        "https://marie.example",
        "192.0.2.7",
    )
    assert first.created_at == datetime(2019, 5, 3, 8, tzinfo=UTC)
    assert export.comments[1].parent_source_id == "1"
    assert [c.status for c in export.comments] == [
        "approved",
        "approved",
        "pending",
        "spam",
        "trash",
        "approved",
        "approved",
    ]
    assert [c.kind for c in export.comments][-3:] == ["comment", "pingback", "trackback"]


# Bodies ----------------------------------------------------------------------------------------


def test_wpautop_makes_paragraphs_and_line_breaks():
    assert wxr.wpautop("Un\ndeux\n\nTrois") == "<p>Un<br />\ndeux</p>\n<p>Trois</p>\n"
    assert wxr.wpautop("<h2>Titre</h2>\nTexte") == "<h2>Titre</h2>\n<p>Texte</p>\n"
    assert wxr.wpautop("<pre>a\n\nb</pre>") == "<pre>a\n\nb</pre>\n"
    assert wxr.wpautop("<ul>\n<li>a</li>\n<li>b</li>\n</ul>") == (
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
    )


def test_block_comments_are_dropped_and_block_content_is_not_autopd():
    content = (
        '<!-- wp:heading {"level":3} -->\n<h3>Semis</h3>\n<!-- /wp:heading -->\n\n'
        "<!-- wp:paragraph -->\n<p>En mai\nau soleil.</p>\n<!-- /wp:paragraph -->\n\n"
        "<!-- wp:separator /-->"
    )
    body = wxr.render(content)
    assert "wp:" not in body
    assert re.sub(r"\n+", "\n", body) == "<h3>Semis</h3>\n<p>En mai\nau soleil.</p>"


def test_caption_shortcode_becomes_a_figure():
    content = (
        '[caption id="attachment_30" align="alignright" width="300"]'
        '<a href="https://potager.example/radis.jpg"><img src="https://potager.example/radis.jpg"'
        ' alt="Radis" width="300" /></a> Des radis roses[/caption]\n\nSuite.'
    )
    body = wxr.render(content)
    assert body == (
        '<figure class="wp-caption alignright"><a href="https://potager.example/radis.jpg">'
        '<img src="https://potager.example/radis.jpg" alt="Radis" width="300" /></a>'
        "<figcaption>Des radis roses</figcaption></figure>\n<p>Suite.</p>"
    )


def test_gallery_shortcode_becomes_a_figure_of_the_attachments():
    data = wxr_document(
        attachment("30", "https://potager.example/a.jpg", alt="A", caption="Première")
        + attachment("31", "https://potager.example/b.jpg", alt="B", parent="12")
        + item(content='Avant\n\n[gallery ids="30,31" columns="2"]\n\nAprès')
        + item(post_id="14", name="tout", content="[gallery]")
        .replace("<wp:post_id>14", "<wp:post_id>14")
        .replace("?p=14", "?p=14")
    )
    export = wxr.read(data)
    assert export.posts[0].body_html.replace("\n", "") == (
        "<p>Avant</p>"
        '<figure class="gallery"><figure><a href="https://potager.example/a.jpg">'
        '<img src="https://potager.example/a.jpg" alt="A"></a><figcaption>Première</figcaption>'
        '</figure><figure><a href="https://potager.example/b.jpg">'
        '<img src="https://potager.example/b.jpg" alt="B"></a></figure></figure>'
        "<p>Après</p>"
    )
    # Without ids, WordPress shows the images attached to the post: none are attached to post 14.
    assert export.posts[1].body_html == ""


def test_a_gallery_without_ids_shows_the_posts_attached_images():
    data = wxr_document(
        attachment("31", "https://potager.example/b.jpg", alt="B", parent="12")
        + item(content="[gallery]")
    )
    assert 'src="https://potager.example/b.jpg"' in wxr.read(data).posts[0].body_html


def test_embed_audio_and_video_become_links_and_unknown_shortcodes_a_warning():
    content = (
        "[embed]https://www.youtube.com/watch?v=abc[/embed]\n\n"
        '[audio mp3="https://potager.example/chant.mp3"][/audio]\n\n'
        "[video]\n\n"
        "https://vimeo.com/123\n\n"
        '[contact-form to="a@b.c"]'
    )
    export = wxr.read(wxr_document(item(content=content)))
    body = export.posts[0].body_html
    assert '<a href="https://www.youtube.com/watch?v=abc">' in body
    assert '<a href="https://potager.example/chant.mp3">' in body
    assert '<a href="https://vimeo.com/123">https://vimeo.com/123</a>' in body
    assert "[video]" in body
    assert '[contact-form to="a@b.c"]' in body
    reasons = export.warnings[0].reason
    assert "[video]" in reasons
    assert "[contact-form]" in reasons


# Character sets --------------------------------------------------------------------------------


def test_a_cp1252_file_is_read_per_field_with_a_warning():
    data = wxr_document(item(content="<p>Déjà l’été</p>")).replace(
        b"Les radis", "Café crème".encode("cp1252")
    )
    data = data.replace("Déjà l’été".encode(), "Déjà l’été".encode("cp1252"))
    data = data.replace(b"Le Potager", "Le Potager – été".encode())  # this field is UTF-8
    export = wxr.read(data)
    assert export.posts[0].title == "Café crème"
    assert export.posts[0].body_html == "<p>Déjà l’été</p>"
    assert export.site_title == "Le Potager – été"
    assert [w.what for w in export.warnings] == ["item 12"]
    assert "Windows-1252" in export.warnings[0].reason


def test_text_is_nfc_normalised():
    decomposed = "Cafe\u0301"
    export = wxr.read(wxr_document(item().replace("Les radis", decomposed)))
    assert export.posts[0].title == "Café"
    assert len(export.posts[0].title) == 4


# The samples -----------------------------------------------------------------------------------


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared samples are not on this machine")
    return path.read_bytes()


def test_sample_theme_unit_test_data():
    export = wxr.read(sample("themeunittestdata.wordpress.xml"))
    posts = [p for p in export.posts if p.kind == "post"]
    pages = [p for p in export.posts if p.kind == "page"]
    assert (len(posts), len(pages), len(export.attachments)) == (58, 21, 37)
    assert len(export.comments) == 33
    assert sum(1 for c in export.comments if c.parent_source_id) == 10
    assert sum(1 for c in export.comments if c.kind == "pingback") == 2
    assert sum(1 for c in export.comments if c.kind == "trackback") == 2
    assert [p.what for p in export.skipped] == ["70 items of type “nav_menu_item”"]
    assert {p.status for p in export.posts} >= {"published", "draft", "scheduled"}
    assert sum(1 for p in export.posts if p.featured_image_url) == 6
    assert not any("<!-- wp:" in p.body_html or "[caption" in p.body_html for p in export.posts)
    assert not any("[gallery" in p.body_html for p in export.posts)
    markup = next(p for p in posts if p.title == "Markup: HTML Tags and Formatting")
    assert markup.slug == "markup-html-tags-and-formatting"
    assert markup.old_urls[:2] == ["/2013/01/11/markup-html-tags-and-formatting/", "/?p=1178"]
    assert markup.published_at == datetime(
        2013, 1, 11, 20, 22, 19, tzinfo=timezone(-timedelta(hours=7))
    )
    assert export.language == "en"


def test_sample_pelican():
    export = wxr.read(sample("pelican-wordpressexport.xml"))
    kinds = [p.kind for p in export.posts]
    assert (kinds.count("post"), kinds.count("page"), len(export.attachments)) == (11, 2, 4)
    assert len(export.comments) == 4
    assert sorted(p.what for p in export.skipped) == [
        "1 item of type “custom2”",
        "2 items of type “custom1”",
    ]
    assert not any("[caption" in p.body_html for p in export.posts)
    assert any("<figcaption>" in p.body_html for p in export.posts)


def test_sample_tryghost_yoast_meta():
    export = wxr.read(sample("tryghost-mg-wp-xml/has-yoast-meta.xml"))
    first, second = export.posts
    assert first.seo_title == "My Custom SEO Title for Search Engines"
    assert (
        first.seo_description == "A short description of the post for search engine results pages"
    )
    assert (second.seo_title, second.seo_description) == ("", "")
    assert first.published_at == datetime(2022, 5, 9, 9, 53, tzinfo=UTC)
    assert first.published_at.utcoffset() == timedelta(hours=-4)
    assert first.comments_open is False
    assert export.language == "en"


def test_sample_tryghost_co_authors():
    export = wxr.read(sample("tryghost-mg-wp-xml/co-authors-plus.xml"))
    assert len(export.authors) == 3
    assert [p.author_source_id for p in export.posts] == [
        "alice-smith",
        "alice-smith",
        "bob-jones",
        "alice-smith",
    ]
    assert [w.what for w in export.warnings] == ["post 100", "post 101", "post 103"]
    assert [t.slug for t in export.terms] == ["collaboration"]


@pytest.mark.parametrize("name", ["sample.xml", "sample-no-slug.xml"])
def test_sample_tryghost_samples(name):
    export = wxr.read(sample(f"tryghost-mg-wp-xml/{name}"))
    assert [(p.kind, p.status) for p in export.posts].count(("post", "published")) == 2
    assert len(export.posts) == 4
    assert [p.what for p in export.skipped] == ["1 item of type “customcpt”"]
    # The unsplash URL carries bare "&": the file is mended, with a warning.
    assert export.attachments[0].url.endswith("&auto=format&fit=crop&w=1268&q=80")
    assert "repaired" in export.warnings[0].reason
    # "Company News" (the channel's nicename) and company-news (the items') are one category.
    assert [t.name for t in export.terms if t.kind == "category"] == ["Company News"]
    basic = next(p for p in export.posts if p.source_id == "4")
    assert basic.featured_image_url.startswith("https://images.unsplash.com/photo-1601276861758")
    if name == "sample-no-slug.xml":
        assert [p.slug for p in export.posts] == [
            "draft-post",
            "basic-post",
            "another-post",
            "services",
        ]


def test_sample_tryghost_alt_text():
    export = wxr.read(sample("tryghost-mg-wp-xml/sample-with-alt.xml"))
    post = export.posts[0]
    assert post.featured_image_alt == "Sunset over mountains with orange and pink sky"
    assert export.attachments[0].alt_text == post.featured_image_alt


def test_sample_tryghost_feature_image_captions():
    export = wxr.read(sample("tryghost-mg-wp-xml/feature-image-captions.xml"))
    assert [p.featured_image_url.rsplit("/", 1)[-1] for p in export.posts] == [
        "described-image.jpg",
        "title-only-image.jpg",
        "",
    ]
    # No wp:post_date: the RSS pubDate is used.
    assert export.posts[0].published_at == datetime(2013, 6, 7, 3, 0, 44, tzinfo=UTC)
    assert export.posts[0].old_urls[0] == "/blog/post-with-described-image.html"


def test_sample_tryghost_other_meta_is_ignored():
    export = wxr.read(sample("tryghost-mg-wp-xml/has-meta.xml"))
    assert export.posts == []
    assert [p.what for p in export.skipped] == ["1 item of type “enmse_message”"]


# What the reader sees survives -----------------------------------------------------------------


class Visible(HTMLParser):
    """The visible text, links, headings, list items, quotes and images of some HTML (the
    captions a gallery adds from the attachments are left out: the source did not show them)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.figures: list[bool] = []
        self.in_gallery_caption = False
        self.words: list[str] = []
        self.links: set[str] = set()
        self.images: set[str] = set()
        self.blocks: dict[str, list[str]] = {"h": [], "li": [], "blockquote": []}
        self.open: list[tuple[str, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self.figures.append(attrs.get("class") == "gallery")
        if tag == "figcaption" and any(self.figures):
            self.in_gallery_caption = True
        if tag == "a" and attrs.get("href"):
            self.links.add(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.images.add(attrs["src"])
        kind = "h" if re.fullmatch(r"h[1-6]", tag) else tag
        if kind in self.blocks:
            self.open.append((kind, []))

    def handle_endtag(self, tag):
        if tag == "figure" and self.figures:
            self.figures.pop()
        if tag == "figcaption":
            self.in_gallery_caption = False
        kind = "h" if re.fullmatch(r"h[1-6]", tag) else tag
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == kind:
                _, words = self.open.pop(index)
                self.blocks[kind].append(" ".join(words))
                break

    def handle_data(self, data):
        if self.in_gallery_caption:
            return
        words = data.split()
        self.words.extend(words)
        for _, collected in self.open:
            collected.extend(words)


def source_visible(content: str) -> Visible:
    """The source as its reader saw it: block comments and shortcode tags are not visible."""
    content = re.sub(r"<!--.*?-->", "", content, flags=re.S)
    # The old form [caption caption="…"]<img>[/caption] shows its caption under the image.
    content = re.sub(
        r'\[caption[^\]]*?caption="([^"]*)"[^\]]*\](.*?)\[/caption\]', r"\2 \1", content, flags=re.S
    )
    # A player became a link whose text is its address.
    content = re.sub(r"\[(?:audio|video)\b[^\]]*?(https?://[^\s\]\"']+)[^\]]*\]", r" \1 ", content)
    content = re.sub(r"\[/?(caption|gallery|embed|audio|video)\b[^\]]*\]", " ", content)
    return Visible(content)


def test_sample_posts_keep_their_visible_text_links_headings_lists_quotes_and_images():
    import defusedxml.ElementTree as ET

    data = sample("themeunittestdata.wordpress.xml")
    export = wxr.read(data)
    root = ET.fromstring(data)
    sources = {}
    for element in root.iter("item"):
        post_id = next(c.text for c in element if c.tag.endswith("}post_id"))
        content = next((c.text or "" for c in element if c.tag.endswith("}encoded")), "")
        sources[post_id] = content
    compared = 0
    for post in export.posts:
        before, after = source_visible(sources[post.source_id]), Visible(post.body_html)
        assert after.words == before.words, post.title
        assert before.links <= after.links, post.title
        assert before.images <= after.images, post.title
        for kind in ("h", "li", "blockquote"):
            assert after.blocks[kind] == before.blocks[kind], (post.title, kind)
        compared += 1
    assert compared == 79
