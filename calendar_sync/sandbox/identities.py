"""Sandbox Microsoft accounts. Deterministic ids, so the same person gets the same tenant id and
object id every time (and across processes), like a real Microsoft account would."""

from __future__ import annotations

import uuid

from calendar_sync.tenants import PERSONAL_TENANT_ID
from ruby_site.domains import is_free_mail

_NAMESPACE = uuid.UUID("6f1c2f4e-4a57-4d0f-9a3b-5b7e0d2c9a11")
MISMATCH_DOMAIN = "contoso.example"


def _tenant_id(domain: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"tenant:{domain.lower()}"))


def identity_for(email: str, name: str = "") -> dict:
    email = email.strip()
    domain = email.rsplit("@", 1)[-1].lower()
    # A free-mail address signs in as a personal Microsoft account: Microsoft's consumer tenant, and Graph's /me
    # has no `mail` (the address is the userPrincipalName).
    return {
        "tid": PERSONAL_TENANT_ID if is_free_mail(domain) else _tenant_id(domain),
        "oid": str(uuid.uuid5(_NAMESPACE, f"user:{email.lower()}")),
        "email": email,
        "upn": email,
        "name": name or email.split("@", 1)[0].replace(".", " ").title(),
    }


def identities_for(user) -> list[dict]:
    """What the consent page offers a logged-in Ruby user: an account with their own email, and
    one at another organisation (which Ruby must refuse)."""
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    local = user.email.split("@", 1)[0]
    return [
        {**identity_for(user.email, name), "key": "match"},
        {**identity_for(f"{local}@{MISMATCH_DOMAIN}", name), "key": "other"},
    ]
