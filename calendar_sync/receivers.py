"""What calendar_sync does when an app below it announces a change (connected in CalendarSyncConfig.ready())."""

from __future__ import annotations

from calendar_sync.services.sync_store import attendees_reflag_internal


def reflag_internal_attendees(sender, workspace, **kwargs) -> None:
    """ruby_site.signals.internal_domains_changed: re-derive the stored attendees' internal marks."""
    attendees_reflag_internal(workspace=workspace)
