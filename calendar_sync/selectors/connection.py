from __future__ import annotations

from django.conf import settings

from calendar_sync.models import CalendarConnection

# Product doc §4, one line each on why Ruby asks.
PERMISSIONS = [
    (
        "Calendars.Read",
        "Reads events on your default calendar — subject, time, location, a preview of the description, "
        "organizer and attendees — so Ruby can show upcoming meetings and match them to deals and accounts. "
        "Read-only: Ruby cannot create, change or delete events.",
    ),
    (
        "User.Read, openid, profile, email",
        "Confirms your Microsoft identity when you connect: Ruby checks that the Microsoft account uses the same "
        "email address as your Ruby account and rejects it if not.",
    ),
    (
        "offline_access",
        "Keeps the connection working without asking you to sign in again each time the access token expires.",
    ),
]


# A user has at most one connection per provider (the model's unique constraint) and at most one of them live
# (connected, or disabled by support) at a time: Ruby syncs one calendar per person (services/exchange.py).
_LIVE_FIRST = {CalendarConnection.Status.CONNECTED: 0, CalendarConnection.Status.DISABLED: 1}


def connection_for(user, provider: str | None = None) -> CalendarConnection | None:
    """The user's connection of `provider`; without one, the user's current connection: the live one, else the
    most recently connected."""
    connections = CalendarConnection.objects.filter(user=user)
    if provider is not None:
        return connections.filter(provider=provider).first()
    candidates = list(connections)
    if not candidates:
        return None
    return min(candidates, key=lambda c: (_LIVE_FIRST.get(c.status, 2), -(c.connected_at or c.created_at).timestamp()))


def live_connection_other_than(user, provider: str) -> CalendarConnection | None:
    """The user's connected or support-disabled connection of another provider, if any."""
    return CalendarConnection.objects.filter(user=user, status__in=list(_LIVE_FIRST)).exclude(provider=provider).first()


def _in_workspace(connection: CalendarConnection | None, workspace) -> CalendarConnection | None:
    # A connection made in another workspace is not shown here.
    return connection if connection is not None and connection.workspace_id == workspace.pk else None


def integrations_context(*, user, workspace) -> dict:
    connection = _in_workspace(connection_for(user, CalendarConnection.Provider.MICROSOFT), workspace)
    return {
        "connection": connection,
        "exchange_connection": _in_workspace(connection_for(user, CalendarConnection.Provider.EXCHANGE), workspace),
        "exchange_sandbox": settings.EXCHANGE_SANDBOX,
        "microsoft_enabled": settings.MICROSOFT_ENABLED,
        "microsoft_sandbox": settings.MICROSOFT_SANDBOX,
        "outlook_permissions": PERMISSIONS,
    }
