from __future__ import annotations

from django.conf import settings

from calendar_sync.models import CalendarConnection


def connection_for(user) -> CalendarConnection | None:
    return CalendarConnection.objects.filter(user=user, provider=CalendarConnection.Provider.MICROSOFT).first()


def integrations_context(*, user, workspace) -> dict:
    return {
        "connection": connection_for(user),
        "microsoft_enabled": settings.MICROSOFT_ENABLED,
    }
