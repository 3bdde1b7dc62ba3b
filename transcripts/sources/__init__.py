"""The transcript sources: the one list of them (design.md §7.11).

`Source` gives the stored value and the label (models take its choices); `REGISTRY` gives each source's module,
transcripts/sources/<source>.py, which owns everything specific to that vendor: for now how its records are split
out of an export (`split`), parsed (`parse`) and what a sample delivery looks like (`sample`), how it arrives
(`MODE`: push, pull or calendar, with the functions of that mode) and which credentials its card asks for
(`CREDENTIAL_FIELDS`). transcripts/sources/protocol.py is the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django.db import models

from transcripts.sources import custom, fathom, fireflies, gong, granola, teams, zoom
from transcripts.sources.base import AdapterError, NormalizedTranscript, parse_total
from transcripts.sources.protocol import CredentialField, Mode


class Source(models.TextChoices):
    ZOOM = "zoom", "Zoom"
    TEAMS = "teams", "Microsoft Teams"
    FIREFLIES = "fireflies", "Fireflies"
    FATHOM = "fathom", "Fathom"
    GRANOLA = "granola", "Granola"
    GONG = "gong", "Gong"
    CUSTOM = "custom", "Custom source"


@dataclass(frozen=True)
class SourceEntry:
    source: Source
    module: ModuleType

    @property
    def label(self) -> str:
        return self.source.label

    @property
    def value(self) -> str:
        return self.source.value

    @property
    def mode(self) -> Mode:
        # A module not yet wired to its vendor has no MODE: it only parses imports and relayed records.
        return Mode(getattr(self.module, "MODE", "")) if getattr(self.module, "MODE", "") else None

    @property
    def credential_fields(self) -> tuple[CredentialField, ...]:
        return tuple(getattr(self.module, "CREDENTIAL_FIELDS", ()))

    @property
    def help(self) -> str:
        return getattr(self.module, "HELP", "")

    def implements(self, name: str) -> bool:
        return callable(getattr(self.module, name, None))


REGISTRY: dict[str, SourceEntry] = {
    entry.source.value: entry
    for entry in (
        SourceEntry(Source.ZOOM, zoom),
        SourceEntry(Source.TEAMS, teams),
        SourceEntry(Source.FIREFLIES, fireflies),
        SourceEntry(Source.FATHOM, fathom),
        SourceEntry(Source.GRANOLA, granola),
        SourceEntry(Source.GONG, gong),
        SourceEntry(Source.CUSTOM, custom),
    )
}


def is_known(source: object) -> bool:
    return isinstance(source, str) and source in REGISTRY


def entry_for(source: str) -> SourceEntry:
    """The registry entry; AdapterError for a source Ruby does not know."""
    try:
        return REGISTRY[source]
    except (KeyError, TypeError):
        known = ", ".join(REGISTRY)
        raise AdapterError(f"unknown source {source!r}; expected one of: {known}") from None


def entries(mode: Mode | None = None) -> list[SourceEntry]:
    return [entry for entry in REGISTRY.values() if mode is None or entry.mode == mode]


def label(source: str) -> str:
    return entry_for(source).label


def normalize(source: str, payload: dict) -> NormalizedTranscript:
    entry = entry_for(source)
    if not isinstance(payload, dict):
        raise AdapterError(f"a {entry.label} record must be a JSON object")
    return parse_total(entry.module.parse, payload, entry.label)


def split_records(source: str, document) -> list[dict]:
    """Per-meeting records of a bulk export: one object, a list, or the source's documented wrapper."""
    return entry_for(source).module.split(document)
