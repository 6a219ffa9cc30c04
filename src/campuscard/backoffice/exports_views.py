"""The file exports in the back-office: each export's last files (their lines, a download),
what the next file would hold, and "send a full snapshot now"."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from campuscard.backoffice.views import SAFE_METHODS, only, paginate, staff_only
from campuscard.core.actors import Actor
from campuscard.integrations.exports import delivery, services
from campuscard.integrations.exports.formats import FormatError, parse_format
from campuscard.integrations.exports.models import ExportFile, ExportTarget
from campuscard.people.permissions import require_manager, scope_of


def exports_in_scope(user):
    """The exports whose every establishment the user manages as a whole (an export for every
    establishment: administrators only), since its files name those establishments' people."""
    scope = scope_of(user)
    exports = ExportTarget.objects.prefetch_related("establishments").order_by("label_en")
    if scope.is_admin:
        return list(exports)
    return [export for export in exports if _manages_every(scope, export)]


def _manages_every(scope, export):
    served = [e.pk for e in export.establishments.all()]
    return bool(served) and all(scope.manages_all_of(pk) for pk in served)


def _export_or_404(request, code):
    require_manager(request.user)
    for export in exports_in_scope(request.user):
        if export.code == code:
            return export
    raise Http404(_("No such export."))


@staff_only
@only(*SAFE_METHODS)
def export_list(request):
    require_manager(request.user)
    return render(request, "backoffice/exports.html",
                  {"exports": exports_in_scope(request.user)})


@staff_only
@only(*SAFE_METHODS)
def export_detail(request, code):
    export = _export_or_404(request, code)
    context = {"export": export, "waiting": services.waiting_changes(export),
               "pager": paginate(request, export.files.all(), "page",
                                 _("Pages of export files"))}
    try:
        context["format"] = parse_format(export.format)
        context["preview"] = services.preview(export)
    except FormatError as exc:
        context["format_error"] = str(exc)
    try:
        context["destination"] = delivery.describe(delivery.parse_destination(export.destination))
    except delivery.DestinationError as exc:
        context["destination_error"] = str(exc)
    return render(request, "backoffice/export_detail.html", context)


@staff_only
@only(*SAFE_METHODS)
def export_file_lines(request, code, file_id):
    export = _export_or_404(request, code)
    export_file = get_object_or_404(ExportFile, export=export, pk=file_id)
    return render(request, "backoffice/export_file.html", {
        "export": export, "file": export_file, "lines": services.file_lines(export_file)})


@staff_only
@only(*SAFE_METHODS)
def export_file_download(request, code, file_id):
    export = _export_or_404(request, code)
    export_file = get_object_or_404(ExportFile, export=export, pk=file_id)
    return FileResponse(export_file.content.open("rb"), as_attachment=True,
                        filename=export_file.name, content_type="text/csv")


@staff_only
@only("POST")
def export_snapshot(request, code):
    export = _export_or_404(request, code)
    services.ask_snapshot(export, Actor.from_request(request))
    messages.success(request, _("A full snapshot is queued: the worker writes and delivers it "
                                "in a moment; it shows below when written."))
    return redirect("backoffice:export", export.code)
