import re

from django import forms
from django.conf import settings
from django.core import signing
from django.core.validators import URLValidator
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from comments import moderation, tokens
from comments.models import Comment

LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HONEYPOT_FIELD = "fax_number"


INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("text", "email", "url", "checkbox", "hidden", "number", "password")
}
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


class WidgetRenderer(DjangoTemplates):
    """Write inputs and text areas in Python, as Django's widget templates do; the rest as usual."""

    # Every post page shows the comment form: rendering its eight widgets through templates was
    # 6 % of the page (docs/BENCHMARKS.md). The HTML is the same, byte for byte.
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            widget = context["widget"]
            value = widget["value"]
            shown = "" if value is None else f' value="{conditional_escape(value)}"'
            name = conditional_escape(widget["name"])
            return f'<input type="{widget["type"]}" name="{name}"{shown}{_attrs(widget)}>'
        if template_name == TEXTAREA_TEMPLATE:
            widget = context["widget"]
            text = conditional_escape(widget["value"]) if widget["value"] else ""
            name = conditional_escape(widget["name"])
            return f'<textarea name="{name}"{_attrs(widget)}>\n{text}</textarea>'
        return super().render(template_name, context, request)


def _attrs(widget) -> str:
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in widget["attrs"].items()
        if value is not False
    )


def clean_comment_body(text: str) -> str:
    """Return a comment's text tidied, or raise ValidationError saying what the site refuses."""
    body = CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n")).strip()
    if not body:
        raise forms.ValidationError(_("Please write a comment."), code="required")
    limit = settings.COMMENTS_MAX_LENGTH
    if len(body) > limit:
        raise forms.ValidationError(
            _("Your comment is too long: %(length)s characters, the limit is %(limit)s."),
            code="max_length",
            params={"length": len(body), "limit": limit},
        )
    links = len(LINK.findall(body))
    if links > settings.COMMENTS_MAX_LINKS:
        raise forms.ValidationError(
            ngettext(
                "Too many links: a comment may hold %(limit)s link at most.",
                "Too many links: a comment may hold %(limit)s links at most.",
                settings.COMMENTS_MAX_LINKS,
            ),
            code="links",
            params={"limit": settings.COMMENTS_MAX_LINKS},
        )
    return body


class WebAddressField(forms.URLField):
    """A URL field that accepts only http and https, with one error message when refused."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class CommentForm(forms.Form):
    """A reader's comment; every rejection says why, next to the field it concerns."""

    # One renderer for the process: a class here would build a template engine per form.
    default_renderer = WidgetRenderer()

    author_name = forms.CharField(label=_("Name"), max_length=80)
    author_email = forms.EmailField(
        label=_("Email"),
        help_text=_("Your email address will never be published."),
        error_messages={"invalid": _("Enter an email address such as name@example.org.")},
    )
    author_url = WebAddressField(
        label=_("Website"),
        required=False,
        assume_scheme="https",
        # Text, not type=url: browsers refuse "alice.example.net", which the field completes.
        widget=forms.TextInput(attrs={"inputmode": "url"}),
        error_messages={"invalid": _("Enter a web address such as https://example.org.")},
    )
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 6}))
    notify_replies = forms.BooleanField(label=_("Notify me of replies by email"), required=False)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    issued = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people, tempting to robots: anything typed here means a robot filled the form.
    fax_number = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, post, user=None, **kwargs):
        self.post = post
        self.parent_comment: Comment | None = None
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("issued", tokens.form_issued_token(post.pk))
        if user is not None and user.is_authenticated:
            initial.setdefault("author_name", user.get_full_name() or user.get_username())
            initial.setdefault("author_email", user.email)
        super().__init__(*args, **kwargs)
        for name, autocomplete in (
            ("author_name", "name"),
            ("author_email", "email"),
            ("author_url", "url"),
        ):
            self.fields[name].widget.attrs.update(
                {"class": "form-control", "autocomplete": autocomplete}
            )
        # No maxlength: a browser would cut a pasted text silently; the server says what is too long.
        self.fields["body"].widget.attrs["class"] = "form-control"
        self.fields["notify_replies"].widget.attrs["class"] = "form-check-input"

    @property
    def is_robot(self) -> bool:
        """Return whether the hidden field was filled in, which only robots do."""
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())

    def clean_author_name(self):
        # Line breaks and control characters in a name would break headers and layouts.
        name = " ".join(CONTROL_CHARACTERS.sub(" ", self.cleaned_data["author_name"]).split())
        if not name:
            raise forms.ValidationError(_("Please give a name."), code="required")
        return name

    def clean_body(self):
        return clean_comment_body(self.cleaned_data["body"])

    def clean_parent(self):
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = (
            Comment.objects.approved().filter(pk=parent_id, post=self.post).select_related("parent")
        ).first()
        if parent is None:
            raise forms.ValidationError(
                _("The comment you are replying to is no longer shown; reply to the post instead."),
                code="parent",
            )
        self.parent_comment = moderation.reply_parent(parent)
        return parent_id

    def clean_issued(self):
        try:
            age = tokens.form_age(
                self.cleaned_data["issued"],
                post_id=self.post.pk,
                max_age=settings.COMMENTS_FORM_MAX_AGE,
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _("This form was open for too long. Please check your comment and send it again."),
                code="expired",
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(
                _("This form could not be read. Please send your comment again."),
                code="tampered",
            ) from None
        if age < settings.COMMENTS_MIN_SECONDS:
            raise forms.ValidationError(
                _(
                    "That was very fast! Please take a few seconds to read your comment, then send it."
                ),
                code="too_fast",
            )
        return self.cleaned_data["issued"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        duplicate = Comment.objects.duplicate_of(
            post=self.post, author_email=cleaned["author_email"], body=cleaned["body"]
        ).exists()
        if duplicate:
            raise forms.ValidationError(
                _("You have already posted this comment."), code="duplicate"
            )
        return cleaned

    def refresh_issued(self) -> None:
        """Start the form's clock again, so that a reader sending it back is not refused twice."""
        self.data = self.data.copy()
        self.data["issued"] = tokens.form_issued_token(self.post.pk)


class CommentEditForm(forms.Form):
    """The new text of a comment, from its author; held to the same rules as a new comment."""

    default_renderer = CommentForm.default_renderer

    body = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"})
    )

    def clean_body(self):
        return clean_comment_body(self.cleaned_data["body"])
