import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError
from django.utils import translation

from blog.models import Tag
from moving.models import ImportedObject, ImportRun

pytestmark = pytest.mark.django_db


def test_an_object_is_imported_once_per_platform_kind_and_source_id():
    tag = Tag.objects.create(name="Radis", slug="radis")
    fields = {"platform": "wxr", "kind": "tag", "source_id": "12", "object_id": tag.pk,
              "content_type": ContentType.objects.get_for_model(Tag)}  # fmt: skip
    ImportedObject.objects.create(**fields)
    assert ImportedObject.objects.get().target == tag
    with pytest.raises(IntegrityError):
        ImportedObject.objects.create(**fields)


def test_report_lines_and_progress():
    run = ImportRun(
        file_name="site.xml", format="wxr", status="done", progress_done=3, progress_total=4,
        report={"counts": {"posts": 2}, "skipped": [{"what": "post 9", "reason": "empty"}]},
    )  # fmt: skip
    with translation.override("en"):
        lines = run.report_lines()
    assert "  posts: 2" in lines and "  post 9: empty" in lines
    assert run.percent == 75 and run.is_over
