"""Recognise an export file's format, and refuse files too large or hostile to open."""

import importlib
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from moving.importers import ImportRefused

FORMATS = ["wxr", "blogger", "overblog", "substack", "ghost", "mailchimp", "chezsoi"]
HEAD_SIZE = 64 * 1024
MB = 1024 * 1024


@dataclass
class Opened:
    """A file ready for an importer: its main content, and for a zip its other members."""

    data: bytes
    head: bytes
    files: dict[str, bytes] | None = field(default=None)


def importer(name: str):
    """Return the importer module of format `name`, or None when it is not there."""
    try:
        return importlib.import_module(f"moving.importers.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"moving.importers.{name}":
            return None
        raise


def max_bytes() -> int:
    return settings.MOVING_MAX_FILE_MB * MB


def file_read(path: str | os.PathLike) -> bytes:
    """Return the file's bytes, refusing a file over MOVING_MAX_FILE_MB before reading any."""
    size = os.stat(path).st_size
    if size > max_bytes():
        raise ImportRefused(
            _("This file is %(size)d MB: an import takes at most %(max)d MB.")
            % {"size": size // MB, "max": settings.MOVING_MAX_FILE_MB}
        )
    return Path(path).read_bytes()


def file_open(data: bytes) -> Opened:
    """Return the file as importers take it; a zip is unpacked, within limits, into its members."""
    if len(data) > max_bytes():
        raise ImportRefused(
            _("This file is %(size)d MB: an import takes at most %(max)d MB.")
            % {"size": len(data) // MB, "max": settings.MOVING_MAX_FILE_MB}
        )
    if not data.startswith(b"PK\x03\x04") and not data.startswith(b"PK\x05\x06"):
        return Opened(data=data, head=data[:HEAD_SIZE])
    files = zip_members(data)
    return Opened(data=data, head=b"ZIP\n" + "\n".join(files).encode(), files=files)


def zip_members(data: bytes) -> dict[str, bytes]:
    """Return a zip's files by name; refuse a zip bomb, too many files or names leaving the folder."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportRefused(_("This zip file is damaged and cannot be opened.")) from error
    if len(members) > settings.MOVING_ZIP_MAX_MEMBERS:
        raise ImportRefused(
            _("This zip holds %(count)d files: an import takes at most %(max)d.")
            % {"count": len(members), "max": settings.MOVING_ZIP_MAX_MEMBERS}
        )
    budget = max_bytes() * settings.MOVING_ZIP_RATIO
    bomb = ImportRefused(
        _("This zip would unpack to more than %(max)d MB: it is refused.") % {"max": budget // MB}
    )
    # The sizes a zip declares may lie: the members are read in bounded chunks as well.
    if sum(info.file_size for info in members) > budget:
        raise bomb
    files: dict[str, bytes] = {}
    unpacked = 0
    for info in members:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/")[0]:
            raise ImportRefused(
                _("This zip holds a file named “%(name)s”, outside its folder: it is refused.")
                % {"name": info.filename}
            )
        chunks = []
        try:
            with archive.open(info) as member:
                while chunk := member.read(MB):
                    unpacked += len(chunk)
                    if unpacked > budget:
                        raise bomb
                    chunks.append(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as error:
            raise ImportRefused(
                _("The file “%(name)s” of this zip cannot be read.") % {"name": info.filename}
            ) from error
        files[name] = b"".join(chunks)
    return files


def format_of(data: bytes, name: str) -> str:
    """Return the format of an export (its first 64 KB, or for a zip the names of its files)."""
    for format_name in FORMATS:
        module = importer(format_name)
        if module is not None and module.detect(data[:HEAD_SIZE]):
            return format_name
    raise ImportRefused(
        _(
            "“%(name)s” is not an export this site can read. It takes WordPress (WXR), Blogger, "
            "Overblog, Substack and Ghost exports, Mailchimp audience files, and this site’s own "
            "export."
        )
        % {"name": name}
    )
