from comments.checks import comment_settings_check


def test_sound_settings_pass(settings):
    settings.COMMENTS_MODERATION = "hold_all"

    assert comment_settings_check(None) == []


def test_mistyped_settings_are_reported(settings):
    settings.COMMENTS_MODERATION = "trust-returning"
    settings.COMMENTS_MAX_DEPTH = 0
    settings.AKISMET_API_KEY = "key"
    settings.AKISMET_BLOG_URL = "blog.example.org"

    assert [error.id for error in comment_settings_check(None)] == [
        "comments.E001",
        "comments.E002",
        "comments.E003",
    ]
