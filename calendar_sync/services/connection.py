"""calendar_sync services: connecting Outlook Calendar (issue 3).

The identity is Microsoft's tenant id + object id (design.md §5); the email match is a safety check
on top of it (product doc §3.1, §14.4), never a replacement.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from django_q import tasks as q_tasks

from calendar_sync import auth, graph
from calendar_sync.auth import AuthFlowError
from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.selectors.connection import connection_for, live_connection_other_than
from calendar_sync.services.lifecycle import connection_mark_connected
from calendar_sync.services.subscriptions import push_enabled_for
from calendar_sync.services.sync import SyncNotPossible, sync_request
from ruby_site.errors import UserFacingError
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

OBJECT_TYPE = "calendar_sync.CalendarConnection"

TIMED_OUT_MESSAGE = "The sign-in with Microsoft timed out or was already used — try connecting again."
# What the user reads for each way the sign-in can fail: (AuthFlowError.kind, reason) -> sentence.
_FLOW_MESSAGES = {
    (AuthFlowError.TIMED_OUT, AuthFlowError.TIMED_OUT): TIMED_OUT_MESSAGE,
    (AuthFlowError.ACCESS_DENIED, AuthFlowError.ACCESS_DENIED): (
        "You cancelled the Microsoft sign-in, so nothing was connected. "
        "Connect again when you are ready and choose Accept."
    ),
    (AuthFlowError.ADMIN_CONSENT, AuthFlowError.ADMIN_CONSENT): (
        "Your organisation requires an administrator to approve Ruby before anyone can connect. "
        "A Microsoft 365 admin of your organisation must approve Ruby once with the link below; "
        "after that, connect again."
    ),
    (AuthFlowError.ADMIN_CONSENT, "consent_missing"): (
        "Nobody has agreed yet to let Ruby read calendars in your organisation, and your organisation does not let "
        "you agree on your own. A Microsoft 365 admin of your organisation must approve Ruby once with the link "
        "below; after that, connect again."
    ),
    (AuthFlowError.WRONG_TENANT, AuthFlowError.WRONG_TENANT): (
        "The Microsoft account you signed in with belongs to another organisation than the one Ruby is set up for, "
        "and it is not a guest there. Sign in with your own work account, or ask your admin to add you."
    ),
    (AuthFlowError.UNKNOWN_APP, AuthFlowError.UNKNOWN_APP): (
        "Microsoft does not know Ruby's app in your organisation (it may not be installed there, or Ruby is set up "
        "with the wrong app id or tenant). Ask your Ruby administrator to check the Microsoft app settings."
    ),
    (AuthFlowError.REDIRECT_MISMATCH, AuthFlowError.REDIRECT_MISMATCH): (
        "Ruby's sign-in return address is not registered with its Microsoft app, so Microsoft refused to send you "
        "back. Your Ruby administrator must add this server's callback address to the app's redirect URIs."
    ),
    (AuthFlowError.UNAVAILABLE, "microsoft_unavailable"): (
        "Microsoft's sign-in service is unavailable right now; try again shortly."
    ),
    (AuthFlowError.UNAVAILABLE, "login_unreachable"): (
        "Microsoft's sign-in service could not be reached; try again in a few minutes."
    ),
    (AuthFlowError.UNAVAILABLE, "login_unreadable"): (
        "Microsoft's sign-in service sent an answer Ruby could not read; try later."
    ),
    (AuthFlowError.UNAVAILABLE, "timeout"): (
        "Microsoft took too long to answer. Nothing was stored; try connecting again."
    ),
    (AuthFlowError.UNAVAILABLE, "unreachable"): (
        "Microsoft's sign-in service is unavailable right now. Nothing was stored; try again in a few minutes."
    ),
    (AuthFlowError.UNAVAILABLE, "graph_unavailable"): (
        "Microsoft Graph did not answer when Ruby checked your account. Nothing was stored; try again shortly."
    ),
    (AuthFlowError.MALFORMED, "no_code"): "Microsoft sent Ruby back without a sign-in code. Try again.",
    (AuthFlowError.MALFORMED, "unreadable"): (
        "Microsoft sent an answer Ruby could not read. Nothing was stored; try again."
    ),
    (AuthFlowError.MALFORMED, "not_a_dict"): "Microsoft sent an answer Ruby could not read. Try again.",
    (AuthFlowError.MALFORMED, "no_identity"): (
        "Microsoft's answer did not say which account signed in. Nothing was stored."
    ),
    (AuthFlowError.FAILED, "no_email"): (
        "Microsoft did not let Ruby read your account's email address. Nothing was stored; try again."
    ),
}


class ConnectRefused(UserFacingError):
    """The sign-in worked but Ruby will not link this Microsoft account."""

    code = "refused"

    def __init__(self, message: str, *, microsoft_email: str = ""):
        super().__init__(message)
        self.microsoft_email = microsoft_email


class ConnectFailed(UserFacingError):
    """The sign-in did not complete. `code` is the AuthFlowError kind (the page shows e.g. the admin-consent link);
    `microsoft_code` Microsoft's own code (e.g. AADSTS50011), shown for the admin."""

    def __init__(self, message: str, *, code: str | None = None, microsoft_code: str = ""):
        super().__init__(message, code=code)
        self.microsoft_code = microsoft_code


def sign_in_failure(exc: AuthFlowError) -> ConnectFailed:
    """The user's words for a sign-in that did not complete (also used by the Teams transcripts grant)."""
    message = _FLOW_MESSAGES.get((exc.kind, exc.reason)) or (
        f"Microsoft did not complete the sign-in ({exc.code or 'no reason given'}). Try again or contact your admin."
    )
    return ConnectFailed(message, code=exc.kind, microsoft_code=exc.code)


def _disabled_message() -> str:
    return (
        "Outlook Calendar was disabled for your account by Ruby support, so it cannot be connected from here. "
        f"Contact {settings.SUPPORT_EMAIL} to turn it back on."
    )


def one_calendar_message(other: CalendarConnection) -> str:
    """Why a second calendar cannot be connected while another one is live (connected or disabled)."""
    if other.status == CalendarConnection.Status.DISABLED:
        return (
            f"Your {other.get_provider_display()} connection was disabled by Ruby support, so no other calendar "
            f"can be connected. Contact {settings.SUPPORT_EMAIL}."
        )
    return (
        f"Ruby syncs one calendar per person, and your {other.get_provider_display()} calendar is connected. "
        "Disconnect it first, then connect this one."
    )


def connection_begin(*, user: User, redirect_uri: str) -> dict:
    """Start the Microsoft sign-in. Returns MSAL's flow (to keep in the session) with `browser_url`: MSAL's
    auth_uri, or in sandbox mode Ruby's own consent page (MSAL refuses a plain-http authority).
    Raises ConnectRefused or ConnectFailed."""
    existing = connection_for(user, CalendarConnection.Provider.MICROSOFT)
    if existing is not None and existing.status == CalendarConnection.Status.DISABLED:
        raise ConnectRefused(_disabled_message())
    other = live_connection_other_than(user, CalendarConnection.Provider.MICROSOFT)
    if other is not None:  # one calendar per person (selectors/connection.py)
        raise ConnectRefused(one_calendar_message(other))
    return sign_in_flow(redirect_uri=redirect_uri, login_hint=user.email)


def sign_in_flow(*, redirect_uri: str, login_hint: str, scopes: list[str] | None = None) -> dict:
    """MSAL's flow for a Microsoft sign-in (the calendar's scopes unless `scopes`), with `browser_url`: MSAL's
    auth_uri, or in sandbox mode Ruby's own consent page. Raises ConnectFailed."""
    try:
        flow = auth.start_auth_flow(redirect_uri=redirect_uri, login_hint=login_hint, scopes=scopes)
    except AuthFlowError as exc:
        raise sign_in_failure(exc) from exc
    browser_url = flow["auth_uri"]
    if settings.MICROSOFT_SANDBOX:
        browser_url = f"{reverse('sandbox_authorize')}?{urlsplit(flow['auth_uri']).query}"
    return {**flow, "browser_url": browser_url}


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
    token cache. Raises ConnectFailed (sign-in failed) or ConnectRefused (nothing stored)."""
    if isinstance(flow, dict):
        flow = {k: v for k, v in flow.items() if k != "browser_url"}
    try:
        result = auth.complete_auth_flow(flow=flow, auth_response=auth_response)
    except AuthFlowError as exc:
        raise sign_in_failure(exc) from exc
    try:
        me = graph.get_me(result.access_token)
    except graph.GraphTransientError as exc:
        raise sign_in_failure(AuthFlowError(AuthFlowError.UNAVAILABLE, reason="graph_unavailable")) from exc
    except graph.GraphError as exc:
        raise sign_in_failure(AuthFlowError(AuthFlowError.FAILED, reason="no_email")) from exc
    microsoft_email = _microsoft_email(me, result)
    existing = connection_for(user, CalendarConnection.Provider.MICROSOFT)

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
            if connection is None:
                connection = CalendarConnection(user=user, workspace=workspace)
            connection_mark_connected(
                connection=connection,
                user=user,
                workspace=workspace,
                tenant_id=result.tenant_id,
                object_id=result.object_id,
                email=microsoft_email,
                token_cache=result.token_cache,
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
    _after_connect(connection)
    return connection


def _after_connect(connection: CalendarConnection) -> None:
    """A completed Connect or reconnect: live updates are set up (when PUBLIC_BASE_URL is on) and the first sync
    is queued at once — the card shows its progress line as for Sync now."""
    if push_enabled_for(connection):
        transaction.on_commit(
            lambda: q_tasks.async_task(
                "calendar_sync.tasks.subscription_ensure_task", connection.pk, task_name=f"push-ensure-{connection.pk}"
            )
        )
    try:
        sync_request(connection=connection, trigger=SyncRun.Trigger.CONNECT)
    except SyncNotPossible:  # one is already queued or running: it reads the week with the new access
        pass
