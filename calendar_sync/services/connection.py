"""calendar_sync services: connecting Outlook Calendar (issue 3).

The identity is Microsoft's tenant id + object id (design.md §5); the email match is a safety check
on top of it (product doc §3.1, §14.4), never a replacement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from calendar_sync import auth, graph
from calendar_sync.auth import AuthFlowError
from calendar_sync.models import CalendarConnection
from calendar_sync.selectors.connection import connection_for
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

OBJECT_TYPE = "calendar_sync.CalendarConnection"


class ConnectRefused(Exception):
    """The sign-in worked but Ruby will not link this Microsoft account. The message is for the user."""

    def __init__(self, message: str, *, microsoft_email: str = ""):
        super().__init__(message)
        self.microsoft_email = microsoft_email


def _disabled_message() -> str:
    return (
        "Outlook Calendar was disabled for your account by Ruby support, so it cannot be connected from here. "
        f"Contact {settings.SUPPORT_EMAIL} to turn it back on."
    )


def connection_begin(*, user: User, redirect_uri: str) -> dict:
    """Start the Microsoft sign-in. Returns MSAL's flow (to keep in the session) with `browser_url`."""
    existing = connection_for(user)
    if existing is not None and existing.status == CalendarConnection.Status.DISABLED:
        raise ConnectRefused(_disabled_message())
    return auth.start_auth_flow(redirect_uri=redirect_uri, login_hint=user.email)


def _refuse(
    *,
    user: User,
    workspace: Workspace,
    connection: CalendarConnection | None,
    reason: str,
    message: str,
    microsoft_email: str,
) -> ConnectRefused:
    audit_record(
        action=AuditEntry.Action.CONNECT_REFUSED,
        actor=user,
        workspace=workspace,
        obj=connection,
        object_type=OBJECT_TYPE,
        reason=reason,
    )
    return ConnectRefused(message, microsoft_email=microsoft_email)


def _microsoft_email(me: dict, result: auth.AuthResult) -> str:
    # Graph's `mail` is empty on many personal accounts; the sign-in name then is the address.
    return (me.get("mail") or me.get("userPrincipalName") or result.id_token_email or "").strip()


@sensitive_variables()
def connection_complete(
    *, user: User, workspace: Workspace, flow: dict | None, auth_response: dict
) -> CalendarConnection:
    """Finish the sign-in: exchange the code, read the identity, apply the checks, store the encrypted
    token cache. Raises AuthFlowError (sign-in failed) or ConnectRefused (nothing stored)."""
    result = auth.complete_auth_flow(flow=flow, auth_response=auth_response)
    try:
        me = graph.get_me(result.access_token)
    except graph.GraphTransientError as exc:
        raise AuthFlowError(
            AuthFlowError.UNAVAILABLE,
            "Microsoft Graph did not answer when Ruby checked your account. Nothing was stored; try again shortly.",
        ) from exc
    except graph.GraphError as exc:
        raise AuthFlowError(
            AuthFlowError.FAILED,
            "Microsoft did not let Ruby read your account's email address. Nothing was stored; try again.",
        ) from exc
    microsoft_email = _microsoft_email(me, result)
    existing = connection_for(user)

    if existing is not None and existing.status == CalendarConnection.Status.DISABLED:
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="Connection is disabled by support.",
            message=_disabled_message(),
            microsoft_email=microsoft_email,
        )
    if not microsoft_email or microsoft_email.casefold() != user.email.strip().casefold():
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="The Microsoft account's email does not match the Ruby account's email.",
            message=(
                f"The Microsoft account you signed in with ({microsoft_email or 'no email address'}) uses a different "
                f"email than your Ruby account ({user.email}). Ruby only connects a Microsoft account with the same "
                "email address — try again with the correct account."
            ),
            microsoft_email=microsoft_email,
        )
    if (
        existing is not None
        and existing.object_id
        and (existing.tenant_id, existing.object_id)
        != (
            result.tenant_id,
            result.object_id,
        )
    ):
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="A different Microsoft identity than the one this connection is bound to.",
            message=(
                f"You signed in with a different Microsoft account ({microsoft_email}) than the one your Outlook "
                "Calendar connection belongs to, even though the email address matches. Ruby rejects connections "
                "from a different Microsoft account — try again with the correct account."
            ),
            microsoft_email=microsoft_email,
        )
    linked_elsewhere_message = (
        f"The Microsoft account you signed in with ({microsoft_email}) is already connected to another Ruby "
        "account. Ruby rejects connections from a different Microsoft account — try again with the correct account."
    )
    if (
        CalendarConnection.objects.filter(
            provider=CalendarConnection.Provider.MICROSOFT, tenant_id=result.tenant_id, object_id=result.object_id
        )
        .exclude(user=user)
        .exists()
    ):
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="This Microsoft identity is already linked to another Ruby user.",
            message=linked_elsewhere_message,
            microsoft_email=microsoft_email,
        )

    try:
        with transaction.atomic():
            connection = (
                CalendarConnection.objects.select_for_update()
                .filter(user=user, provider=CalendarConnection.Provider.MICROSOFT)
                .first()
            )
            reconnect = connection is not None and connection.connected_at is not None
            if connection is None:
                connection = CalendarConnection(user=user, workspace=workspace)
            connection.tenant_id = result.tenant_id
            connection.object_id = result.object_id
            connection.email = microsoft_email
            connection.token_cache = result.token_cache
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
    except IntegrityError:
        # Two users finishing with the same Microsoft identity at the same moment: the unique
        # constraint on provider + tenant id + object id lets only one win.
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="This Microsoft identity is already linked to another Ruby user.",
            message=linked_elsewhere_message,
            microsoft_email=microsoft_email,
        )
    return connection


def connection_mark_access_lost(*, connection: CalendarConnection, microsoft_error: str) -> CalendarConnection:
    """Microsoft refused the stored refresh token: the card shows "Not connected" with the reason,
    the dead tokens are dropped, and Reconnect restores it. Safe to call twice."""
    with transaction.atomic():
        row = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        if row.status != CalendarConnection.Status.CONNECTED:
            changed = False
        else:
            row.status = CalendarConnection.Status.NOT_CONNECTED
            row.status_reason = auth.ACCESS_LOST_REASON
            row.last_error = f"Microsoft refused the stored access ({microsoft_error[:60]})."
            row.token_cache = ""
            row.save(update_fields=["status", "status_reason", "last_error", "token_cache", "updated_at"])
            changed = True
        if changed:
            audit_record(
                action=AuditEntry.Action.ACCESS_LOST,
                workspace=row.workspace,
                obj=row,
                reason=f"Microsoft refused the stored access ({microsoft_error[:60]}).",
            )
    for field in ("status", "status_reason", "last_error", "token_cache"):
        setattr(connection, field, getattr(row, field))
    return connection
