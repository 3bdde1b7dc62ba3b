"""Access tokens for a connection: the MSAL cache read from the row, refreshed under a row lock, written back.

auth.py is the pure MSAL client; this service owns what touches the database: the lock and the write-back when
the cache changed. When Microsoft refuses the refresh token it raises AccessLost; the caller that can act on it
(the sync engine) turns it into connection state through lifecycle — lifecycle itself needs tokens to remove a
subscription, so this module never imports it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from calendar_sync import auth
from calendar_sync.errors import ProviderError
from calendar_sync.models import CalendarConnection

log = logging.getLogger(__name__)

NOT_CONNECTED = "Outlook Calendar is not connected."
ACCESS_LOST_REASON = (
    "Microsoft no longer accepts Ruby's access — this happens when access is revoked, your password changes "
    "or the stored access expires. Reconnect to restore."
)


class ReconnectRequired(ProviderError):
    """The connection has no usable access; only the user can fix it, by reconnecting. The message is the
    reason the user sees (the connection is already not connected with it)."""

    permanent = True

    def __init__(self, message: str):
        super().__init__("reconnect_required", message=message)


class AccessLost(ReconnectRequired):
    """Microsoft refused the stored refresh token (`code`: its error, e.g. invalid_grant). The connection is still
    marked connected: the caller records the loss with lifecycle.connection_mark_access_lost."""

    def __init__(self, code: str):
        super().__init__(ACCESS_LOST_REASON)
        self.kind = "access_lost"
        self.code = code


@sensitive_variables()
def access_token_for(connection: CalendarConnection, *, force_refresh: bool = False) -> str:
    """An access token for Graph. Uses the cached one while valid; otherwise refreshes under a row
    lock after re-reading the cache, so two workers refreshing at once do not overwrite the newest
    refresh token with an older one (the second finds the first's fresh token and makes no call).

    Raises ReconnectRequired (permanent; AccessLost when Microsoft refused the refresh token) or
    auth.TokenUnavailable (transient)."""
    if connection.status != CalendarConnection.Status.CONNECTED or not connection.token_cache:
        raise ReconnectRequired(connection.status_reason or NOT_CONNECTED)
    identity = {"tenant_id": connection.tenant_id, "object_id": connection.object_id}
    if not force_refresh:
        token = auth.cached_access_token(connection.token_cache, **identity)
        if token:
            return token

    client = auth.TokenClient()  # network (OpenID configuration) before taking the lock
    with transaction.atomic():
        row = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        if row.status != CalendarConnection.Status.CONNECTED or not row.token_cache:
            raise ReconnectRequired(row.status_reason or NOT_CONNECTED)
        client.load(row.token_cache)
        identity = {"tenant_id": row.tenant_id, "object_id": row.object_id}
        if not force_refresh:
            token = client.cached_token(**identity)
            if token:  # another worker refreshed while we waited for the lock
                connection.token_cache = row.token_cache
                return token
        try:
            token = client.refresh(**identity, force_refresh=force_refresh)
        except auth.TokenRefused as exc:
            refused = exc
        except auth.TokenUnavailable as exc:
            if exc.kind == "not_issued":
                log.warning("token refresh failed connection=%s error=%s", row.pk, exc.code)
            raise
        else:
            if client.changed:
                row.token_cache = client.serialize()
                row.save(update_fields=["token_cache", "updated_at"])
                connection.token_cache = row.token_cache
            return token
    raise AccessLost(refused.kind)
