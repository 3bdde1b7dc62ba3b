"""calendar_sync selectors: what the Integrations card says about live updates (issue 12)."""

from __future__ import annotations

from calendar_sync.models import CalendarConnection
from calendar_sync.providers import provider_for
from calendar_sync.providers.base import push_capable
from calendar_sync.services.subscriptions import push_base_url


def live_updates_for(connection: CalendarConnection) -> dict:
    """state: "on" (renews_at), "off" (PUBLIC_BASE_URL unset), "paused" (reason), "starting" (being set up) or
    "" (not shown: not connected, or a provider without push); last_change_at: the last notification's arrival."""
    if connection is None or connection.status != CalendarConnection.Status.CONNECTED:
        return {"state": ""}
    if not push_capable(provider_for(connection)):
        return {"state": ""}
    info = {"last_change_at": connection.push_last_change_at}
    if not push_base_url():
        return {**info, "state": "off"}
    if connection.push_paused_reason:
        return {**info, "state": "paused", "reason": connection.push_paused_reason}
    if connection.subscription_id:
        return {**info, "state": "on", "renews_at": connection.subscription_renew_at}
    return {**info, "state": "starting"}
