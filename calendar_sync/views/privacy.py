"""calendar_sync views: privacy — the user's Disconnect (product doc §10 has none; we do better)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from calendar_sync.models import CalendarConnection
from calendar_sync.selectors.connection import connection_for
from calendar_sync.services.lifecycle import connection_disconnect
from ruby_site.access import member_required


class DisconnectForm(forms.Form):
    purge = forms.BooleanField(
        required=False,
        label="Also delete my synced calendar data",
        help_text="Deletes the meetings Ruby synced from your calendar, their attendees and deal links, and "
        "unlinks transcripts from them. This cannot be undone.",
    )


def _own_connection(request, provider: str) -> CalendarConnection:
    connection = connection_for(request.user, provider)
    if connection is None or connection.workspace_id != request.workspace.pk:
        raise Http404("There is no calendar connection to disconnect.")
    return connection


def _label(connection: CalendarConnection) -> str:
    return "Outlook Calendar" if connection.provider == CalendarConnection.Provider.MICROSOFT else "Exchange"


@member_required
def connection_disconnect_view(request, provider: str = CalendarConnection.Provider.MICROSOFT):
    connection = _own_connection(request, provider)
    form = DisconnectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        purge = form.cleaned_data["purge"]
        if connection.status == CalendarConnection.Status.NOT_CONNECTED and not purge:
            # Nothing to disconnect: the only thing this page can still do is delete the data.
            form.add_error("purge", "Tick the box to delete your synced calendar data.")
            return _render(request, connection, form)
        counts = connection_disconnect(connection=connection, by=request.user, purge=purge)
        if purge:
            messages.success(
                request,
                f"{_label(connection)} is disconnected and {counts.get('events', 0)} synced meetings were deleted.",
            )
        else:
            messages.success(request, f"{_label(connection)} is disconnected. Your synced meetings are kept.")
        if connection.last_error:
            messages.warning(request, connection.last_error)
        return redirect("settings_integrations")
    return _render(request, connection, form)


def _render(request, connection: CalendarConnection, form: DisconnectForm):
    context = {
        "connection": connection,
        "form": form,
        "event_count": connection.events.count(),
        "section": "integrations",
        "provider_label": _label(connection),
    }
    return render(request, "calendar_sync/disconnect_confirm.html", context)
