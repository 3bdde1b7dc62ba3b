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
from calendar_sync.providers.base import ProviderPage, PushSubscription
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


_PUSH_MESSAGES = {
    graph.TIMEOUT: "Microsoft Graph did not answer when Ruby asked for change notifications.",
    graph.UNREACHABLE: "Microsoft Graph could not be reached to set up change notifications.",
    graph.BUSY: "Microsoft Graph is busy (HTTP {status}); Ruby tries again at the next renewal.",
    graph.REFUSED: "Microsoft refused the subscription (HTTP {status} {code}).",
    graph.BAD_SHAPE: "Microsoft Graph answered the subscription request in an unexpected shape.",
}


def describe_subscription_error(error: graph.GraphError) -> str:
    """Why a subscription could not be removed at Microsoft, in plain words."""
    return _graph_message(error, _SUBSCRIPTION_MESSAGES)


class GraphProvider:
    supports_push = True
    push_url_names = ("microsoft_notifications", "microsoft_lifecycle")

    def push_subscribe(
        self, connection: CalendarConnection, *, notification_url: str, lifecycle_url: str, client_state: str,
        expires_at: datetime,
    ) -> PushSubscription:  # fmt: skip
        made = graph.create_subscription(
            access_token=tokens.access_token_for(connection), notification_url=notification_url,
            lifecycle_url=lifecycle_url, client_state=client_state, expires_at=expires_at,
        )  # fmt: skip
        return PushSubscription(id=made.id, expires_at=made.expires_at)

    def push_renew(self, connection: CalendarConnection, *, subscription_id: str, expires_at: datetime):
        renewed = graph.renew_subscription(
            access_token=tokens.access_token_for(connection), subscription_id=subscription_id, expires_at=expires_at
        )
        return PushSubscription(id=renewed.id, expires_at=renewed.expires_at)

    def push_error_is_gone(self, error: ProviderError) -> bool:
        return isinstance(error, graph.GraphError) and error.status == 404

    def describe_push(self, error: ProviderError) -> str:
        if isinstance(error, graph.GraphError) and error.kind == graph.HTTP_ERROR and error.status == 400:
            # Graph refuses to create a subscription whose validation call failed (subscription-post-subscriptions).
            return (
                f"Microsoft could not reach Ruby's webhook address to validate it (HTTP 400 {error.code}). "
                "Check that PUBLIC_BASE_URL is reachable from the internet."
            )
        if isinstance(error, graph.GraphError):
            return _graph_message(error, _PUSH_MESSAGES)
        return self.describe(error)

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
