from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Shown under every subscribe form and stored, word for word, with each subscribe request.
CONSENT_NOTICE = _(
    "By subscribing you agree to receive the newsletter of %(site)s by email. We first send you "
    "a confirmation email; your address is used for nothing else, and every email has a "
    "one-click unsubscribe link."
)


def consent_notice() -> str:
    """Return the consent notice in the active language, as the visitor reads it."""
    return gettext(CONSENT_NOTICE) % {"site": settings.SITE_NAME}


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        # Django's own message says "adresse de courriel" in French; the site says "adresse e-mail".
        error_messages={"invalid": _("Enter an email address such as name@example.org.")},
    )
    language = forms.ChoiceField(label=_("Language of the emails"), choices=settings.LANGUAGES)
    # A honeypot: hidden from people, filled in by robots that fill in everything.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    @property
    def is_from_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the emails"),
        choices=settings.LANGUAGES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my address and its history will be deleted for good.")
    )


class IssueScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Send on"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_scheduled_at(self):
        when = self.cleaned_data["scheduled_at"]
        if when <= timezone.now():
            raise forms.ValidationError(_("Choose a moment in the future."))
        return when


class IssueTestForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class SubscriberImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: email, language, consent_source, consent_date (YYYY-MM-DD), with a header "
            "line. Rows without a consent source and date are imported as waiting for "
            "confirmation and receive a confirmation email."
        ),
    )
