"""The Exchange on-premise calendar provider: the default calendar of a mailbox on the organisation's own Exchange
Server, through EWS with exchangelib (the only EWS client; issue 13).

Every call: an explicit endpoint, version and auth type when known (nothing is probed that need not be), a
timeout (EXCHANGE_HTTP_TIMEOUT on the protocol), exchangelib's FailFast policy (its FaultTolerance would retry a
401 as throttling for up to an hour) plus Ruby's own bounded retry of transient failures
(EXCHANGE_RETRY_ATTEMPTS), and the address checks of ews_guard before and during the requests. Errors become
EwsError (a ProviderError): `permanent` when only the user can fix it (wrong password, mailbox gone, URL refused),
else transient. The sentences for people are in describe(), none in the errors.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from exchangelib import BASIC, DELEGATE, NTLM, Account, Build, Configuration, Credentials, EWSDateTime, Version
from exchangelib import errors as ews_errors
from exchangelib.autodiscover import Autodiscovery
from exchangelib.ewsdatetime import UTC as EWS_UTC
from exchangelib.items import ACTIVE_DIRECTORY
from exchangelib.properties import Mailbox
from exchangelib.protocol import BaseProtocol, FailFast, Protocol
from exchangelib.version import EXCHANGE_2013

from calendar_sync.errors import ProviderError
from calendar_sync.models import CalendarConnection
from calendar_sync.normalize import MalformedEvent
from calendar_sync.providers import ews_guard
from calendar_sync.providers.base import ProviderPage
from calendar_sync.providers.ews_map import normalize_item

log = logging.getLogger(__name__)

BaseProtocol.HTTP_ADAPTER_CLS = ews_guard.GuardedAdapter
# exchangelib logs each request's headers at DEBUG, an Authorization: Basic header included: never below INFO.
logging.getLogger("exchangelib").setLevel(logging.INFO)

VERSIONS = {
    "detect": None,
    "2013": Build(15, 0, 847),  # Exchange 2013 SP1 and its CUs (the supported ones)
    "2016": Build(15, 1),
    "2019": Build(15, 2),
    # Subscription Edition keeps 2019's 15.2 builds and schema; exchangelib has no constant of its own for it.
    "se": Build(15, 2),
}
VERSION_CHOICES = [
    ("detect", "Detect"),
    ("2013", "Exchange 2013"),
    ("2016", "Exchange 2016"),
    ("2019", "Exchange 2019"),
    ("se", "Exchange Server Subscription Edition"),
]
AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC}
AUTH_CHOICES = [("ntlm", "NTLM (Windows authentication)"), ("basic", "Basic")]

# What Ruby stores and reads (product doc §8.2): no full body, only the text searched for a join link and
# cut to a preview. `type`, `uid` and the attendee lists are "complex": exchangelib then sends FindItem + GetItem.
FIELDS = (
    "subject",
    "start",
    "end",
    "is_all_day",
    "location",
    "organizer",
    "required_attendees",
    "optional_attendees",
    "resources",
    "sensitivity",
    "legacy_free_busy_status",
    "is_cancelled",
    "is_online_meeting",
    "uid",
    "text_body",
    "type",
)

# Kinds of EwsError (stable codes, worded by describe()).
UNAUTHORIZED = "unauthorized"
UNREACHABLE = "unreachable"
BUSY = "busy"
CERTIFICATE = "certificate"
NOT_EWS = "not_ews"
REDIRECTED = "redirected"
NO_MAILBOX = "no_mailbox"
ACCESS_DENIED = "access_denied"
VERSION = "version"
UNSAFE = "unsafe_address"
NOT_FOUND = "autodiscover_failed"
SERVER_ERROR = "server_error"
NO_CREDENTIALS = "no_credentials"

PERMANENT_KINDS = frozenset({UNAUTHORIZED, NO_MAILBOX, ACCESS_DENIED, VERSION, UNSAFE, REDIRECTED, NO_CREDENTIALS})
RETRIED_KINDS = frozenset({UNREACHABLE, BUSY})


class EwsError(ProviderError):
    def __init__(self, kind: str, **kwargs):
        super().__init__(kind, **kwargs)
        self.permanent = kind in PERMANENT_KINDS


_MESSAGES = {
    UNAUTHORIZED: "The Exchange server refused the username or password. Reconnect Exchange with the current password.",
    UNREACHABLE: "The Exchange server could not be reached; try again later.",
    BUSY: "The Exchange server is busy; try again later.",
    CERTIFICATE: "The Exchange server's certificate is not trusted, so Ruby did not send your password to it.",
    NOT_EWS: "That address answered, but not as an Exchange EWS endpoint (…/EWS/Exchange.asmx).",
    REDIRECTED: "The Exchange server redirected Ruby to another address; enter the EWS endpoint itself.",
    NO_MAILBOX: "The Exchange server has no mailbox for this email address.",
    ACCESS_DENIED: "The Exchange server did not let this account read the mailbox's calendar.",
    VERSION: "This Exchange version is not supported: Ruby works with Exchange 2013, 2016, 2019 and Subscription "
    "Edition. Choose the server's version, or Detect.",
    NOT_FOUND: "Ruby could not find your Exchange server automatically; enter the EWS server URL.",
    SERVER_ERROR: "The Exchange server answered with an error; try again later.",
    NO_CREDENTIALS: "The stored Exchange credentials are missing. Reconnect Exchange.",
}
_UNSAFE_MESSAGES = {
    ews_guard.NOT_HTTPS: "The Exchange server URL must start with https://.",
    ews_guard.NOT_EWS: "The Exchange server URL must be the EWS endpoint, ending in /EWS/Exchange.asmx.",
    ews_guard.BAD_URL: "The Exchange server URL is not a valid web address.",
    ews_guard.UNRESOLVABLE: "The Exchange server's name could not be found (DNS); check the URL.",
    ews_guard.PRIVATE: "The Exchange server URL points to a private or local network address, which Ruby does "
    "not connect to.",
}


# At connect time the user is typing the password right now: no "reconnect" advice.
_CONNECT_MESSAGES = {UNAUTHORIZED: "The Exchange server refused the username or password."}


def describe_error(error: ProviderError, *, connecting: bool = False) -> str:
    if connecting and isinstance(error, EwsError) and error.kind in _CONNECT_MESSAGES:
        return _CONNECT_MESSAGES[error.kind]
    if isinstance(error, EwsError) and error.kind == UNSAFE:
        return _UNSAFE_MESSAGES.get(error.code, _UNSAFE_MESSAGES[ews_guard.BAD_URL])
    return _MESSAGES.get(error.kind) or str(error)


def _classify(exc: Exception) -> EwsError:
    """exchangelib's exception -> EwsError (kind only; no server text reaches the user)."""
    detail = type(exc).__name__
    if isinstance(exc, ews_guard.UnsafeServerUrl):
        return EwsError(UNSAFE, code=exc.kind, detail=detail)
    if isinstance(exc, ews_errors.UnauthorizedError):
        return EwsError(UNAUTHORIZED, detail=detail)
    if isinstance(exc, ews_errors.CASError):
        return EwsError(SERVER_ERROR, detail=detail)
    if isinstance(exc, ews_errors.RedirectError):
        return EwsError(REDIRECTED, detail=detail)
    if isinstance(exc, (ews_errors.ErrorNonExistentMailbox, ews_errors.ErrorMailRecipientNotFound)):
        return EwsError(NO_MAILBOX, detail=detail)
    if isinstance(exc, (ews_errors.ErrorAccessDenied, ews_errors.ErrorFolderNotFound)):
        return EwsError(ACCESS_DENIED, detail=detail)
    version_errors = (
        ews_errors.ErrorInvalidServerVersion,
        ews_errors.ErrorInvalidSchemaVersionForMailboxVersion,
        ews_errors.ErrorIncorrectSchemaVersion,
    )
    if isinstance(exc, version_errors):
        return EwsError(VERSION, detail=detail)
    if isinstance(exc, ews_errors.ErrorTimeoutExpired) and "UnsafeServerUrl(" in str(exc):
        # The adapter refused a request (the address changed since the check): exchangelib re-raised it.
        reason = str(exc).split("UnsafeServerUrl(", 1)[1].split(" ", 1)[0].rstrip(")")
        return EwsError(UNSAFE, code=reason, detail=detail)
    if isinstance(exc, (ews_errors.ErrorTimeoutExpired, ews_errors.ErrorExceededConnectionCount)):
        return EwsError(UNREACHABLE, detail=detail)
    if isinstance(exc, (ews_errors.ErrorServerBusy, ews_errors.ErrorInternalServerTransientError)):
        return EwsError(BUSY, detail=detail)
    if isinstance(exc, ews_errors.RateLimitError):
        return EwsError(BUSY, detail=detail)
    if isinstance(exc, (ews_errors.MalformedResponseError, ews_errors.SOAPError)):
        return EwsError(NOT_EWS, detail=detail)
    if isinstance(exc, ews_errors.AutoDiscoverError):
        return EwsError(NOT_FOUND, detail=detail)
    text = str(exc)
    if isinstance(exc, ews_errors.TransportError) and ("SSL" in text or "CERTIFICATE" in text.upper()):
        return EwsError(CERTIFICATE, detail=detail)
    return EwsError(SERVER_ERROR, detail=detail)


def _attempt(operation: Callable, *, attempts: int | None = None):
    """Run `operation` with Ruby's bounded retry of transient failures. Raises EwsError with requests_made."""
    attempts = max(1, attempts or settings.EXCHANGE_RETRY_ATTEMPTS)
    first = ews_guard.requests_sent()
    for attempt in range(1, attempts + 1):
        try:
            result = operation()
        except EwsError as exc:
            error = exc
        except (ews_errors.EWSError, ews_guard.UnsafeServerUrl, ValueError) as exc:
            error = _classify(exc)
        else:
            return result, ews_guard.requests_sent() - first
        if error.kind not in RETRIED_KINDS or attempt == attempts:
            error.requests_made = ews_guard.requests_sent() - first
            raise error
        log.info("EWS %s (attempt %s of %s); retrying", error.kind, attempt, attempts)
        time.sleep(settings.EXCHANGE_RETRY_WAIT_SECONDS)


def _account(*, email: str, username: str, password: str, server_url: str, version: str, auth: str) -> Account:
    build = VERSIONS.get(version)
    config = Configuration(
        service_endpoint=server_url,
        credentials=Credentials(username=username, password=password),
        auth_type=AUTH_TYPES.get(auth, NTLM),
        version=Version(build=build) if build else None,
        retry_policy=FailFast(),
        max_connections=1,
    )
    account = Account(
        primary_smtp_address=email, config=config, autodiscover=False, access_type=DELEGATE, default_timezone=EWS_UTC
    )
    account.protocol.TIMEOUT = settings.EXCHANGE_HTTP_TIMEOUT
    return account


def _close(account: Account | None) -> None:
    """Drop the cached protocol (its sessions and the credentials it holds) after each use."""
    if account is None:
        return
    try:
        account.protocol.close()
        del Protocol[account.protocol.config]
    except (KeyError, AttributeError):
        pass


class MailboxFound(NamedTuple):
    build: str  # "15.1"
    primary_address: str | None  # the directory's primary SMTP address; None when the server would not say


def _primary_address(account: Account, email: str) -> str | None:
    """ResolveNames "smtp:<email>" in the directory: the primary SMTP address of the mailbox owning the address.

    The "smtp:" prefix makes Exchange match the address against every proxy address (aliases included), not only
    primary ones (Microsoft's "ResolveNames operation" page, Remarks). If the server refuses ResolveNames (an EWS
    policy, a permission, an error answer) or finds nothing, None: the connect falls back to the typed-address check
    and the mailbox opening, so a server that does not offer ResolveNames can still be connected.
    """
    try:
        found = account.protocol.resolve_names([f"smtp:{email}"], search_scope=ACTIVE_DIRECTORY)
    except (ews_errors.ResponseMessageError, ews_errors.SOAPError, ews_errors.MalformedResponseError) as exc:
        if _classify(exc).kind == UNSAFE:
            raise
        log.info("EWS ResolveNames not answered (%s); the email-match rule uses the typed address", type(exc).__name__)
        return None
    addresses = sorted(
        {
            m.email_address.strip()
            for m in found
            if isinstance(m, Mailbox) and m.email_address and (m.routing_type or "SMTP").upper() == "SMTP"
        },
        key=str.casefold,
    )
    if not addresses:
        return None
    # Partial matching may list several mailboxes: if one of them has the address as its primary, it owns it.
    for address in addresses:
        if address.casefold() == email.casefold():
            return address
    return addresses[0]


def mailbox_check(
    *, email: str, username: str, password: str, server_url: str, version: str, auth: str
) -> MailboxFound:
    """Sign in once, read the calendar folder and resolve the mailbox's primary SMTP address. Raises EwsError."""
    url = _checked(server_url)
    account = None

    def read() -> MailboxFound:
        nonlocal account
        account = _account(
            email=email, username=username, password=password, server_url=url, version=version, auth=auth
        )
        account.calendar  # noqa: B018 - GetFolder root + calendar: signs in and proves the calendar is readable
        build = account.version.build
        if build < EXCHANGE_2013:
            raise EwsError(VERSION, detail=str(build))
        return MailboxFound(f"{build.major_version}.{build.minor_version}", _primary_address(account, email))

    try:
        found, _ = _attempt(read)
    finally:
        _close(account)
    return found


def discover_server_url(*, email: str, username: str, password: str) -> str:
    """Autodiscover ("Find it for me"): the EWS URL for the mailbox, checked like a typed one. Raises EwsError."""

    def discover() -> str:
        _, protocol = Autodiscovery(
            email=email, credentials=Credentials(username=username, password=password)
        ).discover()
        return protocol.service_endpoint

    found, _ = _attempt(discover, attempts=1)
    return _checked(found)


def _checked(url: str) -> str:
    try:
        return ews_guard.check_server_url(url)
    except ews_guard.UnsafeServerUrl as exc:
        raise EwsError(UNSAFE, code=exc.kind) from exc


def credentials_dump(*, username: str, password: str) -> str:
    return json.dumps({"username": username, "password": password})


def _credentials(connection: CalendarConnection) -> tuple[str, str]:
    try:
        data = json.loads(connection.token_cache or "")
        return data["username"], data["password"]
    except (ValueError, KeyError, TypeError):
        raise EwsError(NO_CREDENTIALS)


class EwsProvider:
    def fetch_window(self, connection: CalendarConnection, *, start: datetime, end: datetime) -> Iterator[ProviderPage]:
        username, password = _credentials(connection)
        url = _checked(connection.server_url)  # DNS may have changed since the connect
        account = None

        def read() -> list:
            nonlocal account
            account = _account(
                email=connection.email,
                username=username,
                password=password,
                server_url=url,
                version=connection.server_version,
                auth=connection.server_auth,
            )
            view = account.calendar.view(start=EWSDateTime.from_datetime(start), end=EWSDateTime.from_datetime(end))
            return list(view.only(*FIELDS))

        try:
            items, requests_made = _attempt(read)
        finally:
            _close(account)
        page = ProviderPage(requests_made=requests_made)
        for item in items:
            try:
                page.events.append(normalize_item(item))
            except MalformedEvent as exc:
                page.malformed.append(exc)
        yield page

    def describe(self, error: ProviderError) -> str:
        return describe_error(error)
