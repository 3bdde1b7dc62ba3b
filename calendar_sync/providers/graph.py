"""The Microsoft 365 calendar provider: the default calendar's calendarView through Microsoft Graph.

Tokens come from services/tokens.py (refreshed once on a 401); the JSON is normalised by normalize.py. The
wording of Graph's and the sign-in's errors for people lives here, not in the clients (design.md §7.12).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from calendar_sync import auth, graph
from calendar_sync.errors import ProviderError
from calendar_sync.models import CalendarConnection
from calendar_sync.normalize import MalformedEvent, normalize_event
from calendar_sync.providers.base import ProviderPage
from calendar_sync.services import tokens

RECONNECT_FALLBACK = "Microsoft no longer accepts Ruby's access; reconnect Outlook Calendar."
SIGN_IN_UNREACHABLE = "Microsoft sign-in could not be reached; try again later."

_GRAPH_MESSAGES = {
    graph.TIMEOUT: "Microsoft Graph did not answer in time.",
    graph.UNREACHABLE: "Microsoft Graph could not be reached.",
    graph.BUSY: "Microsoft Graph is busy or unavailable (HTTP {status}); try again later.",
    graph.REFUSED: "Microsoft refused access to your calendar ({status}). Reconnect from Settings -> Integrations.",
    graph.NOT_JSON: "Microsoft Graph sent a response that is not JSON.",
    graph.BAD_SHAPE: "Microsoft Graph sent an unexpected response shape.",
    graph.NO_EVENT_LIST: "Microsoft Graph sent a calendar page without a list of events.",
    graph.LINK_ELSEWHERE: "Microsoft Graph sent a next-page link to an unexpected address; the sync stopped.",
    graph.LINK_REPEATED: "Microsoft Graph repeated a next-page link; the sync stopped to avoid a loop.",
    graph.TOO_MANY_EVENTS: "Microsoft Graph sent far more events than a week can hold; the sync stopped.",
}
_SUBSCRIPTION_MESSAGES = {
    graph.TIMEOUT: "Microsoft Graph could not be reached to remove the subscription.",
    graph.UNREACHABLE: "Microsoft Graph could not be reached to remove the subscription.",
    graph.BUSY: (
        "Microsoft Graph is busy or unavailable (HTTP {status}); the subscription "
        "was not removed and will expire on its own."
    ),
    graph.REFUSED: "Microsoft Graph refused the access token (HTTP {status} {code}).",
}


def _graph_message(error: graph.GraphError, messages: dict[str, str]) -> str:
    template = messages.get(error.kind) or _GRAPH_MESSAGES.get(error.kind)
    if template is None:  # any other HTTP error: Graph's own code and message
        return f"Microsoft Graph answered HTTP {error.status} {error.code}: {error.detail}".strip()
    return template.format(status=error.status, code=error.code)


def describe_subscription_error(error: graph.GraphError) -> str:
    """Why a subscription could not be removed at Microsoft, in plain words."""
    return _graph_message(error, _SUBSCRIPTION_MESSAGES)


class GraphProvider:
    def fetch_window(self, connection: CalendarConnection, *, start: datetime, end: datetime) -> Iterator[ProviderPage]:
        token = tokens.access_token_for(connection)
        pages = graph.iter_calendar_view(
            access_token=token,
            start=start,
            end=end,
            page_size=graph.CALENDAR_PAGE_SIZE,
            refresh_token=lambda: tokens.access_token_for(connection, force_refresh=True),
        )
        for page in pages:
            out = ProviderPage(requests_made=page.requests_made)
            for raw in page.events:
                try:
                    out.events.append(normalize_event(raw))
                except MalformedEvent as exc:
                    out.malformed.append(exc)
            yield out

    def describe(self, error: ProviderError) -> str:
        if isinstance(error, tokens.ReconnectRequired):
            return str(error) or RECONNECT_FALLBACK
        if isinstance(error, auth.TokenUnavailable):
            return SIGN_IN_UNREACHABLE
        if isinstance(error, graph.GraphError):
            return _graph_message(error, _GRAPH_MESSAGES)
        return str(error)
