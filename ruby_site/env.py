"""Reading settings from the environment.

Every helper fails loudly, naming the variable, so a bad deploy stops at start instead of
misbehaving later (design.md §7.7).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if required:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_https_url(name: str, default: str, *, allow_http: bool = False) -> str:
    """A base URL that must be https (MSAL refuses anything else for an authority); `allow_http` also takes
    http (development only)."""
    value = env_str(name, default)
    parts = urlsplit(value)
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.netloc:
        raise ImproperlyConfigured(f"{name} must be an https URL such as {default}; got {value!r}.")
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name} must not carry a query or fragment; got {value!r}.")
    return value.rstrip("/")


SUPPORTED_DATABASES = ("django.db.backends.sqlite3", "django.db.backends.postgresql")


def parse_database_url(url: str, *, base_dir: Path) -> dict:
    """Turn DATABASE_URL into a Django DATABASES entry with dj-database-url, refusing in one line what it would
    accept but Ruby cannot run on (another engine, no host, no database name) and never echoing the password.

    sqlite:///db.sqlite3 is relative to the project, sqlite:////abs/path absolute; postgres:// (or postgresql://)
    for PostgreSQL through psycopg 3.
    """
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, dj_database_url.ParseError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database address: {_redact(url)!r}.") from exc
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_DATABASES:
        raise ImproperlyConfigured(f"DATABASE_URL must start with sqlite:/// or postgres://; got {_redact(url)!r}.")
    if engine.endswith("sqlite3"):
        if config.get("NAME") in (None, "", ":memory:"):
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no SQLite file; use sqlite:///db.sqlite3.")
        name = Path(config["NAME"])
        return {"ENGINE": engine, "NAME": str(name if name.is_absolute() else base_dir / name)}
    if not config.get("NAME") or "/" in config["NAME"]:
        raise ImproperlyConfigured(
            f"DATABASE_URL must name one database, as in postgres://user@host:5432/ruby; got {_redact(url)!r}."
        )
    if not config.get("HOST"):
        raise ImproperlyConfigured(f"DATABASE_URL names no host: {_redact(url)!r}.")
    config["PORT"] = str(config.get("PORT") or "")
    config.setdefault("OPTIONS", {})
    return config


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
