import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from moving.importers import ImportRefused, ghost

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "samples" / "ghost"
PARIS = ZoneInfo("Europe/Paris")


def post(**fields):
    return {
        "id": "p1",
        "title": "Été",
        "slug": "ete",
        "html": "<p>Bonjour</p>",
        "type": "post",
        "status": "published",
        "visibility": "public",
        "published_at": "2024-07-01T10:00:00.000Z",
        "updated_at": "2024-07-02T10:00:00.000Z",
        "custom_excerpt": None,
        "feature_image": None,
        **fields,
    }


def export_of(posts, **tables):
    data = {
        "posts": posts,
        "tags": [
            {"id": "t1", "name": "Économie", "slug": "economie", "description": "Sous"},
            {"id": "t2", "name": "#internal", "slug": "hash-internal", "visibility": "internal"},
            {"id": "t3", "name": "Culture", "slug": "culture", "description": None},
        ],
        "posts_tags": [
            {"post_id": "p1", "tag_id": "t3", "sort_order": 1},
            {"post_id": "p1", "tag_id": "t2", "sort_order": 2},
            {"post_id": "p1", "tag_id": "t1", "sort_order": 0},
        ],
        "users": [{"id": "u1", "name": "Benoît", "slug": "benoit", "email": "b@example.com"}],
        "posts_authors": [{"post_id": "p1", "author_id": "u1", "sort_order": 0}],
        "posts_meta": [],
        "settings": [
            {"key": "title", "value": "Mon site"},
            {"key": "locale", "value": "fr"},
            {"key": "timezone", "value": "Europe/Paris"},
        ],
        **tables,
    }
    document = {"db": [{"meta": {"exported_on": 1, "version": "6.10.3"}, "data": data}]}
    return json.dumps(document, ensure_ascii=False).encode()


def test_detect():
    assert ghost.detect(export_of([post()]))
    assert ghost.detect(b"id,email,name,note,subscribed_to_emails,created_at\n")
    assert not ghost.detect(b'{"posts": []}')
    assert not ghost.detect(b"<?xml version='1.0'?><rss/>")
    assert not ghost.detect(b"ZIP\nposts.csv")


def test_post_fields():
    data = export_of(
        [
            post(
                custom_excerpt="Résumé",
                feature_image="__GHOST_URL__/content/images/2024/a.jpg",
                html='<p><img src="__GHOST_URL__/content/images/b.png"></p>',
            )
        ],
        posts_meta=[
            {
                "post_id": "p1",
                "meta_title": "SEO",
                "meta_description": "Desc",
                "feature_image_alt": "Un radis",
            }
        ],
    )
    export = ghost.read(data)
    assert (export.platform, export.site_title, export.language) == ("ghost", "Mon site", "fr")
    assert [(a.source_id, a.name, a.email) for a in export.authors] == [
        ("u1", "Benoît", "b@example.com")
    ]
    assert [(t.source_id, t.name, t.slug, t.description) for t in export.terms] == [
        ("t1", "Économie", "economie", "Sous"),
        ("t3", "Culture", "culture", ""),
    ]
    (imported,) = export.posts
    assert imported.title == "Été" and imported.slug == "ete" and imported.kind == "post"
    assert imported.status == "published"
    assert imported.published_at == datetime(2024, 7, 1, 12, 0, tzinfo=PARIS)
    assert imported.published_at.tzinfo == PARIS
    assert imported.updated_at == datetime(2024, 7, 2, 10, 0, tzinfo=UTC)
    assert imported.excerpt == "Résumé"
    assert imported.author_source_id == "u1"
    assert imported.term_source_ids == ["t1", "t3"]  # in order, internal tag left out
    assert (imported.seo_title, imported.seo_description) == ("SEO", "Desc")
    assert imported.featured_image_url == "/content/images/2024/a.jpg"
    assert imported.featured_image_alt == "Un radis"
    assert imported.body_html == '<p><img src="/content/images/b.png"></p>'
    assert imported.old_urls == ["/ete/"]
    assert imported.language == "fr"
    assert len(export.warnings) == 1  # the site's address is unknown: 2 URLs left as paths
    assert "2" in export.warnings[0].reason


def test_site_url_setting_prefixes_images():
    data = export_of(
        [post(feature_image="__GHOST_URL__/content/images/a.jpg")],
        settings=[{"key": "url", "value": "https://old.example/"}],
    )
    export = ghost.read(data)
    assert export.site_url == "https://old.example"
    assert export.posts[0].featured_image_url == "https://old.example/content/images/a.jpg"
    assert export.warnings == []


@pytest.mark.parametrize(
    ("fields", "status", "old_urls", "warnings"),
    [
        ({"status": "draft", "published_at": None}, "draft", [], 0),
        ({"status": "scheduled"}, "scheduled", [], 0),
        ({"status": "sent"}, "private", [], 1),
        ({"visibility": "members"}, "published", ["/ete/"], 1),
        ({"visibility": "paid"}, "private", ["/ete/"], 1),
        ({"visibility": "tiers"}, "private", ["/ete/"], 1),
        ({"type": "page"}, "published", ["/ete/"], 0),
    ],
)
def test_statuses_and_visibility(fields, status, old_urls, warnings):
    export = ghost.read(export_of([post(**fields)]))
    assert export.posts[0].status == status
    assert export.posts[0].old_urls == old_urls
    assert len(export.warnings) == warnings


def test_page_kind():
    assert ghost.read(export_of([post(type="page")])).posts[0].kind == "page"


def test_lexical_rendered_when_html_is_missing():
    lexical = {
        "root": {
            "children": [
                {
                    "type": "heading",
                    "tag": "h2",
                    "children": [{"type": "text", "text": "Titre", "format": 0}],
                },
                {
                    "type": "paragraph",
                    "children": [
                        {"type": "text", "text": "gras <b>", "format": 1},
                        {
                            "type": "link",
                            "url": "https://ex.org/?a=1&b=2",
                            "children": [{"type": "text", "text": "lien"}],
                        },
                    ],
                },
                {
                    "type": "list",
                    "listType": "number",
                    "children": [
                        {"type": "listitem", "children": [{"type": "text", "text": "un"}]}
                    ],
                },
                {"type": "image", "src": "__GHOST_URL__/content/images/x.jpg", "alt": "X"},
                {"type": "markdown", "markdown": "*md*"},
            ]
        }
    }
    export = ghost.read(export_of([post(html=None, lexical=json.dumps(lexical))]))
    assert export.posts[0].body_html == (
        "<h2>Titre</h2><p><strong>gras &lt;b&gt;</strong>"
        '<a href="https://ex.org/?a=1&amp;b=2">lien</a></p><ol><li>un</li></ol>'
        '<figure><img src="/content/images/x.jpg" alt="X"></figure><p><em>md</em></p>'
    )
    assert len(export.warnings) == 2  # rendered from lexical; the site's address unknown


def test_mobiledoc_rendered_when_html_is_missing():
    mobiledoc = {
        "version": "0.3.1",
        "atoms": [],
        "cards": [["hr", {}], ["markdown", {"markdown": "## Deux"}]],
        "markups": [["a", ["href", "https://ghost.org"]], ["em"]],
        "sections": [
            [1, "p", [[0, [], 0, "Voir "], [0, [0, 1], 2, "Ghost"], [0, [], 0, "."]]],
            [10, 0],
            [10, 1],
            [3, "ul", [[[0, [], 0, "a"]], [[0, [], 0, "b"]]]],
        ],
    }
    export = ghost.read(export_of([post(html="", mobiledoc=json.dumps(mobiledoc))]))
    assert export.posts[0].body_html == (
        '<p>Voir <a href="https://ghost.org"><em>Ghost</em></a>.</p><hr>'
        "<h2>Deux</h2><ul><li>a</li><li>b</li></ul>"
    )
    assert len(export.warnings) == 1


def test_members_in_the_json():
    data = export_of(
        [],
        members=[
            {
                "id": "m1",
                "email": "a@example.com",
                "name": "Anaïs",
                "created_at": "2023-01-01T00:00:00.000Z",
            },
            {"id": "m2", "email": "b@example.com", "name": None, "created_at": None},
            {"id": "m3", "email": "nope", "name": "X"},
        ],
        members_newsletters=[{"member_id": "m1", "newsletter_id": "n1"}],
    )
    export = ghost.read(data)
    assert [(s.email, s.status, s.name, s.source_id) for s in export.subscribers] == [
        ("a@example.com", "subscribed", "Anaïs", "m1"),
        ("b@example.com", "unsubscribed", "", "m2"),
    ]
    assert export.subscribers[0].opted_in_at == datetime(2023, 1, 1, tzinfo=UTC)
    assert export.subscribers[1].opted_in_at is None
    assert len(export.skipped) == 1


def test_members_csv():
    data = (
        "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,"
        "created_at,deleted_at,labels,tiers\r\n"
        "m1,a@example.com,Zoé,,true,,,2023-01-01T00:00:00.000Z,,,\r\n"
        "m2,b@example.com,,,false,,,2023-01-02T00:00:00.000Z,,,\r\n"
    ).encode()
    assert ghost.detect(data)
    export = ghost.read(data)
    assert [(s.email, s.status, s.name) for s in export.subscribers] == [
        ("a@example.com", "subscribed", "Zoé"),
        ("b@example.com", "unsubscribed", ""),
    ]


def test_not_a_ghost_export_is_refused():
    with pytest.raises(ImportRefused):
        ghost.read(b'{"db": [{"meta": {}, "data": ')
    with pytest.raises(ImportRefused):
        ghost.read(b'{"something": "else"}')


def test_sample_export():
    path = SAMPLES / "liberalisme-democratique.fr.ghost-6.10.3.json"
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared samples are not here")
    data = path.read_bytes()
    assert ghost.detect(data[:65536])
    export = ghost.read(data)
    assert (export.site_title, export.language, export.site_url) == (
        "Libéralisme Démocratique",
        "fr",
        "",
    )
    assert len(export.posts) == 22
    assert sum(p.kind == "page" for p in export.posts) == 1
    raw = json.loads(data)["db"][0]["data"]
    assert len(raw["tags"]) == 15
    assert len(export.terms) == 12  # 3 internal tags (#Import…, #benoit-2, #ghost-user) left out
    assert "Économie" in {t.name for t in export.terms}
    assert "Pédagogie" in {t.name for t in export.terms}
    about = export.posts[0]
    assert (about.title, about.slug, about.kind, about.old_urls) == (
        "About this site",
        "about",
        "page",
        ["/about/"],
    )
    by_slug = {p.slug: p for p in export.posts}
    monnaie = by_slug["les-limites-de-la-creation-monetaire"]
    assert monnaie.title == "Les limites de la création monétaire"
    assert monnaie.status == "published"
    assert monnaie.published_at == datetime(2017, 5, 4, 16, 50, 9, tzinfo=PARIS)
    assert monnaie.old_urls == ["/les-limites-de-la-creation-monetaire/"]
    assert monnaie.language == "fr"
    assert monnaie.author_source_id == export.authors[0].source_id
    assert export.authors[0].name == "Benoît Huron"
    ecoin = by_slug["ecoin-is-here"]
    assert ecoin.featured_image_url == "/content/images/2024/02/ECorp.webp"
    assert len(ecoin.term_source_ids) == 3
    assert all("__GHOST_URL__" not in p.body_html for p in export.posts)
    assert all(p.status == "published" for p in export.posts)
    # Accents intact, NFC, no mojibake.
    assert "création" in monnaie.body_html or "é" in monnaie.body_html
    assert not any("Ã" in p.body_html or "Ã" in p.title for p in export.posts)
    assert export.skipped == []
    assert len(export.warnings) == 1  # the site's address is not in the export
