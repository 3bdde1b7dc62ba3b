"""calendar_sync views: sync — "Sync now", its status line (polled by htmx) and the sync options."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from calendar_sync.forms_sync import SyncOptionsForm
from calendar_sync.models import SyncRun
from calendar_sync.selectors.sync import own_connection_or_404
from calendar_sync.services.sync import SyncNotPossible, connection_set_sync_options, sync_request

STATUS_TEMPLATE = "calendar_sync/_sync_status.html"


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("settings_integrations")


def _answer(request, connection, *, notice: str, ok: bool):
    if _is_htmx(request):
        return render(request, STATUS_TEMPLATE, {"connection": connection, "sync_notice": notice, "sync_ok": ok})
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, notice)
    return redirect(_back(request))


@login_required
@require_POST
def sync_now(request, pk: int):
    connection = own_connection_or_404(request.user, pk)
    try:
        sync_request(connection=connection, trigger=SyncRun.Trigger.MANUAL, requested_by=request.user)
    except SyncNotPossible as exc:
        return _answer(request, connection, notice=str(exc), ok=False)
    return _answer(request, connection, notice="Sync started.", ok=True)


@login_required
@require_GET
def sync_status(request, pk: int):
    connection = own_connection_or_404(request.user, pk)
    return render(request, STATUS_TEMPLATE, {"connection": connection})


@login_required
@require_POST
def sync_options(request, pk: int):
    connection = own_connection_or_404(request.user, pk)
    form = SyncOptionsForm(request.POST, instance=connection)
    if not form.is_valid():  # two checkboxes cannot really be invalid; answer plainly anyway
        return _answer(request, connection, notice="The sync options could not be saved.", ok=False)
    connection_set_sync_options(
        connection=connection,
        sync_private=form.cleaned_data["sync_private"],
        sync_only_online=form.cleaned_data["sync_only_online"],
    )
    return _answer(request, connection, notice="Sync options saved; they apply at the next sync.", ok=True)
