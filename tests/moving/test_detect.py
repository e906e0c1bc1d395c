import io
import zipfile

import pytest
from django.utils import translation

from moving import detect
from moving.importers import ImportRefused


@pytest.fixture(autouse=True)
def english():
    """Read the refusals as written in the code."""
    with translation.override("en"):
        yield


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_unknown_files_are_refused_with_a_clear_message():
    with pytest.raises(ImportRefused, match="not an export this site can read"):
        detect.format_of(b"hello", "notes.txt")


def test_each_present_importer_is_asked(monkeypatch):
    class Fake:
        @staticmethod
        def detect(head):
            return head.startswith(b"FAKE")

    monkeypatch.setattr(detect, "FORMATS", ["absent", "fake"])
    monkeypatch.setattr(detect, "importer", lambda name: Fake if name == "fake" else None)
    assert detect.format_of(b"FAKE data", "x") == "fake"


def test_a_missing_importer_is_skipped():
    assert detect.importer("no_such_format") is None


def test_a_huge_file_is_refused_without_being_read(tmp_path, settings, monkeypatch):
    settings.MOVING_MAX_FILE_MB = 200
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as file:
        file.truncate(2 * 1024**3)  # sparse: 2 GB that take no disk
    monkeypatch.setattr(detect.Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(ImportRefused, match="2048 MB"):
        detect.file_read(huge)


def test_a_zip_is_handed_over_as_its_members():
    opened = detect.file_open(zipped({"posts.csv": b"a,b", "posts/1.x.html": b"<p>x</p>"}))
    assert opened.head == b"ZIP\nposts.csv\nposts/1.x.html"
    assert opened.files == {"posts.csv": b"a,b", "posts/1.x.html": b"<p>x</p>"}


def test_a_zip_bomb_is_refused(settings):
    settings.MOVING_MAX_FILE_MB = 1
    bomb = zipped({"zeros.txt": b"\0" * (11 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ImportRefused, match="unpack to more than"):
        detect.file_open(bomb)


def test_a_zip_lying_about_its_sizes_is_refused(settings, monkeypatch):
    settings.MOVING_MAX_FILE_MB = 1
    bomb = zipped({"zeros.txt": b"\0" * (11 * 1024 * 1024)})
    real_infolist = zipfile.ZipFile.infolist

    def lying(self):
        infos = real_infolist(self)
        for info in infos:
            info.file_size = 10
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying)
    with pytest.raises(ImportRefused):
        detect.file_open(bomb)


def test_too_many_members_are_refused(settings):
    settings.MOVING_ZIP_MAX_MEMBERS = 3
    with pytest.raises(ImportRefused, match="4 files"):
        detect.file_open(zipped({f"{n}.html": b"x" for n in range(4)}))


@pytest.mark.parametrize("name", ["../etc/passwd", "a/../../b", "/abs.txt"])
def test_names_leaving_the_folder_are_refused(name):
    with pytest.raises(ImportRefused, match="outside its folder"):
        detect.file_open(zipped({name: b"x"}))


def test_a_damaged_zip_is_refused():
    with pytest.raises(ImportRefused, match="damaged"):
        detect.file_open(b"PK\x03\x04" + b"\0" * 100)
