"""The transcripts side of calendar_sync's erasure: receivers of its signals (connected in TranscriptsConfig.ready()).

calendar_sync deletes or scrubs a person's calendar data; these receivers do the same to transcripts and
the raw webhook bodies kept for reprocessing, with calendar_sync's scrub routine.
"""

from __future__ import annotations

from calendar_sync.services.erasure import Scrubber, rows_scrub
from ruby_site.models import Workspace
from transcripts.models import Transcript, TranscriptDelivery

TRANSCRIPT_FIELDS = ["title", "text", "participants", "match_detail", "match_candidates"]


def person_names(sender, *, email: str, workspace: Workspace | None, **kwargs) -> set[str]:
    """person_names_requested: the names the person has as a transcript participant."""
    transcripts = Transcript.objects.exclude(participants=[])
    if workspace is not None:
        transcripts = transcripts.filter(workspace=workspace)
    names = set()
    for participants in transcripts.values_list("participants", flat=True).iterator():
        for p in participants or []:
            if isinstance(p, dict) and str(p.get("email", "")).strip().lower() == email and p.get("name"):
                names.add(str(p["name"]))
    return names


def person_erase(
    sender,
    *,
    workspace: Workspace | None,
    anonymise: bool,
    scrub: Scrubber,
    related_event_ids: set[int],
    **kwargs,
) -> dict:
    """person_erasing: scrub transcripts and deliveries. A purge drops the person from participant lists;
    anonymise renames them there."""
    transcripts = Transcript.objects.all()
    deliveries = TranscriptDelivery.objects.all()
    if workspace is not None:
        transcripts = transcripts.filter(workspace=workspace)
        deliveries = deliveries.filter(workspace=workspace)
    related_transcripts: set[int] = set()

    def transcript_rewrite(transcript: Transcript) -> None:
        related = transcript.event_id in related_event_ids or any(
            scrub.is_subject(p) for p in transcript.participants or []
        )
        if related:
            related_transcripts.add(transcript.pk)
        participants = []
        for p in transcript.participants or []:
            if scrub.is_subject(p):
                if not anonymise:
                    continue
                p = {**p, "email": scrub.new_email, "name": scrub.new_name}
            participants.append(scrub.json(p, related=related))
        transcript.participants = participants
        transcript.title = scrub.text(transcript.title, related=related)[:500]
        transcript.text = scrub.text(transcript.text, related=related)
        transcript.match_detail = scrub.json(transcript.match_detail, related=related)
        transcript.match_candidates = scrub.json(transcript.match_candidates, related=related)

    def delivery_rewrite(delivery: TranscriptDelivery) -> None:
        related = delivery.transcript_id in related_transcripts or scrub.email in (delivery.body or "").lower()
        delivery.body = scrub.json_text(delivery.body, related=related)
        delivery.error = scrub.text(delivery.error, related=related)

    # JSON is compared in Python: a text search over JSON differs between SQLite's escaped and
    # PostgreSQL's literal storage of non-ASCII names.
    transcripts_changed = rows_scrub(
        transcripts, TRANSCRIPT_FIELDS, transcript_rewrite, also=["event_id"], batch_size=200
    )
    # After the transcripts: a delivery is related when its transcript was.
    deliveries_changed = rows_scrub(
        deliveries, ["body", "error"], delivery_rewrite, also=["transcript_id"], batch_size=200
    )
    return {"transcripts_changed": transcripts_changed, "deliveries_changed": deliveries_changed}
