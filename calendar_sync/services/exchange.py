"""calendar_sync services: connecting an Exchange on-premise calendar (EWS, issue 13).

Before anything is stored Ruby checks the input, the server URL (https, the EWS path, a public address) and signs
in once, reading the calendar folder. Success stores the connection with the username and password encrypted in
token_cache (never shown again, never logged); any failure stores nothing and raises ExchangeConnectRefused with
one plain sentence. The mailbox must be the Ruby account's own address (the email-match rule: the typed address,
and the primary SMTP address the server resolves it to when it answers ResolveNames); one calendar per person:
a live Outlook connection must be disconnected first.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from calendar_sync.models import CalendarConnection
from calendar_sync.providers import ews
from calendar_sync.selectors.connection import connection_for, live_connection_other_than
from calendar_sync.services.connection import OBJECT_TYPE, one_calendar_message
from calendar_sync.services.lifecycle import connection_mark_connected
from ruby_site.errors import UserFacingError
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

log = logging.getLogger(__name__)

EXCHANGE = CalendarConnection.Provider.EXCHANGE
# The build the sign-in found -> the version key stored, so later syncs need not probe again.
_FOUND_VERSIONS = {"15.0": "2013", "15.1": "2016", "15.2": "2019"}


class ExchangeConnectRefused(UserFacingError):
    code = "exchange_connect_refused"


def _refuse(*, user: User, workspace: Workspace, connection, message: str, reason: str) -> ExchangeConnectRefused:
    audit_record(
        action=AuditEntry.Action.CONNECT_REFUSED,
        actor=user,
        workspace=workspace,
        obj=connection,
        object_type=OBJECT_TYPE,
        reason=reason,
    )
    return ExchangeConnectRefused(message)


def _disabled_message() -> str:
    return (
        "Exchange was disabled for your account by Ruby support, so it cannot be connected from here. "
        f"Contact {settings.SUPPORT_EMAIL} to turn it back on."
    )


@sensitive_variables("password")
def exchange_connect(
    *,
    user: User,
    workspace: Workspace,
    email: str,
    username: str,
    password: str,
    server_url: str,
    find_server: bool,
    version: str,
    auth: str,
) -> CalendarConnection:
    """Sign in to the Exchange server and, only if that works, store the connection. Raises ExchangeConnectRefused."""
    email, username = email.strip(), username.strip()
    existing = connection_for(user, EXCHANGE)
    if existing is not None and existing.status == CalendarConnection.Status.DISABLED:
        raise ExchangeConnectRefused(_disabled_message())
    other = live_connection_other_than(user, EXCHANGE)
    if other is not None:
        raise ExchangeConnectRefused(one_calendar_message(other))
    if email.casefold() != user.email.strip().casefold():
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="The Exchange mailbox's email does not match the Ruby account's email.",
            message=(
                f"The mailbox {email} is not your Ruby account's address ({user.email}); Ruby only connects your own "
                "mailbox."
            ),
        )
    if not password:
        raise ExchangeConnectRefused("Enter the password of your Exchange account.")
    if version not in ews.VERSIONS or auth not in ews.AUTH_TYPES:
        raise ExchangeConnectRefused("Choose the Exchange version and the authentication type from the lists.")
    try:
        if find_server:
            server_url = ews.discover_server_url(email=email, username=username, password=password)
        found = ews.mailbox_check(
            email=email, username=username, password=password, server_url=server_url, version=version, auth=auth
        )
        server_url = ews.ews_guard.check_url_shape(server_url)
    except ews.EwsError as exc:
        log.info("exchange connect refused for user=%s: %s (%s)", user.pk, exc.kind, exc.detail)
        raise ExchangeConnectRefused(ews.describe_error(exc, connecting=True)) from exc
    # The email-match rule on the server's own word: the typed address may be an alias of another mailbox. When
    # the server does not answer ResolveNames (primary_address None) the typed-address check above is the rule.
    primary = found.primary_address
    if primary is not None and primary.casefold() != user.email.strip().casefold():
        raise _refuse(
            user=user,
            workspace=workspace,
            connection=existing,
            reason="The Exchange mailbox's primary SMTP address does not match the Ruby account's email.",
            message=(
                f"The mailbox {email} belongs to {primary}, which is not your Ruby account's address "
                f"({user.email}); Ruby only connects your own mailbox."
            ),
        )

    with transaction.atomic():
        connection = CalendarConnection.objects.select_for_update().filter(
            user=user, provider=EXCHANGE
        ).first() or CalendarConnection(user=user, workspace=workspace, provider=EXCHANGE)
        connection.workspace = workspace
        connection.server_url = server_url
        connection.server_version = version if version != "detect" else _FOUND_VERSIONS.get(found.build, "detect")
        connection.server_auth = auth
        connection_mark_connected(
            connection=connection,
            user=user,
            workspace=workspace,
            tenant_id="",
            object_id="",
            email=email,
            token_cache=ews.credentials_dump(username=username, password=password),
            reason="Exchange (on-premise) connected by the user.",
        )
    return connection
