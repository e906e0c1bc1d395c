"""Revisions of posts and pages: what a revision keeps, how two compare, and restoring one."""

import difflib
from dataclasses import dataclass

import reversion
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reversion.models import Version

# Derived by save() or kept by other code (the go-live stamp, the comments app's count): never
# stored in a revision, so a restore cannot bring back a stale copy, nor announce a post twice.
NOT_VERSIONED = (
    "body_html",
    "summary",
    "word_count",
    "media",
    "search_document",
    "went_live_at",
    "comment_count",
    "created_at",
    "updated_at",
)
# Shown when comparing, kept as they are when restoring: a restore rewrites the text, it never
# publishes or unpublishes (that is what the Publish and Unpublish actions are for).
PUBLICATION_FIELDS = ("status", "published_at")
# Compared line by line rather than in the table of other fields.
TEXT_FIELDS = ("title", "body")
# Unchanged lines shown around each change.
DIFF_CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "equal", "removed" or "added"
    text: str
    old_number: int | None
    new_number: int | None


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: object
    new: object


def text_diff(old: str, new: str) -> list[list[DiffLine]]:
    """Return the changes from `old` to `new` as hunks of lines, each with a little context."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(DIFF_CONTEXT_LINES):
        hunk = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                hunk += [
                    DiffLine("equal", old_lines[i], i + 1, j + 1)
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            hunk += [DiffLine("removed", old_lines[i], i + 1, None) for i in range(i1, i2)]
            hunk += [DiffLine("added", new_lines[j], None, j + 1) for j in range(j1, j2)]
        hunks.append(hunk)
    return hunks


def revisions_register(model: type[models.Model], *, follow: tuple[str, ...] = ()) -> None:
    """Have every save of `model` inside `reversion.create_revision()` keep a revision."""
    # Tags are a many-to-many field of the post: a revision keeps their ids, and restoring sets
    # them back. Not `follow`: following would version the tags themselves, and restoring a whole
    # revision would then delete the tags created since.
    reversion.register(model, exclude=NOT_VERSIONED, follow=follow)


def versioned_fields(model: type[models.Model]) -> list[models.Field]:
    """Return the fields of `model` a revision keeps, in the model's order (as `register` lists)."""
    opts = model._meta.concrete_model._meta
    fields = opts.local_fields + opts.local_many_to_many
    return [field for field in fields if field.name not in NOT_VERSIONED]


def version_values(version: Version) -> dict[str, object]:
    """Return the kept fields of a revision by attribute name (a list of ids for many-to-many)."""
    return dict(version.field_dict)


def object_values(obj: models.Model) -> dict[str, object]:
    """Return the kept fields of an object as it is now, in the form `version_values` uses."""
    values = {}
    for field in versioned_fields(type(obj)):
        if field.many_to_many:
            values[field.attname] = list(
                getattr(obj, field.name).order_by("pk").values_list("pk", flat=True)
            )
        else:
            values[field.attname] = getattr(obj, field.attname)
    return values


def _shown(field: models.Field, value):
    """Return a field's value as an editor reads it: labels and names rather than codes and ids."""
    if value is None or value == "" or value == []:
        return None
    if field.many_to_many:
        names = field.related_model._default_manager.filter(pk__in=value)
        return ", ".join(str(related) for related in names.order_by("pk"))
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related else _("deleted (#%(id)s)") % {"id": value}
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def field_changes(
    model: type[models.Model], old: dict[str, object], new: dict[str, object]
) -> list[FieldChange]:
    """Return the kept fields other than the text that differ between `old` and `new`."""
    changes = []
    for field in versioned_fields(model):
        if field.name in TEXT_FIELDS:
            continue
        before, after = old.get(field.attname), new.get(field.attname)
        if field.many_to_many:
            before, after = sorted(before or []), sorted(after or [])
        if before != after:
            changes.append(
                FieldChange(str(field.verbose_name), _shown(field, before), _shown(field, after))
            )
    return changes


def revision_author(revision) -> str:
    """Return who saved a revision, as the history page names them."""
    user = revision.user
    if user is None:
        return _("an unknown author")
    return user.get_full_name() or user.get_username()


def restored_message(version: Version) -> str:
    """Return "Restored the revision of <date> by <user>.", the date in the site's time zone."""
    revision = version.revision
    return _("Restored the revision of %(date)s by %(user)s.") % {
        "date": date_format(timezone.localtime(revision.date_created), "DATETIME_FORMAT"),
        "user": revision_author(revision),
    }


@transaction.atomic
def revision_restore(*, version: Version, user) -> models.Model:
    """Bring an object's text, tags and settings back to a revision, keeping a new revision.

    The object is saved through its own save(), so the rendered HTML, word count and images
    follow the restored body. Its publication state stays as it is now.
    Raise ValidationError when the revision's slug has since been taken by another object.
    """
    model = version.content_type.model_class()
    obj = model._default_manager.select_for_update().get(pk=version.object_id)
    values = version_values(version)
    many_to_many = {}
    for field in versioned_fields(model):
        if field.name in PUBLICATION_FIELDS or field.attname not in values:
            continue
        value = values[field.attname]
        if field.many_to_many:
            # Tags deleted since the revision stay deleted.
            related = field.related_model._default_manager.filter(pk__in=value)
            many_to_many[field.name] = list(related.values_list("pk", flat=True))
            continue
        if field.is_relation and value is not None:
            if not field.related_model._default_manager.filter(pk=value).exists():
                if not field.null:
                    continue
                value = None
        setattr(obj, field.attname, value)
    obj.validate_unique()
    obj.clean()  # posts and pages share addresses: a slug a page has taken since is refused
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(restored_message(version))
        obj.save()
        for name, pks in many_to_many.items():
            getattr(obj, name).set(pks)
    return obj
