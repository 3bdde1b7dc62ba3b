"""Fakes of Microsoft's identity platform and Graph for the connect tests (with `responses`)."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import msal
from django.conf import settings

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OBJECT_ID = "a0a1a2a3-b4b5-c6c7-d8d9-e0e1e2e3e4e5"


def login_url() -> str:
    return settings.MICROSOFT_LOGIN_URL


def authority() -> str:
    return f"{settings.MICROSOFT_LOGIN_URL}/{settings.MICROSOFT_TENANT}"


def token_url() -> str:
    return f"{authority()}/oauth2/v2.0/token"


def me_url() -> str:
    return f"{settings.MICROSOFT_GRAPH_URL}/v1.0/me"


def openid_configuration() -> dict:
    a = authority()
    return {
        "issuer": f"{settings.MICROSOFT_LOGIN_URL}/{{tenantid}}/v2.0",
        "authorization_endpoint": f"{a}/oauth2/v2.0/authorize",
        "token_endpoint": f"{a}/oauth2/v2.0/token",
    }


def add_openid_configuration(rsps) -> None:
    rsps.get(f"{authority()}/v2.0/.well-known/openid-configuration", json=openid_configuration())


def id_token(*, nonce: str | None, tid: str = TENANT_ID, oid: str = OBJECT_ID, email: str = "", **extra) -> str:
    now = int(time.time())
    claims = {
        "iss": f"{settings.MICROSOFT_LOGIN_URL}/{tid}/v2.0",
        "aud": settings.MICROSOFT_CLIENT_ID,
        "tid": tid,
        "oid": oid,
        "sub": oid,
        "preferred_username": email,
        "email": email,
        "name": "Sam Seller",
        "iat": now,
        "exp": now + 3600,
        **extra,
    }
    if nonce:
        claims["nonce"] = nonce
    return jwt.encode(claims, "test-signing-key-that-is-long-enough-for-hs256", algorithm="HS256")


def token_body(
    *,
    nonce: str | None = None,
    tid: str = TENANT_ID,
    oid: str = OBJECT_ID,
    email: str = "sam@ruby-demo.example",
    access_token: str = "at-secret-1",
    refresh_token: str = "rt-secret-1",
    expires_in: int = 3600,
) -> dict:
    client_info = base64.urlsafe_b64encode(json.dumps({"uid": oid, "utid": tid}).encode()).rstrip(b"=").decode()
    return {
        "token_type": "Bearer",
        "scope": "Calendars.Read User.Read openid profile email",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "id_token": id_token(nonce=nonce, tid=tid, oid=oid, email=email),
        "client_info": client_info,
    }


def me_body(*, mail: str | None = "sam@ruby-demo.example", upn: str = "sam@ruby-demo.example", oid: str = OBJECT_ID):
    return {"id": oid, "displayName": "Sam Seller", "mail": mail, "userPrincipalName": upn}


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def start_connect(client, rsps) -> dict:
    """POST Connect; return the authorize URL's query (state, nonce, scope, code_challenge…)."""
    add_openid_configuration(rsps)
    response = client.post("/settings/integrations/outlook/connect/")
    assert response.status_code == 302, response.content
    assert response.url.startswith(f"{authority()}/oauth2/v2.0/authorize?")
    return query_of(response.url)


def callback(client, **query):
    """GET the callback as the browser would, following Ruby's redirect to the result page."""
    return client.get("/settings/integrations/outlook/callback/", query, follow=True)


def landed_on_integrations(response) -> bool:
    return bool(response.redirect_chain) and response.redirect_chain[-1][0] == "/settings/integrations/"


def cache_for(
    *,
    tid: str = TENANT_ID,
    oid: str = OBJECT_ID,
    access_token: str = "at-cached",
    refresh_token: str = "rt-cached",
    expires_in: int = 3600,
) -> str:
    """A serialized MSAL cache as Ruby stores it after a sign-in."""
    cache = msal.SerializableTokenCache()
    body = token_body(tid=tid, oid=oid, access_token=access_token, refresh_token=refresh_token, expires_in=expires_in)
    cache.add(
        {
            "client_id": settings.MICROSOFT_CLIENT_ID,
            "scope": ["Calendars.Read", "User.Read"],
            "token_endpoint": token_url(),
            "environment": urlsplit(settings.MICROSOFT_LOGIN_URL).netloc,
            "response": body,
            "params": {},
            "data": {},
        }
    )
    return cache.serialize()


def give_token_cache(connection, *, access_token: str = "token-1", expires_in: int = 3600):
    """Store a sign-in's token cache (valid access token `access_token`) on a factory-made connection."""
    connection.token_cache = cache_for(
        tid=connection.tenant_id, oid=connection.object_id, access_token=access_token, expires_in=expires_in
    )
    connection.save(update_fields=["token_cache"])
    return connection
