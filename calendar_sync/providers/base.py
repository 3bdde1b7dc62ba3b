"""What every calendar provider gives the sync engine (design.md §1, the calendar-provider seam)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from calendar_sync.errors import ProviderError
from calendar_sync.models import CalendarConnection
from calendar_sync.normalize import MalformedEvent, NormalizedEvent

__all__ = ["CalendarProvider", "ProviderError", "ProviderPage", "PushSubscription", "push_capable"]


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


@dataclass(frozen=True)
class PushSubscription:
    """A provider's change-notification subscription: its id and the expiry the provider granted."""

    id: str
    expires_at: datetime


class PushProvider(Protocol):
    """What a provider that can push changes adds (Microsoft Graph does; Exchange on-premise over EWS does not).
    A provider says so with `supports_push = True`; the subscriptions service asks nothing of the others."""

    supports_push: bool
    # URL names of the notification and lifecycle webhooks (under /webhooks/<provider>/).
    push_url_names: tuple[str, str]

    def push_subscribe(
        self, connection: CalendarConnection, *, notification_url: str, lifecycle_url: str, client_state: str,
        expires_at: datetime,
    ) -> PushSubscription: ...  # fmt: skip

    def push_renew(
        self, connection: CalendarConnection, *, subscription_id: str, expires_at: datetime
    ) -> PushSubscription: ...

    def push_error_is_gone(self, error: ProviderError) -> bool:
        """The subscription no longer exists at the provider (renewing it cannot work: create a new one)."""
        ...

    def describe_push(self, error: ProviderError) -> str:
        """Why push could not be set up, in plain words (the card's "paused: <reason>")."""
        ...


def push_capable(provider) -> bool:
    return bool(getattr(provider, "supports_push", False))
