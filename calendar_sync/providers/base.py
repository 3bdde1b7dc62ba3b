"""What every calendar provider gives the sync engine (design.md §1, the calendar-provider seam)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from calendar_sync.errors import ProviderError
from calendar_sync.models import CalendarConnection
from calendar_sync.normalize import MalformedEvent, NormalizedEvent

__all__ = ["CalendarProvider", "ProviderError", "ProviderPage"]


@dataclass
class ProviderPage:
    """One page of a window, normalised. `malformed` holds the events that could not be read (skipped, counted);
    `requests_made` the HTTP requests this page cost, retries and a token refresh included."""

    events: list[NormalizedEvent] = field(default_factory=list)
    malformed: list[MalformedEvent] = field(default_factory=list)
    requests_made: int = 0

    @property
    def fetched(self) -> int:
        return len(self.events) + len(self.malformed)


class CalendarProvider(Protocol):
    def fetch_window(self, connection: CalendarConnection, *, start: datetime, end: datetime) -> Iterator[ProviderPage]:
        """The connection's events in [start, end), page by page. Raises ProviderError: `permanent` when only
        the user can fix it (the engine then marks the connection not connected), else transient."""
        ...

    def describe(self, error: ProviderError) -> str:
        """The provider's error in plain words for the user (the run's error, the connection's reason)."""
        ...
