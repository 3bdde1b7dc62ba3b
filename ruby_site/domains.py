"""Free-mail domains: the one list (issue 12). An address at one of these is a person's own mailbox, never
"your organisation", so such a domain is never internal — not when a workspace is created, not when a
connection's owner uses one, not when a workspace lists it by mistake."""

from __future__ import annotations

FREE_MAIL_DOMAINS = frozenset(
    {
        # Microsoft's personal accounts (Outlook.com and its older names).
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "passport.com",
        "hotmail.co.uk",
        "live.co.uk",
        "outlook.fr",
        "hotmail.fr",
        "outlook.de",
        "hotmail.de",
        # Other free mail.
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "aol.com",
        "gmx.com",
        "gmx.de",
        "mail.com",
        "zoho.com",
        "yandex.com",
    }
)


def is_free_mail(domain: str) -> bool:
    return (domain or "").strip().lower().lstrip("@") in FREE_MAIL_DOMAINS
