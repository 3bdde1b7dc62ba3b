"""MSAL: the auth-code flow and access tokens (issue 3). With graph.py and the sandbox, the only
module that imports msal / requests.

Contract used elsewhere:
    get_access_token(connection, *, force_refresh: bool = False) -> str
        raises ReconnectRequired (permanent: invalid_grant / interaction_required; the connection
        is already marked not_connected with the reason) or TokenUnavailable (transient).

Nothing here ever logs, raises or returns a token inside an error message: exception messages are
written for the user and are safe to show and log.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import msal
import requests
from django.conf import settings
from django.db import transaction
from django.views.decorators.debug import sensitive_variables
from msal.exceptions import MsalServiceError

from calendar_sync import graph

log = logging.getLogger(__name__)

# Exactly what the product doc §4 lists. MSAL adds openid, profile and offline_access itself (and
# refuses them as input); "email" is not reserved, so the sign-in flow asks for it explicitly.
SCOPES = ["Calendars.Read", "User.Read"]
SIGN_IN_SCOPES = [*SCOPES, "email"]

# Refreshing that fails with these means only the user can fix it, by connecting again.
PERMANENT_ERRORS = {"invalid_grant", "interaction_required", "consent_required", "login_required"}
ADMIN_CONSENT_MARKERS = ("AADSTS65001", "AADSTS90094", "AADSTS90095", "consent_required")

ACCESS_LOST_REASON = (
    "Microsoft no longer accepts Ruby's access — this happens when access is revoked, your password changes "
    "or the stored access expires. Reconnect to restore."
)
# A still-valid access token is reused without a lock; one expiring sooner than this is refreshed.
REFRESH_MARGIN_SECONDS = 300


class ReconnectRequired(Exception):
    """Microsoft no longer accepts Ruby's stored access; the user must reconnect."""


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or answered badly; try again later."""


class AuthFlowError(Exception):
    """The connect flow failed. `kind` says which way; the message is plain words, safe to show."""

    TIMED_OUT = "timed_out"
    ACCESS_DENIED = "access_denied"
    ADMIN_CONSENT = "admin_consent"
    UNAVAILABLE = "unavailable"
    MALFORMED = "malformed"
    FAILED = "failed"

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


TIMED_OUT_MESSAGE = "The sign-in with Microsoft timed out or was already used — try connecting again."


@dataclass(frozen=True)
class AuthResult:
    """What a completed sign-in gives us. `token_cache` is the serialized MSAL cache (secret)."""

    tenant_id: str
    object_id: str
    id_token_email: str
    name: str
    access_token: str
    token_cache: str

    def __repr__(self) -> str:  # never show tokens in tracebacks or debug pages
        return f"AuthResult(tenant_id={self.tenant_id!r}, object_id={self.object_id!r})"


def authority() -> str:
    return f"{settings.MICROSOFT_LOGIN_URL}/{settings.MICROSOFT_TENANT}"


def admin_consent_url() -> str:
    query = urlencode({"client_id": settings.MICROSOFT_CLIENT_ID})
    return f"{settings.MICROSOFT_LOGIN_URL}/{settings.MICROSOFT_TENANT}/adminconsent?{query}"


def _http_client() -> requests.Session:
    session = graph.http_session()
    # MSAL applies no timeout to a client it is given; every identity call must have one.
    session.request = functools.partial(session.request, timeout=settings.MICROSOFT_HTTP_TIMEOUT)
    return session


def _app(cache: msal.SerializableTokenCache | None = None) -> msal.ConfidentialClientApplication:
    """A confidential client on the configured login host. Instance discovery is off everywhere:
    it only maps alias hosts for caches written under another host (we read and write under one),
    and on a national cloud or a test double it would call login.microsoftonline.com.
    Construction fetches the OpenID configuration, so it can raise TokenUnavailable."""
    try:
        return msal.ConfidentialClientApplication(
            settings.MICROSOFT_CLIENT_ID,
            client_credential=settings.MICROSOFT_CLIENT_SECRET,
            authority=authority(),
            http_client=_http_client(),
            instance_discovery=False,
            token_cache=cache,
        )
    except (requests.RequestException, MsalServiceError, RuntimeError) as exc:
        raise TokenUnavailable("Microsoft's sign-in service could not be reached; try again in a few minutes.") from exc
    except (ValueError, KeyError) as exc:
        raise TokenUnavailable("Microsoft's sign-in service sent an answer Ruby could not read; try later.") from exc


# --- the connect flow ---------------------------------------------------------------------


def start_auth_flow(*, redirect_uri: str, login_hint: str = "", scopes: list[str] | None = None) -> dict:
    """Begin the auth-code flow (state, PKCE S256 and nonce by MSAL). Returns MSAL's flow dict —
    keep it in the server session — with `browser_url`, where to send the user. In sandbox mode
    that is Ruby's own consent page (MSAL refuses a plain-http authority), else MSAL's auth_uri.
    `scopes` asks for other delegated scopes than the calendar connection's (incremental consent,
    e.g. the Teams transcripts grant); by default the calendar sign-in's, unchanged."""
    try:
        app = _app()
        # The answer comes back in the query, not form_post: a cross-site POST from Microsoft would
        # arrive without Ruby's SameSite=Lax session cookie, losing the flow. A code in the query is
        # useless without the PKCE verifier and the client secret, both held server-side.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
            flow = app.initiate_auth_code_flow(
                list(scopes) if scopes else SIGN_IN_SCOPES,
                redirect_uri=redirect_uri,
                login_hint=login_hint or None,
                prompt="select_account",
                response_mode="query",
            )
    except TokenUnavailable as exc:
        raise AuthFlowError(AuthFlowError.UNAVAILABLE, str(exc)) from exc
    browser_url = flow["auth_uri"]
    if settings.MICROSOFT_SANDBOX:
        from calendar_sync.sandbox.views import sandbox_authorize_path

        browser_url = f"{sandbox_authorize_path()}?{urlsplit(flow['auth_uri']).query}"
    return {**flow, "browser_url": browser_url}


def _error_from_microsoft(result: dict) -> AuthFlowError:
    error = str(result.get("error", ""))
    description = str(result.get("error_description", ""))
    if error == "access_denied" and not any(m in description for m in ADMIN_CONSENT_MARKERS):
        return AuthFlowError(
            AuthFlowError.ACCESS_DENIED,
            "You cancelled the Microsoft sign-in, so nothing was connected. "
            "Connect again when you are ready and choose Accept.",
        )
    if error == "consent_required" or any(m in description for m in ADMIN_CONSENT_MARKERS):
        return AuthFlowError(
            AuthFlowError.ADMIN_CONSENT,
            "Your organisation requires an administrator to approve Ruby before anyone can connect. "
            "A Microsoft 365 admin of your organisation must approve Ruby once with the link below; "
            "after that, connect again.",
        )
    if error == "temporarily_unavailable" or error == "server_error":
        return AuthFlowError(
            AuthFlowError.UNAVAILABLE, "Microsoft's sign-in service is unavailable right now; try again shortly."
        )
    code = description.split(":", 1)[0][:20] if description.startswith("AADSTS") else error[:40]
    return AuthFlowError(
        AuthFlowError.FAILED,
        f"Microsoft did not complete the sign-in ({code or 'no reason given'}). Try connecting again.",
    )


@sensitive_variables()
def complete_auth_flow(*, flow: dict | None, auth_response: dict) -> AuthResult:
    """Finish the flow with the query Microsoft redirected back with. Raises AuthFlowError."""
    if not flow or not isinstance(flow, dict) or not flow.get("state"):
        raise AuthFlowError(AuthFlowError.TIMED_OUT, TIMED_OUT_MESSAGE)
    if auth_response.get("state") != flow.get("state"):
        raise AuthFlowError(AuthFlowError.TIMED_OUT, TIMED_OUT_MESSAGE)
    if auth_response.get("error"):
        raise _error_from_microsoft(auth_response)
    if not auth_response.get("code"):
        raise AuthFlowError(AuthFlowError.MALFORMED, "Microsoft sent Ruby back without a sign-in code. Try again.")
    cache = msal.SerializableTokenCache()
    try:
        app = _app(cache)
        msal_flow = {k: v for k, v in flow.items() if k != "browser_url"}
        result = app.acquire_token_by_auth_code_flow(msal_flow, auth_response)
    except TokenUnavailable as exc:
        raise AuthFlowError(AuthFlowError.UNAVAILABLE, str(exc)) from exc
    except requests.Timeout as exc:
        raise AuthFlowError(
            AuthFlowError.UNAVAILABLE, "Microsoft took too long to answer. Nothing was stored; try connecting again."
        ) from exc
    except (requests.RequestException, MsalServiceError) as exc:
        raise AuthFlowError(
            AuthFlowError.UNAVAILABLE,
            "Microsoft's sign-in service is unavailable right now. Nothing was stored; try again in a few minutes.",
        ) from exc
    except RuntimeError as exc:  # nonce mismatch: a replayed or forged answer
        raise AuthFlowError(AuthFlowError.TIMED_OUT, TIMED_OUT_MESSAGE) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # MSAL raises ValueError for a state mismatch and for a token answer that is not JSON.
        if "state" in str(exc).lower():
            raise AuthFlowError(AuthFlowError.TIMED_OUT, TIMED_OUT_MESSAGE) from exc
        raise AuthFlowError(
            AuthFlowError.MALFORMED, "Microsoft sent an answer Ruby could not read. Nothing was stored; try again."
        ) from exc
    if not isinstance(result, dict):
        raise AuthFlowError(AuthFlowError.MALFORMED, "Microsoft sent an answer Ruby could not read. Try again.")
    if "error" in result:
        raise _error_from_microsoft(result)
    claims = result.get("id_token_claims") or {}
    tenant_id, object_id = str(claims.get("tid", "")), str(claims.get("oid", ""))
    if not (result.get("access_token") and tenant_id and object_id):
        raise AuthFlowError(
            AuthFlowError.MALFORMED, "Microsoft's answer did not say which account signed in. Nothing was stored."
        )
    return AuthResult(
        tenant_id=tenant_id,
        object_id=object_id,
        id_token_email=str(claims.get("email") or claims.get("preferred_username") or ""),
        name=str(claims.get("name", "")),
        access_token=result["access_token"],
        token_cache=cache.serialize(),
    )


# --- access tokens ------------------------------------------------------------------------


def _home_account_id(cache: msal.SerializableTokenCache, connection) -> str:
    """The cache's account for this connection's identity. MSAL keys it "<uid>.<utid>" from
    client_info, which is object id + tenant id for work and personal accounts alike; the
    object id is also the account's local id, which we accept as a fallback."""
    expected = f"{connection.object_id}.{connection.tenant_id}"
    for account in cache.search(msal.TokenCache.CredentialType.ACCOUNT, query={}):
        if account.get("home_account_id") == expected:
            return expected
    for account in cache.search(msal.TokenCache.CredentialType.ACCOUNT, query={}):
        if connection.object_id and account.get("local_account_id") == connection.object_id:
            return str(account.get("home_account_id", ""))
    return expected


@sensitive_variables()
def _cached_access_token(cache: msal.SerializableTokenCache, connection) -> str | None:
    """A cached access token still valid for a while — the common case, needing no lock and no call."""
    now = time.time()
    for entry in cache.search(
        msal.TokenCache.CredentialType.ACCESS_TOKEN,
        target=SCOPES,
        query={"client_id": settings.MICROSOFT_CLIENT_ID, "home_account_id": _home_account_id(cache, connection)},
    ):
        try:
            expires_on = int(entry.get("expires_on", 0))
            refresh_on = int(entry.get("refresh_on", expires_on))
        except (TypeError, ValueError):
            continue
        if expires_on - now > REFRESH_MARGIN_SECONDS and refresh_on > now:
            return entry["secret"]
    return None


def _mark_access_lost(connection, *, microsoft_error: str) -> None:
    from calendar_sync.services.connection import connection_mark_access_lost

    connection_mark_access_lost(connection=connection, microsoft_error=microsoft_error)


@sensitive_variables()
def get_access_token(connection, *, force_refresh: bool = False) -> str:
    """An access token for Graph. Uses the cached one while valid; otherwise refreshes under a row
    lock after re-reading the cache, so two workers refreshing at once do not overwrite the newest
    refresh token with an older one (the second finds the first's fresh token and makes no call)."""
    from calendar_sync.models import CalendarConnection

    if connection.status != CalendarConnection.Status.CONNECTED or not connection.token_cache:
        raise ReconnectRequired(connection.status_reason or "Outlook Calendar is not connected.")
    if not force_refresh:
        cache = msal.SerializableTokenCache()
        cache.deserialize(connection.token_cache)
        token = _cached_access_token(cache, connection)
        if token:
            return token

    cache = msal.SerializableTokenCache()
    app = _app(cache)  # network (OpenID configuration) before taking the lock
    error = ""
    with transaction.atomic():
        row = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
        if row.status != CalendarConnection.Status.CONNECTED or not row.token_cache:
            raise ReconnectRequired(row.status_reason or "Outlook Calendar is not connected.")
        cache.deserialize(row.token_cache)
        if not force_refresh:
            token = _cached_access_token(cache, row)
            if token:  # another worker refreshed while we waited for the lock
                connection.token_cache = row.token_cache
                return token
        home_account_id = _home_account_id(cache, row)
        accounts = [a for a in app.get_accounts() if a.get("home_account_id") == home_account_id]
        result = None
        if accounts:
            try:
                result = app.acquire_token_silent_with_error(SCOPES, accounts[0], force_refresh=force_refresh)
            except (requests.RequestException, MsalServiceError) as exc:
                raise TokenUnavailable("Microsoft's sign-in service could not be reached; try again later.") from exc
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise TokenUnavailable("Microsoft's sign-in service sent an answer Ruby could not read.") from exc
        if result and "access_token" in result:
            if cache.has_state_changed:
                row.token_cache = cache.serialize()
                row.save(update_fields=["token_cache", "updated_at"])
                connection.token_cache = row.token_cache
            return result["access_token"]
        if result is None:
            error = "no_refresh_token"  # nothing usable in the cache: only a new sign-in helps
        elif result.get("error") in PERMANENT_ERRORS:
            error = str(result["error"])
        else:
            log.warning("token refresh failed connection=%s error=%s", row.pk, str(result.get("error", "unknown"))[:60])
            raise TokenUnavailable("Microsoft's sign-in service did not issue a token; try again later.")
    _mark_access_lost(connection, microsoft_error=error)
    raise ReconnectRequired(ACCESS_LOST_REASON)


@dataclass(frozen=True)
class CachedToken:
    access_token: str
    token_cache: str | None  # the re-serialized cache when MSAL changed it (store it), else None

    def __repr__(self) -> str:
        return "CachedToken(…)"


@sensitive_variables()
def acquire_token_from_cache(*, token_cache: str, tenant_id: str, object_id: str, scopes: list[str]) -> CachedToken:
    """An access token for `scopes` from a stored cache that is not a calendar connection's (the Teams
    transcripts grant): the cached one while valid, else a silent refresh. The caller stores the returned
    cache (under its own row lock) when it changed. Raises ReconnectRequired (only a new consent helps)
    or TokenUnavailable (transient)."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(token_cache)
    app = _app(cache)
    home_account_id = f"{object_id}.{tenant_id}"
    accounts = [a for a in app.get_accounts() if a.get("home_account_id") == home_account_id]
    if not accounts:
        raise ReconnectRequired(ACCESS_LOST_REASON)
    try:
        result = app.acquire_token_silent_with_error(list(scopes), accounts[0])
    except (requests.RequestException, MsalServiceError) as exc:
        raise TokenUnavailable("Microsoft's sign-in service could not be reached; try again later.") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TokenUnavailable("Microsoft's sign-in service sent an answer Ruby could not read.") from exc
    if result and "access_token" in result:
        return CachedToken(result["access_token"], cache.serialize() if cache.has_state_changed else None)
    if result is None or result.get("error") in PERMANENT_ERRORS:
        raise ReconnectRequired(ACCESS_LOST_REASON)
    log.warning("token refresh failed (cache) error=%s", str(result.get("error", "unknown"))[:60])
    raise TokenUnavailable("Microsoft's sign-in service did not issue a token; try again later.")
