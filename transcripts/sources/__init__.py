"""The transcript sources: the one list of them (design.md §7.11).

`Source` gives the stored value and the label (models take its choices); `REGISTRY` gives each source's module,
transcripts/sources/<source>.py, which owns everything specific to that vendor: for now how its records are split
out of an export (`split`), parsed (`parse`) and what a sample delivery looks like (`sample`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django.db import models

from transcripts.sources import fathom, fireflies, gong, granola, teams, zoom
from transcripts.sources.base import AdapterError, NormalizedTranscript, parse_total


class Source(models.TextChoices):
    ZOOM = "zoom", "Zoom"
    TEAMS = "teams", "Microsoft Teams"
    FIREFLIES = "fireflies", "Fireflies"
    FATHOM = "fathom", "Fathom"
    GRANOLA = "granola", "Granola"
    GONG = "gong", "Gong"


@dataclass(frozen=True)
class SourceEntry:
    source: Source
    module: ModuleType

    @property
    def label(self) -> str:
        return self.source.label


REGISTRY: dict[str, SourceEntry] = {
    entry.source.value: entry
    for entry in (
        SourceEntry(Source.ZOOM, zoom),
        SourceEntry(Source.TEAMS, teams),
        SourceEntry(Source.FIREFLIES, fireflies),
        SourceEntry(Source.FATHOM, fathom),
        SourceEntry(Source.GRANOLA, granola),
        SourceEntry(Source.GONG, gong),
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
