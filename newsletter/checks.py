from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def public_address_check(app_configs, **kwargs):
    """Warn when emailed links would not reach the site over https."""
    warnings = []
    if not settings.SITE_URL.startswith("https://"):
        warnings.append(
            checks.Warning(
                f"SITE_URL is {settings.SITE_URL!r}: links in emails (confirmation, one-click "
                "unsubscribe) must be the site's public https address.",
                hint="Set SITE_URL=https://your.domain.",
                id="newsletter.W001",
            )
        )
    return warnings
