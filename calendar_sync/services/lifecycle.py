"""Connection lifecycle: every status write of a calendar connection happens in this module.

Here: connected (a completed sign-in) and not connected because the provider refused Ruby's access (a refused
refresh token, or a permanent refusal during a sync).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from calendar_sync.models import CalendarConnection
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

NOT_CONNECTED = "Outlook Calendar is not connected."
ACCESS_LOST_REASON = (
    "Microsoft no longer accepts Ruby's access — this happens when access is revoked, your password changes "
    "or the stored access expires. Reconnect to restore."
)


def connection_mark_connected(
    *,
    connection: CalendarConnection,
    user: User,
    workspace: Workspace,
    tenant_id: str,
    object_id: str,
    email: str,
    token_cache: str,
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
        reason="Outlook Calendar connected by the user.",
    )
    return connection


def _mark_not_connected(*, connection: CalendarConnection, reason: str, last_error: str) -> CalendarConnection:
    """Not connected with `reason` (shown on the card), the dead tokens dropped, one ACCESS_LOST audit entry.
    Only a connected connection changes, so calling it twice (or on a disabled one) changes nothing."""
    with transaction.atomic():
        row = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        if row.status == CalendarConnection.Status.CONNECTED:
            row.status = CalendarConnection.Status.NOT_CONNECTED
            row.status_reason = reason
            row.last_error = last_error
            row.token_cache = ""
            row.save(update_fields=["status", "status_reason", "last_error", "token_cache", "updated_at"])
            audit_record(action=AuditEntry.Action.ACCESS_LOST, workspace=row.workspace, obj=row, reason=last_error)
    for field in ("status", "status_reason", "last_error", "token_cache"):
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
