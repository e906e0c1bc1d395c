"""Write the whole site into one zip: WXR, the versioned JSON, subscribers.csv, media, manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from moving.export import site_export_write


class Command(BaseCommand):
    help = "Export the whole site as one zip (WXR 1.2, JSON, subscribers.csv, media, manifest)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="Where to write the zip (default: chez-soi-export-<date>.zip here).",
        )

    def handle(self, *args, path=None, **options):
        self.verbosity = options["verbosity"]
        target = Path(path or f"chez-soi-export-{timezone.now():%Y%m%d-%H%M%S}.zip")
        manifest = site_export_write(target, progress=self._progress)
        counts = ", ".join(f"{kind} {count}" for kind, count in manifest["counts"].items())
        self.stdout.write(f"{target} ({target.stat().st_size} bytes): {counts}")

    def _progress(self, done: int, total: int) -> None:
        if self.verbosity > 1:
            self.stderr.write(f"{done}/{total}")
