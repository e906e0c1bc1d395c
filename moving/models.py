"""What an import run did, what each imported object came from, and the old site's addresses."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

REPORT_KINDS = {
    "posts": _("posts"),
    "pages": _("pages"),
    "drafts": _("drafts"),
    "tags": _("tags"),
    "categories": _("categories"),
    "comments": _("comments"),
    "pingbacks": _("pingbacks and trackbacks"),
    "media": _("images"),
    "subscribers": _("subscribers"),
    "redirects": _("redirects"),
}


class ImportRun(models.Model):
    """One file imported (or tried in a dry run), its progress and its report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    format = models.CharField(_("format"), max_length=20, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    # Where the uploaded file waits for the task; emptied once the run is over.
    file_path = models.CharField(_("stored file"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    keep_pingbacks = models.BooleanField(_("keep pingbacks and trackbacks"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return self.file_name

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 * self.progress_done // self.progress_total if self.progress_total else 0

    def counts(self) -> list[tuple[str, int]]:
        """Return the report's counts as (translated kind, number)."""
        counts = self.report.get("counts", {})
        return [(str(label), counts.get(key, 0)) for key, label in REPORT_KINDS.items()]

    def report_lines(self) -> list[str]:
        """Return the report as lines of text, for the command's output."""
        lines = [f"{self.file_name}: {self.get_status_display()} ({self.format or '?'})"]
        if self.dry_run:
            lines.append(str(_("Dry run: nothing was written.")))
        if "error" in self.report:
            lines.append(self.report["error"])
        lines += (
            [f"  {label}: {number}" for label, number in self.counts()]
            if self.report.get("counts")
            else []
        )
        for heading, key in (
            (_("Skipped"), "skipped"),
            (_("Failed"), "failures"),
            (_("Warnings"), "warnings"),
        ):
            problems = self.report.get(key) or []
            if problems:
                lines.append(f"{heading} ({len(problems)}):")
                lines += [f"  {problem['what']}: {problem['reason']}" for problem in problems]
        return lines


class ImportedObject(models.Model):
    """An object we made from one record of another platform, so that a re-run finds it again."""

    class Kind(models.TextChoices):
        POST = "post", _("Post")
        PAGE = "page", _("Page")
        TAG = "tag", _("Tag")
        COMMENT = "comment", _("Comment")
        SUBSCRIBER = "subscriber", _("Subscriber")
        MEDIA = "media", _("Media")
        AUTHOR = "author", _("Author")

    platform = models.CharField(_("platform"), max_length=20)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    source_id = models.CharField(_("source id"), max_length=500)
    source_url = models.URLField(_("source address"), max_length=2000, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="imported_objects"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("imported object")
        verbose_name_plural = _("imported objects")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "source_id"], name="moving_imported_once"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.platform} {self.kind} {self.source_id}"


class Redirect(models.Model):
    """An address of the old site answered with a permanent redirect to its new page."""

    # The path and query string exactly as the old site had them: "/?p=12", "/2019/05/radis.html".
    old_path = models.CharField(_("old address"), max_length=1000, unique=True)
    new_path = models.CharField(_("new address"), max_length=1000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    hits = models.PositiveIntegerField(_("hits"), default=0)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["old_path"]
        verbose_name = _("redirect")
        verbose_name_plural = _("redirects")

    def __str__(self):
        return f"{self.old_path} → {self.new_path}"
