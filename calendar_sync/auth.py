"""MSAL: the auth-code flow and access tokens (issue 3). With graph.py and the sandbox, the only
module that imports msal / requests.

A pure client: it takes and returns MSAL token caches and raises typed errors (calendar_sync.errors); it never
reads or writes a connection, takes no lock and words nothing for people (design.md §7.12) — the row lock, the
cache write-back and "access lost" live in services/tokens.py, the wording in the services.

Nothing here ever logs, raises or returns a token inside an error.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import warnings
from dataclasses import dataclass
from urllib.parse import urlencode

import msal
import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from msal.exceptions import MsalServiceError

from calendar_sync import graph
from calendar_sync.errors import ProviderError
from calendar_sync.tenants import PERSONAL_TENANT_ID  # noqa: F401 - part of this client's contract

log = logging.getLogger(__name__)

# Exactly what the product doc §4 lists. MSAL adds openid, profile and offline_access itself (and
# refuses them as input); "email" is not reserved, so the sign-in flow asks for it explicitly.
SCOPES = ["Calendars.Read", "User.Read"]
SIGN_IN_SCOPES = [*SCOPES, "email"]

# Refreshing that fails with these means only the user can fix it, by connecting again.
PERMANENT_ERRORS = {"invalid_grant", "interaction_required", "consent_required", "login_required"}
# The authority aliases that are not one tenant. Admin consent needs `organizations` or a tenant: "Do not use
# 'common', as personal accounts cannot provide admin consent" (entra-docs v2-admin-consent.md).
_MULTI_TENANT = {"common", "organizations", "consumers"}
# An AADSTS code where Microsoft puts it: `error_codes` (token endpoint) or the start of error_description (the
# authorize redirect has no error_codes). Only the code is read, never the text (reference-error-codes.md:
# "Never use this field to react to an error in your code").
_AADSTS_PREFIX = re.compile(r"\AAADSTS(\d{4,7}):")

# A still-valid access token is reused without a lock; one expiring sooner than this is refreshed.
REFRESH_MARGIN_SECONDS = 300


class TokenRefused(ProviderError):
    """Microsoft refused the stored refresh token (`kind` is its error, e.g. invalid_grant, or
    no_refresh_token when the cache holds nothing usable): only a new sign-in helps."""

    permanent = True


class TokenUnavailable(ProviderError):
    """The token endpoint could not be reached or answered badly; try again later.
    Kinds: unreachable / unreadable (the login host), refresh_unreachable / refresh_unreadable / not_issued."""


class AuthFlowError(ProviderError):
    """The connect flow failed. `kind` says which way (the view shows the matching page); `reason` says exactly
    what happened, so the service can pick its sentence; `code` is Microsoft's error code when it sent one."""

    TIMED_OUT = "timed_out"
    ACCESS_DENIED = "access_denied"
    ADMIN_CONSENT = "admin_consent"
    WRONG_TENANT = "wrong_tenant"
    UNKNOWN_APP = "unknown_app"
    REDIRECT_MISMATCH = "redirect_mismatch"
    UNAVAILABLE = "unavailable"
    MALFORMED = "malformed"
    FAILED = "failed"

    def __init__(self, kind: str, *, reason: str = "", code: str = ""):
        super().__init__(kind, code=code, detail=reason)
        self.reason = reason or kind


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


def admin_consent_tenant() -> str:
    """`organizations`, or the configured tenant when MICROSOFT_TENANT names one (a tenant id or domain)."""
    tenant = (settings.MICROSOFT_TENANT or "").strip()
    return "organizations" if not tenant or tenant.lower() in _MULTI_TENANT else tenant


def admin_consent_url(*, redirect_uri: str, state: str = "") -> str:
    """Microsoft's v2 admin-consent link: tenant, client_id, the scopes Ruby uses and a registered redirect_uri."""
    query = {
        "client_id": settings.MICROSOFT_CLIENT_ID,
        "scope": " ".join(f"{settings.MICROSOFT_GRAPH_URL}/{scope}" for scope in SCOPES),
        "redirect_uri": redirect_uri,
    }
    if state:
        query["state"] = state
    return f"{settings.MICROSOFT_LOGIN_URL}/{admin_consent_tenant()}/v2.0/adminconsent?{urlencode(query)}"


def aadsts_code(result: dict) -> str:
    """The AADSTS number of an error answer ("" when none), from error_codes or a strict prefix match."""
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and str(codes[0]).isdigit():
        return str(codes[0])
    match = _AADSTS_PREFIX.match(str(result.get("error_description", "")))
    return match.group(1) if match else ""


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
        raise TokenUnavailable("unreachable") from exc
    except (ValueError, KeyError) as exc:
        raise TokenUnavailable("unreadable") from exc


# --- the connect flow ---------------------------------------------------------------------


def start_auth_flow(*, redirect_uri: str, login_hint: str = "", scopes: list[str] | None = None) -> dict:
    """Begin the auth-code flow (state, PKCE S256 and nonce by MSAL). Returns MSAL's flow dict — keep it
    in the server session; its `auth_uri` is where to send the user. Raises AuthFlowError (unavailable).
    `scopes` asks for other delegated scopes than the calendar connection's (incremental consent, e.g. the
    Teams transcripts grant); by default the calendar sign-in's, unchanged."""
    try:
        app = _app()
        # The answer comes back in the query, not form_post: a cross-site POST from Microsoft would
        # arrive without Ruby's SameSite=Lax session cookie, losing the flow. A code in the query is
        # useless without the PKCE verifier and the client secret, both held server-side.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
            return app.initiate_auth_code_flow(
                list(scopes) if scopes else SIGN_IN_SCOPES,
                redirect_uri=redirect_uri,
                login_hint=login_hint or None,
                prompt="select_account",
                response_mode="query",
            )
    except TokenUnavailable as exc:
        raise AuthFlowError(AuthFlowError.UNAVAILABLE, reason=f"login_{exc.kind}") from exc


# The AADSTS codes the connect pages explain (issue 12); every other code keeps the generic page with the code.
_CODE_KINDS = {
    "65001": (AuthFlowError.ADMIN_CONSENT, "consent_missing"),
    "90094": (AuthFlowError.ADMIN_CONSENT, AuthFlowError.ADMIN_CONSENT),
    "90095": (AuthFlowError.ADMIN_CONSENT, AuthFlowError.ADMIN_CONSENT),
    "50020": (AuthFlowError.WRONG_TENANT, AuthFlowError.WRONG_TENANT),
    "700016": (AuthFlowError.UNKNOWN_APP, AuthFlowError.UNKNOWN_APP),
    "50011": (AuthFlowError.REDIRECT_MISMATCH, AuthFlowError.REDIRECT_MISMATCH),
}


def _error_from_microsoft(result: dict) -> AuthFlowError:
    """Classify by `error` (what Microsoft says to react to); the AADSTS number refines it only for the codes
    the issue names, and is otherwise shown as is."""
    error = str(result.get("error", ""))[:40]
    number = aadsts_code(result)
    code = f"AADSTS{number}" if number else error
    if number in _CODE_KINDS:
        kind, reason = _CODE_KINDS[number]
        return AuthFlowError(kind, reason=reason, code=code)
    if error == "access_denied":
        return AuthFlowError(AuthFlowError.ACCESS_DENIED, code=code)
    if error == "consent_required":
        return AuthFlowError(AuthFlowError.ADMIN_CONSENT, code=code)
    if error in ("temporarily_unavailable", "server_error"):
        return AuthFlowError(AuthFlowError.UNAVAILABLE, reason="microsoft_unavailable", code=code)
    return AuthFlowError(AuthFlowError.FAILED, code=code)


@sensitive_variables()
def complete_auth_flow(*, flow: dict | None, auth_response: dict) -> AuthResult:
    """Finish the flow with the query Microsoft redirected back with. Raises AuthFlowError."""
    if not flow or not isinstance(flow, dict) or not flow.get("state"):
        raise AuthFlowError(AuthFlowError.TIMED_OUT)
    if auth_response.get("state") != flow.get("state"):
        raise AuthFlowError(AuthFlowError.TIMED_OUT)
    if auth_response.get("error"):
        raise _error_from_microsoft(auth_response)
    if not auth_response.get("code"):
        raise AuthFlowError(AuthFlowError.MALFORMED, reason="no_code")
    cache = msal.SerializableTokenCache()
    try:
        app = _app(cache)
        result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    except TokenUnavailable as exc:
        raise AuthFlowError(AuthFlowError.UNAVAILABLE, reason=f"login_{exc.kind}") from exc
    except requests.Timeout as exc:
        raise AuthFlowError(AuthFlowError.UNAVAILABLE, reason="timeout") from exc
    except (requests.RequestException, MsalServiceError) as exc:
        raise AuthFlowError(AuthFlowError.UNAVAILABLE, reason="unreachable") from exc
    except RuntimeError as exc:  # nonce mismatch: a replayed or forged answer
        raise AuthFlowError(AuthFlowError.TIMED_OUT) from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # MSAL raises ValueError for a state mismatch and for a token answer that is not JSON.
        if "state" in str(exc).lower():
            raise AuthFlowError(AuthFlowError.TIMED_OUT) from exc
        raise AuthFlowError(AuthFlowError.MALFORMED, reason="unreadable") from exc
    if not isinstance(result, dict):
        raise AuthFlowError(AuthFlowError.MALFORMED, reason="not_a_dict")
    if "error" in result:
        raise _error_from_microsoft(result)
    claims = result.get("id_token_claims") or {}
    tenant_id, object_id = str(claims.get("tid", "")), str(claims.get("oid", ""))
    if not (result.get("access_token") and tenant_id and object_id):
        raise AuthFlowError(AuthFlowError.MALFORMED, reason="no_identity")
    return AuthResult(
        tenant_id=tenant_id,
        object_id=object_id,
        id_token_email=str(claims.get("email") or claims.get("preferred_username") or ""),
        name=str(claims.get("name", "")),
        access_token=result["access_token"],
        token_cache=cache.serialize(),
    )


# --- access tokens ------------------------------------------------------------------------


def _home_account_id(cache: msal.SerializableTokenCache, *, tenant_id: str, object_id: str) -> str:
    """The cache's account for this identity. MSAL keys it "<uid>.<utid>" from client_info, which is
    object id + tenant id for work and personal accounts alike; the object id is also the account's
    local id, which we accept as a fallback."""
    expected = f"{object_id}.{tenant_id}"
    for account in cache.search(msal.TokenCache.CredentialType.ACCOUNT, query={}):
        if account.get("home_account_id") == expected:
            return expected
    for account in cache.search(msal.TokenCache.CredentialType.ACCOUNT, query={}):
        if object_id and account.get("local_account_id") == object_id:
            return str(account.get("home_account_id", ""))
    return expected


@sensitive_variables()
def _valid_token(cache: msal.SerializableTokenCache, *, tenant_id: str, object_id: str) -> str | None:
    now = time.time()
    for entry in cache.search(
        msal.TokenCache.CredentialType.ACCESS_TOKEN,
        target=SCOPES,
        query={
            "client_id": settings.MICROSOFT_CLIENT_ID,
            "home_account_id": _home_account_id(cache, tenant_id=tenant_id, object_id=object_id),
        },
    ):
        try:
            expires_on = int(entry.get("expires_on", 0))
            refresh_on = int(entry.get("refresh_on", expires_on))
        except (TypeError, ValueError):
            continue
        if expires_on - now > REFRESH_MARGIN_SECONDS and refresh_on > now:
            return entry["secret"]
    return None


@sensitive_variables()
def cached_access_token(token_cache: str, *, tenant_id: str, object_id: str) -> str | None:
    """An access token in this serialized cache still valid for a while — the common case, needing no
    lock and no call to Microsoft."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(token_cache)
    return _valid_token(cache, tenant_id=tenant_id, object_id=object_id)


class TokenClient:
    """An MSAL client around one token cache. Build it before taking any lock (construction fetches the
    OpenID configuration and can raise TokenUnavailable), then `load` the newest serialized cache, ask
    `cached_token` or `refresh`, and write `serialize()` back when `changed`."""

    def __init__(self) -> None:
        self.cache = msal.SerializableTokenCache()
        self._app = _app(self.cache)

    @sensitive_variables()
    def load(self, token_cache: str) -> None:
        self.cache.deserialize(token_cache)

    @property
    def changed(self) -> bool:
        return bool(self.cache.has_state_changed)

    @sensitive_variables()
    def serialize(self) -> str:
        return self.cache.serialize()

    @sensitive_variables()
    def cached_token(self, *, tenant_id: str, object_id: str) -> str | None:
        return _valid_token(self.cache, tenant_id=tenant_id, object_id=object_id)

    @sensitive_variables()
    def refresh(
        self, *, tenant_id: str, object_id: str, force_refresh: bool = False, scopes: list[str] | None = None
    ) -> str:
        """A fresh access token from the cached refresh token. Raises TokenRefused (permanent) or
        TokenUnavailable (transient, `code` = Microsoft's error)."""
        home_account_id = _home_account_id(self.cache, tenant_id=tenant_id, object_id=object_id)
        accounts = [a for a in self._app.get_accounts() if a.get("home_account_id") == home_account_id]
        if not accounts:
            raise TokenRefused("no_refresh_token")  # nothing usable in the cache: only a new sign-in helps
        try:
            result = self._app.acquire_token_silent_with_error(
                list(scopes or SCOPES), accounts[0], force_refresh=force_refresh
            )
        except (requests.RequestException, MsalServiceError) as exc:
            raise TokenUnavailable("refresh_unreachable") from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TokenUnavailable("refresh_unreadable") from exc
        if result is None:
            raise TokenRefused("no_refresh_token")
        if "access_token" in result:
            return result["access_token"]
        error = str(result.get("error", ""))
        if error in PERMANENT_ERRORS:
            raise TokenRefused(error)
        raise TokenUnavailable("not_issued", code=(error or "unknown")[:60])


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
    cache (under its own row lock) when it changed. Raises TokenRefused (only a new consent helps) or
    TokenUnavailable (transient)."""
    client = TokenClient()
    client.load(token_cache)
    token = client.refresh(tenant_id=tenant_id, object_id=object_id, scopes=scopes)
    return CachedToken(token, client.serialize() if client.changed else None)
