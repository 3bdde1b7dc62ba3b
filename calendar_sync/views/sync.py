"""calendar_sync views: sync — "Sync now", its status line (polled by htmx) and the sync options."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from calendar_sync.forms_sync import SyncOptionsForm
from calendar_sync.models import SyncRun
from calendar_sync.selectors.sync import own_connection_or_404
from calendar_sync.services.sync import SyncNotPossible, connection_set_sync_options, sync_request
from ruby_site.access import member_required, safe_next_url

STATUS_TEMPLATE = "calendar_sync/_sync_status.html"


def _connection(request, pk: int):
    return own_connection_or_404(user=request.user, workspace=request.workspace, pk=pk)


def _answer(request, connection, *, notice: str, ok: bool):
    if request.htmx:
        return render(request, STATUS_TEMPLATE, {"connection": connection, "sync_notice": notice, "sync_ok": ok})
    messages.add_message(request, messages.SUCCESS if ok else messages.ERROR, notice)
    return redirect(safe_next_url(request, reverse("settings_integrations")))


@member_required
@require_POST
def sync_now(request, pk: int):
    connection = _connection(request, pk)
    try:
        sync_request(connection=connection, trigger=SyncRun.Trigger.MANUAL, requested_by=request.user)
    except SyncNotPossible as exc:
        return _answer(request, connection, notice=str(exc), ok=False)
    return _answer(request, connection, notice="Sync started.", ok=True)


@member_required
@require_GET
def sync_status(request, pk: int):
    connection = _connection(request, pk)
    return render(request, STATUS_TEMPLATE, {"connection": connection})


@member_required
@require_POST
def sync_options(request, pk: int):
    connection = _connection(request, pk)
    form = SyncOptionsForm(request.POST, instance=connection)
    if not form.is_valid():  # two checkboxes cannot really be invalid; answer plainly anyway
        return _answer(request, connection, notice="The sync options could not be saved.", ok=False)
    connection_set_sync_options(
        connection=connection,
        sync_private=form.cleaned_data["sync_private"],
        sync_only_online=form.cleaned_data["sync_only_online"],
    )
    return _answer(request, connection, notice="Sync options saved; they apply at the next sync.", ok=True)
