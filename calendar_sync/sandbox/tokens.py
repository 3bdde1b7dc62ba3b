"""Sandbox codes and tokens: signed with Django's SECRET_KEY and carrying the identity, so the web
server and the django-q2 worker both understand them without shared memory. Revocation lives in
the database (SandboxGrant.generation): a token is valid only for the generation it was issued in."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

import jwt
from django.conf import settings
from django.core import signing
from django.db.models import F
from django.utils import timezone

from calendar_sync.models import SandboxGrant

CODE_SALT = "ruby.sandbox.code"
ACCESS_SALT = "ruby.sandbox.access"
REFRESH_SALT = "ruby.sandbox.refresh"
CODE_MAX_AGE = 600
ACCESS_LIFETIME = 3600
REFRESH_MAX_AGE = 90 * 24 * 3600
GRANTED_SCOPE = "Calendars.Read User.Read openid profile email"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _identity_fields(identity: dict) -> dict:
    return {k: identity[k] for k in ("tid", "oid", "email", "upn", "name")}


# MSAL adds these itself; a token's scope lists the API permissions consented.
_RESERVED = {"offline_access"}


def consented_scope(requested: str) -> str:
    """What the sandbox grants for an authorize request's `scope`: the calendar default when none is given."""
    scopes = [s for s in (requested or "").split() if s not in _RESERVED]
    return " ".join(scopes) if scopes else GRANTED_SCOPE


def issue_code(
    identity: dict, *, client_id: str, redirect_uri: str, nonce: str, code_challenge: str, scope: str = ""
) -> str:
    return signing.dumps(
        {
            "identity": _identity_fields(identity),
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "scope": consented_scope(scope),
        },
        salt=CODE_SALT,
    )


def redeem_code(code: str, *, client_id: str, redirect_uri: str, code_verifier: str) -> dict | None:
    """The identity and nonce for a valid code, else None (invalid_grant)."""
    try:
        data = signing.loads(code, salt=CODE_SALT, max_age=CODE_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("client_id") != client_id or data.get("redirect_uri") != redirect_uri:
        return None
    if not code_verifier or not secrets.compare_digest(pkce_challenge(code_verifier), data.get("code_challenge", "")):
        return None
    return data


def _grant(identity: dict, *, create: bool):
    if create:
        grant, _ = SandboxGrant.objects.get_or_create(tenant_id=identity["tid"], object_id=identity["oid"])
        return grant
    return SandboxGrant.objects.filter(tenant_id=identity["tid"], object_id=identity["oid"]).first()


def revoke(identity: dict) -> bool:
    """Revoke every token issued to Ruby for this identity. True when there was a grant to revoke."""
    return bool(
        SandboxGrant.objects.filter(tenant_id=identity["tid"], object_id=identity["oid"]).update(
            generation=F("generation") + 1, revoked_at=timezone.now()
        )
    )


def grant_for(identity: dict):
    return _grant(identity, create=False)


def _id_token(identity: dict, *, client_id: str, nonce: str | None) -> str:
    now = int(time.time())
    claims = {
        "ver": "2.0",
        "iss": f"{settings.MICROSOFT_LOGIN_URL}/{identity['tid']}/v2.0",
        "aud": client_id,
        "sub": identity["oid"],
        "tid": identity["tid"],
        "oid": identity["oid"],
        "email": identity["email"],
        "preferred_username": identity["upn"],
        "name": identity["name"],
        "iat": now,
        "nbf": now,
        "exp": now + ACCESS_LIFETIME,
    }
    if nonce:
        claims["nonce"] = nonce
    # Signed so it is a well-formed JWT; MSAL (like Microsoft's docs advise) does not verify it.
    key = hashlib.sha256(f"ruby.sandbox.id_token:{settings.SECRET_KEY}".encode()).digest()
    return jwt.encode(claims, key, algorithm="HS256")


def issue_tokens(identity: dict, *, client_id: str, nonce: str | None = None, scope: str = GRANTED_SCOPE) -> dict:
    """A token endpoint answer for a fresh grant (code) or a refresh; the tokens carry the consented scope."""
    grant = _grant(identity, create=True)
    fields = _identity_fields(identity)
    exp = int(time.time()) + ACCESS_LIFETIME
    client_info = _b64url(json.dumps({"uid": identity["oid"], "utid": identity["tid"]}).encode())
    return {
        "token_type": "Bearer",
        "scope": scope,
        "expires_in": ACCESS_LIFETIME,
        "ext_expires_in": ACCESS_LIFETIME,
        "access_token": signing.dumps(
            {"identity": fields, "gen": grant.generation, "exp": exp, "scp": scope}, salt=ACCESS_SALT
        ),
        "refresh_token": signing.dumps(
            {"identity": fields, "gen": grant.generation, "jti": secrets.token_hex(8), "scp": scope}, salt=REFRESH_SALT
        ),
        "id_token": _id_token(identity, client_id=client_id, nonce=nonce),
        "client_info": client_info,
    }


def _current(data: dict) -> dict | None:
    identity = data.get("identity") or {}
    if not identity.get("tid") or not identity.get("oid"):
        return None
    grant = _grant(identity, create=False)
    if grant is None or grant.generation != data.get("gen"):
        return None  # revoked since this token was issued
    return identity


def identity_from_access_token(token: str) -> dict | None:
    """The sandbox identity an access token was issued to, or None when it is invalid, expired or revoked."""
    try:
        data = signing.loads(token, salt=ACCESS_SALT, max_age=ACCESS_LIFETIME + 60)
    except signing.BadSignature:
        return None
    if int(data.get("exp", 0)) < time.time():
        return None
    return _current(data)


def identity_from_refresh_token(token: str) -> dict | None:
    try:
        data = signing.loads(token, salt=REFRESH_SALT, max_age=REFRESH_MAX_AGE)
    except signing.BadSignature:
        return None
    return _current(data)


def _scope_of(token: str, *, salt: str, max_age: int) -> str:
    try:
        return str(signing.loads(token, salt=salt, max_age=max_age).get("scp") or GRANTED_SCOPE)
    except signing.BadSignature:
        return ""


def access_token_scopes(token: str) -> set[str]:
    """The scopes a (valid) sandbox access token was issued for; tokens from before scopes were recorded are
    the calendar connection's."""
    return set(_scope_of(token, salt=ACCESS_SALT, max_age=ACCESS_LIFETIME + 60).split())


def refresh_token_scope(token: str) -> str:
    return _scope_of(token, salt=REFRESH_SALT, max_age=REFRESH_MAX_AGE) or GRANTED_SCOPE
