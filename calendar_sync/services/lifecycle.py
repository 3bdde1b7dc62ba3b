"""calendar_sync services: connection lifecycle — every status write of a calendar connection: connected (a
completed sign-in), not connected because the provider refused Ruby's access (a refused refresh token, or a
permanent refusal during a sync), the user's Disconnect, support's disable / re-enable, the connection side of a
user's purge, and removing the Graph subscription they need (product doc §10, §11; design.md §3.6).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from calendar_sync import auth, graph
from calendar_sync.models import CalendarConnection, CalendarEvent
from calendar_sync.providers.graph import describe_subscription_error
from calendar_sync.services import tokens
from calendar_sync.services.erasure import PrivacyError, connection_history_delete, counts_add, events_delete
from calendar_sync.services.tokens import ACCESS_LOST_REASON, NOT_CONNECTED  # noqa: F401 - NOT_CONNECTED re-exported
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

Status = CalendarConnection.Status
SUBSCRIPTION_FIELDS = [
    "subscription_id",
    "subscription_expires_at",
    "subscription_renew_at",
    "subscription_client_state",
]


def _today_label(when=None) -> str:
    return date_format(timezone.localdate(when), "DATE_FORMAT")


def subscription_fields_clear(connection: CalendarConnection) -> None:
    connection.subscription_id = ""
    connection.subscription_expires_at = None
    connection.subscription_renew_at = None
    connection.subscription_client_state = ""


def subscription_delete_best_effort(*, connection: CalendarConnection) -> str:
    """Remove the connection's Graph subscription at Microsoft. Returns "" on success (or when there is
    nothing to remove), else a plain error. Never raises: an orphaned subscription expires on its own
    within days, so failing to remove it must not block a disconnect."""
    if not connection.subscription_id:
        return ""
    try:
        access_token = tokens.access_token_for(connection)
        graph.delete_subscription(access_token=access_token, subscription_id=connection.subscription_id)
    except (tokens.ReconnectRequired, auth.TokenUnavailable):
        return "The Microsoft subscription could not be removed (no valid access); it will expire on its own."
    except graph.GraphError as exc:
        return f"The Microsoft subscription could not be removed: {describe_subscription_error(exc)}"
    return ""


def _connection_forget(conn: CalendarConnection) -> None:
    """What a Disconnect and a purge both drop: tokens, sync state and the Microsoft identity (so the user
    may connect a different account afterwards). The row stays (same user + provider) so Connect reuses it."""
    conn.token_cache = ""
    conn.delta_link = ""
    subscription_fields_clear(conn)
    conn.tenant_id = ""
    conn.object_id = ""
    conn.email = ""


def _connection_data_purge(conn: CalendarConnection) -> dict:
    """Delete one connection's synced data (locked row, inside a transaction). The row itself stays."""
    counts = connection_history_delete(connection=conn)
    counts["token_caches"] = int(bool(conn.token_cache))
    conn.token_cache = ""
    conn.delta_link = ""
    conn.last_error = ""
    conn.last_synced_at = None
    return counts


# --- Disconnect --------------------------------------------------------------------------------


def connection_disconnect(*, connection: CalendarConnection, by: User, purge: bool = False) -> dict:
    """The user's Disconnect: delete tokens and the Graph subscription, stop syncing; keep history
    unless `purge`."""
    subscription_error = subscription_delete_best_effort(connection=connection)
    with transaction.atomic():
        conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        had_subscription = bool(conn.subscription_id)
        counts: dict = {"subscription_removed": int(had_subscription and not subscription_error)}
        if purge:
            counts.update(_connection_data_purge(conn))
        now = timezone.now()
        _connection_forget(conn)
        conn.disconnected_at = now
        conn.last_error = subscription_error
        # A support disable outlives the user's Disconnect, else disconnect + reconnect would undo it.
        if conn.status != Status.DISABLED:
            conn.status = Status.NOT_CONNECTED
            conn.status_reason = f"Disconnected by you on {_today_label(now)}."
        conn.save()
        audit_record(
            action=AuditEntry.Action.DISCONNECT,
            actor=by,
            actor_label="user",
            workspace=conn.workspace,
            obj=conn,
            reason=("Synced calendar data deleted with the disconnect. " if purge else "") + subscription_error,
            counts=counts,
        )
        if purge:
            audit_record(
                action=AuditEntry.Action.PURGE,
                actor=by,
                actor_label="user",
                workspace=conn.workspace,
                obj=conn,
                reason="Requested by the user with Disconnect.",
                counts=counts,
            )
    connection.refresh_from_db()
    return counts


# --- A Ruby user's purge (deletion request) -----------------------------------------------------


def user_calendar_purge(*, user: User, workspace: Workspace | None = None) -> dict:
    """Delete calendar data about a Ruby user: their connections' events, attendees, activities, sync runs
    and token caches (transcripts detached), and stop those connections. Idempotent: a second run finds
    nothing and returns zeros."""
    connections = CalendarConnection.objects.filter(user=user)
    if workspace is not None:
        connections = connections.filter(workspace=workspace)
    counts: dict = {"connections": 0, "subscription_removed": 0}
    for connection in connections:
        error = subscription_delete_best_effort(connection=connection)
        with transaction.atomic():
            conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
            counts["connections"] += 1
            counts["subscription_removed"] += int(bool(conn.subscription_id) and not error)
            counts_add(counts, _connection_data_purge(conn))
            _connection_forget(conn)
            if conn.status == Status.CONNECTED:
                conn.status = Status.NOT_CONNECTED
                conn.status_reason = (
                    f"Your synced calendar data was deleted on {_today_label()}. Connect again to resume syncing."
                )
                conn.disconnected_at = timezone.now()
            conn.save()
    # Events owned by the user on a connection that is not theirs cannot happen today; catch them anyway.
    stray = CalendarEvent.objects.filter(owner=user)
    if workspace is not None:
        stray = stray.filter(workspace=workspace)
    if stray.exists():
        counts_add(counts, events_delete(stray))
    return counts


# --- Support: disable / re-enable ---------------------------------------------------------------


def connection_disable(*, connection: CalendarConnection, by: User, reason: str) -> CalendarConnection:
    """Ruby support stops a connection (product doc §10). Tokens are kept so Re-enable can resume."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise PrivacyError("A reason is required to disable a connection.")
    subscription_error = subscription_delete_best_effort(connection=connection)
    with transaction.atomic():
        conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        conn.status = Status.DISABLED
        conn.status_reason = f"Disabled by Ruby support: {reason.rstrip('.')}. Contact {settings.SUPPORT_EMAIL}."
        conn.delta_link = ""
        subscription_fields_clear(conn)
        if subscription_error:
            conn.last_error = subscription_error
        conn.save()
        audit_record(
            action=AuditEntry.Action.DISABLE,
            actor=by,
            actor_label="support",
            workspace=conn.workspace,
            obj=conn,
            reason=reason,
        )
    connection.refresh_from_db()
    return connection


def connection_reenable(*, connection: CalendarConnection, by: User) -> bool:
    """Undo a support disable. Returns False (and changes nothing) when the connection is not disabled."""
    with transaction.atomic():
        conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        if conn.status != Status.DISABLED:
            return False
        if conn.token_cache:
            conn.status = Status.CONNECTED
            conn.status_reason = ""
        else:
            conn.status = Status.NOT_CONNECTED
            label = "Outlook Calendar" if conn.provider == CalendarConnection.Provider.MICROSOFT else "Exchange"
            conn.status_reason = f"Re-enabled by Ruby support. Connect {label} again to resume syncing."
        conn.save()
        audit_record(
            action=AuditEntry.Action.REENABLE,
            actor=by,
            actor_label="support",
            workspace=conn.workspace,
            obj=conn,
            reason=f"Now {conn.get_status_display().lower()}.",
        )
    connection.refresh_from_db()
    return True


def connection_admin_change_record(*, connection: CalendarConnection, by: User, changed_fields: Iterable[str]) -> None:
    """An edit of a connection in the admin: which fields changed (names only, never values)."""
    fields = sorted(changed_fields)
    if not fields:
        return
    audit_record(
        action=AuditEntry.Action.ADMIN_CHANGE,
        actor=by,
        actor_label="support",
        workspace=connection.workspace,
        obj=connection,
        reason="Changed: " + ", ".join(fields),
    )


# --- Connected, and access lost --------------------------------------------------------------


def connection_mark_connected(
    *,
    connection: CalendarConnection,
    user: User,
    workspace: Workspace,
    tenant_id: str,
    object_id: str,
    email: str,
    token_cache: str,
    reason: str = "Outlook Calendar connected by the user.",
) -> CalendarConnection:
    """Store a completed sign-in on the (locked or new) connection and audit it. Call inside a transaction."""
    reconnect = connection.pk is not None and connection.connected_at is not None
    connection.tenant_id = tenant_id
    connection.object_id = object_id
    connection.email = email
    connection.token_cache = token_cache
    connection.status = CalendarConnection.Status.CONNECTED
    connection.status_reason = ""
    connection.last_error = ""
    connection.connected_at = timezone.now()
    connection.disconnected_at = None
    connection.save()
    audit_record(
        action=AuditEntry.Action.RECONNECT if reconnect else AuditEntry.Action.CONNECT,
        actor=user,
        workspace=workspace,
        obj=connection,
        reason=reason,
    )
    return connection


def _mark_not_connected(*, connection: CalendarConnection, reason: str, last_error: str) -> CalendarConnection:
    """Not connected with `reason` (shown on the card), the dead tokens dropped, one ACCESS_LOST audit entry.
    Only a connected connection changes, so calling it twice (or on a disabled one) changes nothing. The
    change-notification subscription goes too: removed at the provider while a cached access token may still
    work (best effort — without access it expires on its own), and forgotten here either way."""
    if connection.status == CalendarConnection.Status.CONNECTED:
        subscription_delete_best_effort(connection=connection)
    with transaction.atomic():
        # Deferred: the dead tokens are dropped unread (they may be what no key can decrypt any more).
        row = CalendarConnection.objects.select_for_update().defer("token_cache").get(pk=connection.pk)
        if row.status == CalendarConnection.Status.CONNECTED:
            row.status = CalendarConnection.Status.NOT_CONNECTED
            row.status_reason = reason
            row.last_error = last_error
            row.token_cache = ""
            subscription_fields_clear(row)
            row.save(
                update_fields=[
                    "status",
                    "status_reason",
                    "last_error",
                    "token_cache",
                    *SUBSCRIPTION_FIELDS,
                    "updated_at",
                ]
            )
            audit_record(action=AuditEntry.Action.ACCESS_LOST, workspace=row.workspace, obj=row, reason=last_error)
    for field in ("status", "status_reason", "last_error", "token_cache", *SUBSCRIPTION_FIELDS):
        setattr(connection, field, getattr(row, field))
    return connection


def connection_mark_access_lost(*, connection: CalendarConnection, microsoft_error: str) -> CalendarConnection:
    """Microsoft refused the stored refresh token: the card shows "Not connected" with the reason,
    the dead tokens are dropped, and Reconnect restores it. Safe to call twice."""
    return _mark_not_connected(
        connection=connection,
        reason=ACCESS_LOST_REASON,
        last_error=f"Microsoft refused the stored access ({microsoft_error[:60]}).",
    )


def connection_mark_refused(*, connection: CalendarConnection, reason: str) -> CalendarConnection:
    """The provider permanently refused access during a sync (e.g. a 403): not connected with `reason`, so the
    schedule stops retrying and the user sees what to do. Safe to call twice."""
    return _mark_not_connected(connection=connection, reason=reason, last_error=reason)
