from django.conf import settings
from django.core import checks

from comments import moderation

POLICIES = (moderation.TRUST_RETURNING, moderation.HOLD_ALL)


@checks.register()
def comment_settings_check(app_configs, **kwargs):
    """Refuse comment settings that would silently do something else than the operator meant."""
    errors = []
    if settings.COMMENTS_MODERATION not in POLICIES:
        errors.append(
            checks.Error(
                f"COMMENTS_MODERATION is {settings.COMMENTS_MODERATION!r}.",
                hint=f"Use one of: {', '.join(POLICIES)}.",
                id="comments.E001",
            )
        )
    if settings.COMMENTS_MAX_DEPTH < 1:
        errors.append(
            checks.Error(
                "COMMENTS_MAX_DEPTH must be at least 1 (1 means no replies).",
                id="comments.E002",
            )
        )
    if settings.AKISMET_API_KEY and not settings.AKISMET_BLOG_URL.startswith(
        ("http://", "https://")
    ):
        errors.append(
            checks.Error(
                "AKISMET_BLOG_URL must be the site's full address, starting with https://.",
                id="comments.E003",
            )
        )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def client_address_check(app_configs, **kwargs):
    """Warn when readers' addresses would all be the reverse proxy's."""
    if settings.COMMENTS_CLIENT_IP_HEADER:
        return []
    return [
        checks.Warning(
            "COMMENTS_CLIENT_IP_HEADER is empty: behind a reverse proxy every reader has the "
            "proxy's address, so rate limits and Akismet treat all readers as one.",
            hint="Set it to the header your proxy sets, e.g. X-Real-IP (see README).",
            id="comments.W001",
        )
    ]
