import time

import pytest
from django.core import signing
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string
from pytest_django.asserts import assertInHTML

from comments import tokens
from comments.forms import CommentForm, WidgetRenderer
from tests.blog.factories import PostFactory, UserFactory
from tests.comments.factories import CommentFactory

pytestmark = pytest.mark.django_db


def form_data(post, **overrides):
    return {
        "author_name": "Camille",
        "author_email": "camille@example.org",
        "author_url": "",
        "body": "Un avis réfléchi sur ce billet.",
        "issued": tokens.form_issued_token(post.pk),
        **overrides,
    }


def errors_of(post, **overrides):
    form = CommentForm(form_data(post, **overrides), post=post)
    assert not form.is_valid()
    return form.errors


def test_a_complete_comment_is_valid():
    post = PostFactory()
    form = CommentForm(form_data(post, author_url="zoe.example.org"), post=post)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["author_url"] == "https://zoe.example.org"
    assert form.parent_comment is None


def test_name_email_and_comment_are_required():
    post = PostFactory()

    errors = errors_of(post, author_name="  ", author_email="", body="\n \n")

    assert set(errors) == {"author_name", "author_email", "body"}


def test_line_breaks_and_control_characters_in_a_name_become_spaces():
    post = PostFactory()
    form = CommentForm(form_data(post, author_name="Alice\r\nBcc: x@example.org\x07"), post=post)

    assert form.is_valid()
    assert form.cleaned_data["author_name"] == "Alice Bcc: x@example.org"


def test_a_too_long_comment_says_how_long_and_what_the_limit_is(settings):
    settings.COMMENTS_MAX_LENGTH = 100
    post = PostFactory()

    errors = errors_of(post, body="a" * 150)

    assert errors["body"] == [
        "Votre commentaire est trop long : 150 caractères, la limite est 100."
    ]


def test_too_many_links_are_refused(settings):
    settings.COMMENTS_MAX_LINKS = 2
    post = PostFactory()
    body = "Voir https://a.example http://b.example et www.c.example"

    assert "body" in errors_of(post, body=body)
    assert CommentForm(
        form_data(post, body="https://a.example www.b.example"), post=post
    ).is_valid()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/", "data:text/html,x"])
def test_only_web_addresses_are_accepted_as_website(url):
    assert errors_of(PostFactory(), author_url=url)["author_url"] == [
        "Saisissez une adresse web comme https://exemple.fr."
    ]


def test_a_form_sent_too_fast_is_refused(settings):
    settings.COMMENTS_MIN_SECONDS = 5
    post = PostFactory()

    errors = errors_of(post)

    assert errors["issued"][0].startswith("C’était très rapide")


def test_a_form_left_open_too_long_is_refused(settings, monkeypatch):
    settings.COMMENTS_FORM_MAX_AGE = 60
    post = PostFactory()
    issued = tokens.form_issued_token(post.pk)
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)

    errors = errors_of(post, issued=issued)

    assert "issued" in errors


@pytest.mark.parametrize("issued", ["", "nonsense", "eyJwb3N0IjoxfQ:forged:signature"])
def test_a_tampered_or_missing_timestamp_is_refused(issued):
    assert "issued" in errors_of(PostFactory(), issued=issued)


def test_a_timestamp_issued_for_another_post_is_refused():
    post, other = PostFactory(), PostFactory()

    assert "issued" in errors_of(post, issued=tokens.form_issued_token(other.pk))


def test_the_same_comment_twice_is_refused_as_a_duplicate():
    existing = CommentFactory(author_email="camille@example.org", body="Bravo !")

    errors = errors_of(existing.post, author_email="CAMILLE@example.org", body="Bravo !")

    assert errors["__all__"] == ["Vous avez déjà publié ce commentaire."]


def test_a_reply_to_a_comment_of_another_post_or_not_approved_is_refused():
    post = PostFactory()
    elsewhere = CommentFactory()
    pending = CommentFactory(post=post, pending=True)

    assert "parent" in errors_of(post, parent=elsewhere.pk)
    assert "parent" in errors_of(post, parent=pending.pk)


def test_a_reply_beyond_the_deepest_level_is_filed_beside_its_parent(settings):
    settings.COMMENTS_MAX_DEPTH = 2
    root = CommentFactory()
    reply = CommentFactory(parent=root)
    form = CommentForm(form_data(root.post, parent=reply.pk), post=root.post)

    assert form.is_valid()
    assert form.parent_comment == root


def test_the_honeypot_marks_the_form_as_a_robots():
    post = PostFactory()

    assert CommentForm(form_data(post, fax_number="+33 1 23"), post=post).is_robot
    assert not CommentForm(form_data(post), post=post).is_robot


def test_a_signed_in_reader_finds_name_and_email_filled_in():
    reader = UserFactory(first_name="Inès", last_name="Moreau", email="ines@example.org")

    form = CommentForm(post=PostFactory(), user=reader)

    assert form["author_name"].value() == "Inès Moreau"
    assert form["author_email"].value() == "ines@example.org"


def test_refreshing_the_timestamp_restarts_the_clock():
    post = PostFactory()
    form = CommentForm(form_data(post, issued="stale"), post=post)
    form.is_valid()

    form.refresh_issued()

    assert tokens.form_age(form["issued"].value(), post_id=post.pk, max_age=60) < 5
    with pytest.raises(signing.BadSignature):
        tokens.form_age("stale", post_id=post.pk, max_age=60)


def test_a_refused_field_is_marked_invalid_and_points_to_its_help_and_error():
    post = PostFactory()
    form = CommentForm(form_data(post, author_email="camille"), post=post)
    form.is_valid()

    html = render_to_string("comments/_form.html", {"form": form, "post": post})

    assertInHTML(
        '<input type="email" name="author_email" value="camille" maxlength="320"'
        ' class="form-control" autocomplete="email" required aria-invalid="true"'
        ' aria-describedby="id_author_email_helptext id_author_email_error" id="id_author_email">',
        html,
    )
    assertInHTML(
        '<div class="invalid-feedback d-block" id="id_author_email_error">'
        "Saisissez une adresse e-mail comme nom@exemple.fr.</div>",
        html,
    )
    assert '<label class="form-label" for="id_author_email">' in html


def test_the_form_carries_its_signed_time_in_a_hidden_field():
    post = PostFactory()
    form = CommentForm(post=post, initial={"issued": "signed-time"})

    html = render_to_string("comments/_form.html", {"form": form, "post": post})

    # The page cache finds this exact shape to give each reader a fresh time (blog/pagecache.py).
    assert '<input type="hidden" name="issued" value="signed-time" id="id_issued">' in html


@pytest.mark.parametrize(
    "data",
    [
        None,  # a new form, as every post page shows it
        {
            "author_name": 'Zoé <b>"& co"</b>',
            "author_email": "pas-une-adresse",
            "author_url": 'javascript:alert("x")',
            "body": "Ligne 1\n<script>alert('x')</script>\n\nLigne 3 & fin",
            "notify_replies": "on",
            "parent": "abc",
            "issued": '"><img src=x>',
        },
    ],
    ids=["new", "refused"],
)
def test_the_widgets_written_in_python_are_those_django_writes(data):
    post = PostFactory()

    def form(renderer=None):
        made = CommentForm(data, post=post, initial={"issued": 'a"b<c'}, renderer=renderer)
        if data:
            made.is_valid()
        return made

    python_form, django_form = form(), form(DjangoTemplates())

    assert isinstance(python_form.renderer, WidgetRenderer)
    for name in python_form.fields:
        assert str(python_form[name]) == str(django_form[name])
    assert str(python_form["body"]) != str(form(DjangoTemplates())["author_name"])
