"""Where the library's files live: MEDIA_ROOT, or an S3-compatible bucket when one is named."""

import json

from tests.test_settings import run_production


def test_a_bucket_puts_the_media_library_in_s3_storage():
    script = "from django.conf import settings; import json; print(json.dumps(settings.STORAGES))"
    result = run_production(
        "-c",
        f"import django; django.setup(); {script}",
        MEDIA_S3_BUCKET="chezsoi-media",
        MEDIA_S3_ENDPOINT_URL="https://s3.fr-par.scw.cloud",
        MEDIA_S3_REGION="fr-par",
        MEDIA_S3_ACCESS_KEY_ID="SCWKEY",
        MEDIA_S3_SECRET_ACCESS_KEY="secret",
        MEDIA_S3_CUSTOM_DOMAIN="media.blog.example.org",
    )
    assert result.returncode == 0, result.stderr

    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (
        default["OPTIONS"]
        | {
            "bucket_name": "chezsoi-media",
            "endpoint_url": "https://s3.fr-par.scw.cloud",
            "region_name": "fr-par",
            "access_key": "SCWKEY",
            "secret_key": "secret",
            "custom_domain": "media.blog.example.org",
            "querystring_auth": False,
            "file_overwrite": False,
        }
        == default["OPTIONS"]
    )


def test_without_a_bucket_the_media_library_is_in_media_root(settings):
    assert settings.STORAGES["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )


def test_requests_leave_room_for_the_largest_upload_and_its_form(settings):
    result = run_production(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.MAX_REQUEST_SIZE)",
        MEDIA_MAX_UPLOAD_MB="20",
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 22 * 1024 * 1024
