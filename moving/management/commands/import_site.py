"""Import a whole site exported from another platform, in the foreground, and print the report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moving.detect import FORMATS
from moving.models import ImportRun


class Command(BaseCommand):
    help = "Import a site exported from WordPress, Blogger, Overblog, Substack, Ghost or Mailchimp."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The export file (XML, CSV, JSON or zip).")
        parser.add_argument("--format", default="auto", choices=["auto", *FORMATS])
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and report, without writing anything."
        )
        parser.add_argument(
            "--pingbacks", default="keep", choices=["keep", "drop"],
            help="Keep pingbacks and trackbacks as comments (marked as such), or leave them out.",
        )  # fmt: skip

    def handle(self, *args, path, format, dry_run, pingbacks, **options):
        from moving.services import import_run_execute

        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {path}.")
        run = ImportRun.objects.create(
            file_name=file.name,
            file_path=str(file.resolve()),
            format="" if format == "auto" else format,
            dry_run=dry_run,
            keep_pingbacks=pingbacks == "keep",
        )
        run = import_run_execute(run_id=run.pk, delete_file=False)
        for line in run.report_lines():
            self.stdout.write(line)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.report.get("error", "The import failed."))
