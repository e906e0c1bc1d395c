import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from blog.models import Post
from moving import detect, records, services
from moving.models import ImportRun

pytestmark = pytest.mark.django_db


class FakeImporter:
    """An importer of "FAKE" files: one post per line."""

    @staticmethod
    def detect(head: bytes) -> bool:
        return head.startswith(b"FAKE")

    @staticmethod
    def read(data: bytes, *, files=None) -> records.Export:
        lines = data.decode().splitlines()[1:]
        return records.Export(
            platform="wxr",
            posts=[
                records.Post(str(n), line, f"<p>{line}</p>", slug=f"p{n}")
                for n, line in enumerate(lines)
            ],
            comments=[records.Comment("c", "0", "<p>ping</p>", "Blog", kind="pingback")],
        )


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fake_format(monkeypatch):
    monkeypatch.setattr(detect, "FORMATS", ["fake"])
    monkeypatch.setattr(detect, "importer", lambda name: FakeImporter if name == "fake" else None)
    monkeypatch.setattr(services, "media_available", lambda: False)


def test_imports_in_the_foreground_and_prints_the_report(tmp_path, capsys):
    export = tmp_path / "site.fake"
    export.write_bytes(b"FAKE\nUn\nDeux\n")
    call_command("import_site", str(export))
    out = capsys.readouterr().out
    assert "posts: 2" in out and "pingbacks and trackbacks: 1" in out
    assert Post.objects.count() == 2
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.DONE and run.format == "fake"
    assert export.exists()  # the owner's file is left where it was


def test_dry_run_and_dropped_pingbacks(tmp_path, capsys):
    export = tmp_path / "site.fake"
    export.write_bytes(b"FAKE\nUn\n")
    call_command("import_site", str(export), "--dry-run", "--pingbacks", "drop")
    out = capsys.readouterr().out
    assert "Dry run" in out and "posts: 1" in out and "pingbacks and trackbacks: 0" in out
    assert not Post.objects.exists()


def test_an_unknown_file_fails_with_its_reason(tmp_path):
    export = tmp_path / "notes.txt"
    export.write_bytes(b"hello")
    with pytest.raises(CommandError, match="not an export this site can read"):
        call_command("import_site", str(export))
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED
