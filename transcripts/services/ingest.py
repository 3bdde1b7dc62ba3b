"""Transcripts in: a source's record becomes one stored transcript (webhook deliveries: services/deliveries.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction

from ruby_site.models import Workspace
from transcripts import sources
from transcripts.models import Transcript
from transcripts.services.matching import transcripts_match
from transcripts.sources.base import AdapterError, NormalizedTranscript


@dataclass
class IngestResult:
    transcript: Transcript
    created: bool
    changed: bool


def _content_hash(normalized: NormalizedTranscript) -> str:
    content = {
        "title": normalized.title,
        "started_at": normalized.started_at.isoformat(),
        "ended_at": normalized.ended_at.isoformat(),
        "participants": [[p.name, p.email] for p in normalized.participants],
        "text": normalized.text,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def transcript_ingest(
    *, workspace: Workspace, source: str, payload: dict, match: bool = True, require_text: bool = False
) -> IngestResult:
    """Create or update one transcript from a source's payload; raises AdapterError.

    `require_text`: a vendor delivery without transcript text is refused with the reason (Zoom and Gong natively
    point at a transcript; an empty one means the fetch found nothing to match).

    Idempotent on (workspace, source, external id): an identical redelivery writes nothing. A changed
    one updates the transcript and matches it again — unless a person set the match by hand.
    """
    normalized = sources.normalize(source, payload)
    if require_text and not normalized.text:
        raise AdapterError("it has no transcript text (no spoken words), so there is nothing to match")
    digest = _content_hash(normalized)
    values = {
        "title": normalized.title[:500],
        "started_at": normalized.started_at,
        "ended_at": normalized.ended_at,
        "participants": [{"name": p.name, "email": p.email} for p in normalized.participants],
        "text": normalized.text,
        "content_hash": digest,
    }
    transcript = (
        Transcript.objects.select_for_update()
        .filter(workspace=workspace, source=source, external_id=normalized.external_id)
        .first()
    )
    if transcript is not None and transcript.content_hash == digest:
        return IngestResult(transcript, created=False, changed=False)
    created = transcript is None
    if created:
        transcript = Transcript.objects.create(
            workspace=workspace, source=source, external_id=normalized.external_id, **values
        )
    else:
        for name, value in values.items():
            setattr(transcript, name, value)
        transcript.save(update_fields=[*values, "updated_at"])
    if match and transcript.match_how not in (Transcript.MatchHow.MANUAL, Transcript.MatchHow.EXACT):
        transcripts_match(transcripts=[transcript])
    return IngestResult(transcript, created=created, changed=True)
