"""A requests transport adapter that answers for Microsoft's login and Graph hosts in-process.

graph.http_session() mounts it in sandbox mode; MSAL gets that session as its http_client, so the
token calls and the Graph calls of the production code never leave the process.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from calendar_sync.sandbox import events, push, teams, tokens
from calendar_sync.sandbox.tokens import identity_from_access_token  # noqa: F401 - part of the contract
from calendar_sync.tenants import PERSONAL_TENANT_ID

_OPENID = re.compile(r"^/(?P<tenant>[^/]+)(?:/v2\.0)?/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_SUBSCRIPTION = re.compile(r"^/v1\.0/subscriptions/(?P<id>[^/]+)(?P<reauthorize>/reauthorize)?$")


def _response(request, status: int, body: dict, headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode("utf-8")
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    response.reason = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized"}.get(
        status, "Not Found" if status == 404 else ""
    )
    return response


def _text_response(request, status: int, body: str, headers: dict) -> requests.Response:
    response = _response(request, status, {}, headers)
    response._content = body.encode("utf-8")
    return response


def _aad_error(error: str, code: int, text: str) -> dict:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {text}",
        "error_codes": [code],
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }


def _graph_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class SandboxAdapter(BaseAdapter):
    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        origin = f"{url.scheme}://{url.netloc}"
        if origin == _origin(settings.MICROSOFT_LOGIN_URL):
            return self._login(request, url)
        if origin == _origin(settings.MICROSOFT_GRAPH_URL):
            return self._graph(request, url)
        return _response(request, 404, {"error": "not_found"})

    def close(self):
        pass

    # --- login host -----------------------------------------------------------------------
    def _login(self, request, url):
        login = settings.MICROSOFT_LOGIN_URL
        if request.method == "GET" and (match := _OPENID.match(url.path)):
            tenant = match["tenant"]
            return _response(
                request,
                200,
                {
                    "issuer": f"{login}/{{tenantid}}/v2.0",
                    "authorization_endpoint": f"{login}/{tenant}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{login}/{tenant}/oauth2/v2.0/token",
                    "jwks_uri": f"{login}/{tenant}/discovery/v2.0/keys",
                    "response_modes_supported": ["query", "fragment", "form_post"],
                    "response_types_supported": ["code", "id_token", "code id_token"],
                    "scopes_supported": ["openid", "profile", "email", "offline_access"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        if request.method == "GET" and url.path == "/common/discovery/instance":
            host = urlsplit(login).netloc
            return _response(
                request,
                200,
                {
                    "tenant_discovery_endpoint": f"{login}/common/v2.0/.well-known/openid-configuration",
                    "api-version": "1.1",
                    "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
                },
            )
        if request.method == "POST" and _TOKEN.match(url.path):
            return self._token(request)
        return _response(request, 404, _aad_error("invalid_request", 90002, "Unknown sandbox endpoint."))

    def _token(self, request):
        body = request.body or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        client_id = form.get("client_id", "")
        if client_id != settings.MICROSOFT_CLIENT_ID or form.get("client_secret") != settings.MICROSOFT_CLIENT_SECRET:
            return _response(request, 401, _aad_error("invalid_client", 7000215, "Invalid client secret provided."))
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            data = tokens.redeem_code(
                form.get("code", ""),
                client_id=client_id,
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier", ""),
            )
            if data is None:
                return _response(
                    request,
                    400,
                    _aad_error("invalid_grant", 70008, "The provided authorization code or refresh token has expired."),
                )
            return _response(
                request,
                200,
                tokens.issue_tokens(
                    data["identity"],
                    client_id=client_id,
                    nonce=data.get("nonce"),
                    scope=data.get("scope") or tokens.GRANTED_SCOPE,
                ),
            )
        if grant_type == "refresh_token":
            identity = tokens.identity_from_refresh_token(form.get("refresh_token", ""))
            if identity is None:
                return _response(
                    request,
                    400,
                    _aad_error(
                        "invalid_grant",
                        50173,
                        "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
                        "The user might have changed or reset their password.",
                    ),
                )
            scope = tokens.refresh_token_scope(form.get("refresh_token", ""))
            return _response(request, 200, tokens.issue_tokens(identity, client_id=client_id, scope=scope))
        return _response(request, 400, _aad_error("unsupported_grant_type", 70003, "Unsupported grant type."))

    # --- Graph host -----------------------------------------------------------------------
    def _graph(self, request, url):
        auth = request.headers.get("Authorization", "")
        identity = identity_from_access_token(auth[7:]) if auth.startswith("Bearer ") else None
        if identity is None:
            return _response(
                request,
                401,
                _graph_error("InvalidAuthenticationToken", "Access token is empty, invalid, expired or revoked."),
            )
        if request.method == "GET" and url.path == "/v1.0/me":
            return _response(
                request,
                200,
                {
                    "@odata.context": f"{settings.MICROSOFT_GRAPH_URL}/v1.0/$metadata#users/$entity",
                    "id": identity["oid"],
                    "displayName": identity["name"],
                    # Personal accounts have no `mail`; their address is the userPrincipalName (graph_ews.md A.7).
                    "mail": None if identity["tid"] == PERSONAL_TENANT_ID else identity["email"],
                    "userPrincipalName": identity["upn"],
                },
            )
        if request.method == "GET" and url.path.startswith("/v1.0/me/calendarView"):
            status, body, headers = events.calendar_view(identity, request.url)
            return _response(request, status, body, headers)
        if request.method == "GET" and url.path.startswith("/v1.0/me/onlineMeetings"):
            status, body, headers = teams.online_meetings(identity, request.url, tokens.access_token_scopes(auth[7:]))
            if isinstance(body, str):
                return _text_response(request, status, body, headers)
            return _response(request, status, body, headers)
        if url.path.startswith("/v1.0/subscriptions"):
            return self._subscriptions(request, url, identity)
        return _response(request, 404, _graph_error("ResourceNotFound", "Unknown sandbox Graph resource."))

    def _subscriptions(self, request, url, identity):
        base = settings.MICROSOFT_GRAPH_URL
        raw = request.body or b""
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        match = _SUBSCRIPTION.match(url.path)
        if request.method == "POST" and url.path == "/v1.0/subscriptions":
            status, body = push.subscription_create(identity, raw, base)
        elif match and match["reauthorize"] and request.method == "POST":
            status, body = push.subscription_reauthorize(identity, match["id"])
        elif match and request.method == "PATCH":
            status, body = push.subscription_renew(identity, match["id"], raw, base)
        elif match and request.method == "DELETE":
            status, body = push.subscription_delete(identity, match["id"])
        else:
            return _response(request, 404, _graph_error("ResourceNotFound", "Unknown sandbox Graph resource."))
        if body is None:
            response = _response(request, status, {})
            response._content = b""
            return response
        return _response(request, status, body)


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def mount_sandbox(session: requests.Session) -> requests.Session:
    adapter = SandboxAdapter()
    session.mount(settings.MICROSOFT_LOGIN_URL, adapter)
    session.mount(settings.MICROSOFT_GRAPH_URL, adapter)
    return session
