"""The calendar providers, keyed by CalendarConnection.Provider: the one list of them (design.md §7.11).

The sync engine asks `provider_for(connection)` for the normalised events of a window and never names a
provider itself. Exchange on-premise (EWS, providers/ews.py) is the second entry.
"""

from __future__ import annotations

from calendar_sync.models import CalendarConnection
from calendar_sync.providers.base import CalendarProvider, ProviderError, ProviderPage
from calendar_sync.providers.ews import EwsProvider
from calendar_sync.providers.graph import GraphProvider

__all__ = ["PROVIDERS", "CalendarProvider", "ProviderError", "ProviderPage", "provider_for"]

PROVIDERS: dict[str, CalendarProvider] = {
    CalendarConnection.Provider.MICROSOFT: GraphProvider(),
    CalendarConnection.Provider.EXCHANGE: EwsProvider(),
}


def provider_for(connection: CalendarConnection) -> CalendarProvider:
    return PROVIDERS[connection.provider]
