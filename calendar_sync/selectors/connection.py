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


def connection_for(user) -> CalendarConnection | None:
    return CalendarConnection.objects.filter(user=user, provider=CalendarConnection.Provider.MICROSOFT).first()


def integrations_context(*, user, workspace) -> dict:
    connection = connection_for(user)
    if connection is not None and connection.workspace_id != workspace.pk:
        connection = None  # a connection made in another workspace is not shown here
    return {
        "connection": connection,
        "microsoft_enabled": settings.MICROSOFT_ENABLED,
        "microsoft_sandbox": settings.MICROSOFT_SANDBOX,
        "outlook_permissions": PERMISSIONS,
    }
