"""The admin's "Export the site" page and the download of its zips, for the site's owners only.

Wired into the admin by moving/admin.py (`get_urls`); addresses inside the page are relative, so
the views do not depend on where they are mounted.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from moving.export import (
    EXPORT_NAME,
    export_is_busy,
    export_state,
    exports_dir,
    exports_list,
    site_export_start,
)


def _check(request) -> None:
    # Every subscriber's address leaves with the zip: the owners' decision, not an editor's.
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied


def export_page(request):
    _check(request)
    if request.method == "POST":
        if site_export_start(user=request.user):
            messages.success(request, _("The export has started; this page shows its progress."))
        else:
            messages.warning(request, _("An export is already running."))
        return redirect(request.path)
    state = export_state()
    running = export_is_busy(state)
    context = {
        **admin.site.each_context(request),
        "title": _("Export the site"),
        "state": state,
        "running": running,
        "percent": int(100 * state["done"] / state["total"]) if running and state["total"] else 0,
        "exports": [{"name": path.name, "size": path.stat().st_size} for path in exports_list()],
    }
    return TemplateResponse(request, "admin/moving/export.html", context)


def export_download(request, name: str):
    _check(request)
    path = exports_dir() / name
    if not EXPORT_NAME.match(name) or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)
