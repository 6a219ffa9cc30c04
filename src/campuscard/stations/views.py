"""The back-office side of print stations: their page, sending cards to one, printing again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campuscard.backoffice import services as office
from campuscard.backoffice.views import staff_only
from campuscard.core.actors import Actor
from campuscard.people.permissions import scope_of
from campuscard.stations import services
from campuscard.stations.forms import SendToPrintForm
from campuscard.stations.models import (
    ENCODING_KINDS,
    OPEN_STATUSES,
    JobStatus,
    PrintJob,
    Station,
)

RECENT_JOBS = 50


@staff_only
def station_list(request):
    scope = scope_of(request.user)
    stations = (Station.objects.filter(revoked_at__isnull=True,
                                       establishment__in=scope.establishment_ids)
                .select_related("establishment"))
    allowed = set(services.stations_for(request.user).values_list("pk", flat=True))
    encoders = set(services.stations_for(request.user, kinds=ENCODING_KINDS)
                   .values_list("pk", flat=True))
    return render(request, "stations/station_list.html", {
        "stations": [_station_row(station, allowed) | {"may_encode": station.pk in encoders}
                     for station in stations],
    })


def _station_row(station, allowed):
    jobs = (PrintJob.objects.filter(station=station).select_related("card__person")
            .order_by("-asked_at", "-id")[:RECENT_JOBS])
    counts = {status: station.jobs.filter(status=status).count() for status in OPEN_STATUSES}
    return {"station": station, "online": services.is_online(station), "jobs": jobs,
            "queued": counts[JobStatus.QUEUED], "leased": counts[JobStatus.LEASED],
            "may_send": station.pk in allowed}


@staff_only
@require_POST
def send_to_print(request):
    form = SendToPrintForm(request.POST, stations=services.stations_for(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose a print station. Nothing was changed."))
        return redirect(_back(request, form))
    cards = office.cards_in_scope_or_404(request.user, form.cleaned_data["card"])
    try:
        jobs = services.send_to_print(cards, form.cleaned_data["station"],
                                      Actor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages) + " " + _("Nothing was changed."))
    else:
        messages.success(request, ngettext(
            "%(count)d card sent to %(station)s.", "%(count)d cards sent to %(station)s.",
            len(jobs)) % {"count": len(jobs), "station": form.cleaned_data["station"]})
    return redirect(_back(request, form))


def _back(request, form):
    ids = form.cleaned_data.get("card") if hasattr(form, "cleaned_data") else None
    if ids and len(ids) == 1:
        return reverse("backoffice:card", args=[ids[0]])
    return reverse("stations:list")


@staff_only
@require_POST
def print_again(request, job_id):
    job = get_object_or_404(PrintJob, pk=job_id,
                            station__establishment__in=scope_of(request.user).establishment_ids)
    try:
        services.print_again(job, Actor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The card is queued again."))
    return redirect("stations:list")
