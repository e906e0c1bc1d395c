from django import template

from newsletter.forms import consent_notice

register = template.Library()


@register.simple_tag
def newsletter_consent_notice() -> str:
    """Return the consent notice every subscribe form shows (and the ledger records)."""
    return consent_notice()
