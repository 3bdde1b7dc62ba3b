"""Transcript ingest, matching to calendar events, manual corrections, and source settings.

Contract used elsewhere:
    transcripts_rematch_for_events(*, workspace, event_ids) -> int
        re-runs matching for unmatched/ambiguous (never manual) transcripts whose time overlaps
        these events; returns how many transcripts became matched. Called after a sync and on
        "Process again".
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import connection, transaction
from django.db.models import FloatField, Q
from django.db.models.functions import Cast, Extract, Lower
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity, EventAttendee
from deals.models import Deal
from ruby_site.models import Workspace
from transcripts import adapters, signing
from transcripts.matching import (
    MAX_EVENT_SPAN,
    TOLERANCE,
    EventIndex,
    EventInfo,
    People,
    Scored,
    match_one,
    merge_windows,
    people_of,
    score_event,
)
from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource

log = logging.getLogger(__name__)

MATCH_FIELDS = [
    "event",
    "match_status",
    "match_how",
    "match_score",
    "match_detail",
    "match_candidates",
    "matched_at",
    "matched_by",
    "updated_at",
]
CHUNK = 1000
# What matching reads of a transcript; load with .only(*MATCH_LOAD_FIELDS) to skip the text.
MATCH_LOAD_FIELDS = [
    "id",
    "workspace_id",
    "source",
    "title",
    "started_at",
    "ended_at",
    "participants",
    "event_id",
    "match_status",
    "match_how",
]


# --------------------------------------------------------------------------- ingest


@dataclass
class IngestResult:
    transcript: Transcript
    created: bool
    changed: bool


def _content_hash(normalized: adapters.NormalizedTranscript) -> str:
    content = {
        "title": normalized.title,
        "started_at": normalized.started_at.isoformat(),
        "ended_at": normalized.ended_at.isoformat(),
        "participants": [[p.name, p.email] for p in normalized.participants],
        "text": normalized.text,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def transcript_ingest(*, workspace: Workspace, source: str, payload: dict, match: bool = True) -> IngestResult:
    """Create or update one transcript from a source's payload; raises adapters.AdapterError.

    Idempotent on (workspace, source, external id): an identical redelivery writes nothing. A changed
    one updates the transcript and matches it again — unless a person set the match by hand.
    """
    normalized = adapters.normalize(source, payload)
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
    if match and transcript.match_how != Transcript.MatchHow.MANUAL:
        transcripts_match(transcripts=[transcript])
    return IngestResult(transcript, created=created, changed=True)


def transcript_delivery_receive(*, source_config: TranscriptSource, body: bytes) -> tuple[TranscriptDelivery, bool]:
    """Keep an authenticated webhook body and queue its processing; (delivery, is_new).

    The same body delivered twice is stored once: senders retry, and the 5-minute timestamp window
    already bounds a replay of an old one.
    """
    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        existing = (
            TranscriptDelivery.objects.filter(
                workspace=source_config.workspace, source=source_config.source, body_sha256=digest
            )
            .exclude(status=TranscriptDelivery.Status.FAILED)
            .first()
        )
        TranscriptSource.objects.filter(pk=source_config.pk).update(last_delivery_at=timezone.now())
        if existing is not None:
            return existing, False
        delivery = TranscriptDelivery.objects.create(
            workspace=source_config.workspace,
            source=source_config.source,
            body=body.decode("utf-8"),
            body_sha256=digest,
        )
        from transcripts.tasks import enqueue_delivery

        transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return delivery, True


def transcript_delivery_process(*, delivery_id: int) -> TranscriptDelivery | None:
    """Turn a stored delivery into transcripts; safe to run twice (a processed one is left alone)."""
    with transaction.atomic():
        delivery = (
            TranscriptDelivery.objects.select_for_update()
            .select_related("workspace")
            .filter(pk=delivery_id, status=TranscriptDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return None
        try:
            with transaction.atomic():
                records = adapters.split_records(delivery.source, json.loads(delivery.body))
                for record in records:
                    result = transcript_ingest(workspace=delivery.workspace, source=delivery.source, payload=record)
                    delivery.transcript = result.transcript
        except (ValueError, adapters.AdapterError) as exc:
            # JSONDecodeError is a ValueError; the webhook checked both already, so this is rare.
            delivery.status = TranscriptDelivery.Status.FAILED
            delivery.error = str(exc)[:1000]
            delivery.transcript = None
        else:
            delivery.status = TranscriptDelivery.Status.PROCESSED
        delivery.save(update_fields=["status", "error", "transcript"])
    return delivery


# --------------------------------------------------------------------------- matching


def _active_events(workspace_id: int):
    return CalendarEvent.objects.filter(
        workspace_id=workspace_id,
        state=CalendarEvent.State.ACTIVE,
        removed_at__isnull=True,
        is_all_day=False,
    )


def _window_q(ranges, prefix: str = "") -> Q:
    q = Q()
    for start, end in ranges:
        # starts_at bounded on both sides so the (workspace, starts_at) index does the work.
        q |= Q(
            **{
                f"{prefix}starts_at__gte": start - MAX_EVENT_SPAN,
                f"{prefix}starts_at__lt": end,
                f"{prefix}ends_at__gt": start,
            }
        )
    return q


def _event_infos(workspace_id: int, ranges=None, event_ids=None, people: People | None = None) -> list[EventInfo]:
    """Candidate events with their attendees' emails and names: two queries, whatever the count.

    With ``people``, only attendees who could count are read (an email or a name among the
    participants): the others cannot change a score. On PostgreSQL the times come as seconds
    since the epoch: parsing timestamps in Python cost more than the query.
    (Tried and measured slower: attendees as correlated ARRAY subqueries, filtered or not.)
    """
    events = _active_events(workspace_id)
    if ranges is not None:
        events = events.filter(_window_q(ranges))
    if event_ids is not None:
        events = events.filter(pk__in=event_ids)
    columns = ["id", "subject", "ical_uid", "owner__email", "organizer_email"]
    if connection.vendor == "postgresql":
        events = events.annotate(
            start_s=Cast(Extract("starts_at", "epoch"), FloatField()),
            end_s=Cast(Extract("ends_at", "epoch"), FloatField()),
        )
        by_id = {row[0]: _info(row, row[5], row[6]) for row in events.values_list(*columns, "start_s", "end_s")}
    else:
        by_id = {
            row[0]: _info(row, row[5].timestamp(), row[6].timestamp())
            for row in events.values_list(*columns, "starts_at", "ends_at")
        }
    if not by_id:
        return []
    attendees = EventAttendee.objects.filter(event_id__in=list(by_id))
    if people is not None:
        attendees = attendees.alias(email_l=Lower("email"), name_l=Lower("name")).filter(
            Q(email_l__in=list(people.emails)) | Q(name_l__in=list(people.names))
        )
    for event_id, email, name in attendees.values_list("event_id", "email", "name"):
        info = by_id[event_id]
        if email:
            info.emails.add(email.lower())
        if name:
            info.names.add(name.lower())
    return list(by_id.values())


def _info(row, start_s: float, end_s: float) -> EventInfo:
    info = EventInfo(
        id=row[0],
        subject=row[1],
        start_s=start_s,
        end_s=end_s,
        ical_uid=row[2],
        owner_email=(row[3] or "").lower(),
        organizer_email=(row[4] or "").lower(),
    )
    if info.organizer_email:
        info.emails.add(info.organizer_email)
    return info


def _candidate_json(scored: Scored) -> dict:
    return {
        "event_id": scored.event.id,
        "subject": scored.event.subject,
        "starts_at": scored.event.starts_at.isoformat(),
        "ends_at": scored.event.ends_at.isoformat(),
        "score": scored.score,
        "detail": scored.detail,
    }


def transcripts_match(*, transcripts: Iterable[Transcript], chunk_size: int = CHUNK) -> dict:
    """Match many transcripts at once: per chunk, two reads and one bulk write.

    Manual matches are skipped. Returns counts by resulting status, and "newly_matched" (transcripts
    that were not matched before and are now).
    """
    todo = sorted(
        (t for t in transcripts if t.match_how != Transcript.MatchHow.MANUAL),
        key=lambda t: (t.workspace_id, t.started_at),
    )
    counts = {"matched": 0, "ambiguous": 0, "unmatched": 0, "newly_matched": 0}
    now = timezone.now()
    for offset in range(0, len(todo), chunk_size):
        chunk = todo[offset : offset + chunk_size]
        by_workspace: dict[int, list[Transcript]] = {}
        for t in chunk:
            by_workspace.setdefault(t.workspace_id, []).append(t)
        changed: list[Transcript] = []
        activities: list[EventActivity] = []
        for workspace_id, group in by_workspace.items():
            ranges = merge_windows([(t.started_at - TOLERANCE, t.ended_at + TOLERANCE) for t in group])
            everyone = people_of([p for t in group for p in (t.participants or [])])
            index = EventIndex(_event_infos(workspace_id, ranges=ranges, people=everyone))
            for t in group:
                result = match_one(
                    started_at=t.started_at, ended_at=t.ended_at, participants=t.participants or [], index=index
                )
                counts[result.status] += 1
                was_matched_to = t.event_id if t.match_status == Transcript.MatchStatus.MATCHED else None
                t.match_status = result.status
                t.match_how = Transcript.MatchHow.AUTO
                t.match_candidates = [_candidate_json(c) for c in result.candidates]
                t.matched_by = None
                if result.best is not None:
                    t.event_id = result.best.event.id
                    t.match_score = result.best.score
                    t.match_detail = result.best.detail
                    t.matched_at = now
                    if was_matched_to is None:
                        counts["newly_matched"] += 1
                    if was_matched_to != t.event_id:
                        activities.append(
                            EventActivity(
                                event_id=t.event_id,
                                action=EventActivity.Action.TRANSCRIPT,
                                detail=f"{t.get_source_display()} transcript “{t.title[:200]}” matched automatically",
                            )
                        )
                else:
                    t.event_id = None
                    t.match_score = result.candidates[0].score if result.candidates else None
                    t.match_detail = result.candidates[0].detail if result.candidates else {}
                    t.matched_at = None
                t.updated_at = now
                changed.append(t)
        _write_matches(changed, now=now)
        if activities:
            EventActivity.objects.bulk_create(activities)
    return counts


_PG_UPDATE = """
UPDATE {table} AS t SET
    event_id = v.event_id, match_status = v.match_status, match_how = %s, match_score = v.match_score,
    match_detail = v.match_detail, match_candidates = v.match_candidates,
    matched_at = v.matched_at, matched_by_id = NULL, updated_at = %s
FROM jsonb_to_recordset(%s::jsonb) AS v(
    id bigint, event_id bigint, match_status text, match_score float8, match_detail jsonb, match_candidates jsonb,
    matched_at timestamptz
)
WHERE t.id = v.id
"""


def _write_matches(transcripts: list[Transcript], *, now) -> None:
    """One UPDATE for the whole chunk.

    On PostgreSQL the rows travel as one JSON document: Django's bulk_update builds a CASE per field
    and row (70 s for 10,000 rows in the benchmark), and quoting arrays row by row is slow too.
    """
    if not transcripts:
        return
    if connection.vendor != "postgresql":
        Transcript.objects.bulk_update(transcripts, MATCH_FIELDS)
        return
    rows = [
        {
            "id": t.pk,
            "event_id": t.event_id,
            "match_status": t.match_status,
            "match_score": t.match_score,
            "match_detail": t.match_detail,
            "match_candidates": t.match_candidates,
            "matched_at": t.matched_at.isoformat() if t.matched_at else None,
        }
        for t in transcripts
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _PG_UPDATE.format(table=connection.ops.quote_name(Transcript._meta.db_table)),
            [Transcript.MatchHow.AUTO, now, json.dumps(rows)],
        )


def transcripts_rematch_for_events(*, workspace, event_ids) -> int:
    """Match again the unmatched/ambiguous (never manual) transcripts overlapping these events."""
    events = CalendarEvent.objects.filter(workspace=workspace, pk__in=list(event_ids))
    spans = list(events.values_list("starts_at", "ends_at"))
    if not spans:
        return 0
    q = Q()
    for start, end in merge_windows([(s - TOLERANCE, e + TOLERANCE) for s, e in spans], gap=timedelta(0)):
        q |= Q(started_at__lt=end, ended_at__gt=start)
    transcripts = list(
        Transcript.objects.filter(
            workspace=workspace,
            match_status__in=[Transcript.MatchStatus.UNMATCHED, Transcript.MatchStatus.AMBIGUOUS],
        )
        .exclude(match_how=Transcript.MatchHow.MANUAL)
        .filter(q)
        .only(*MATCH_LOAD_FIELDS)
    )
    if not transcripts:
        return 0
    return transcripts_match(transcripts=transcripts)["newly_matched"]


def transcripts_rematch_without_event(*, event: CalendarEvent) -> int:
    """After a discard: the meeting leaves matching, so its automatic matches are matched again without it
    (another meeting or none), and near-ties it took part in may now resolve. Manual matches stay: a person
    chose them. Returns how many transcripts are newly matched."""
    own = list(
        Transcript.objects.filter(workspace_id=event.workspace_id, event_id=event.pk)
        .exclude(match_how=Transcript.MatchHow.MANUAL)
        .only(*MATCH_LOAD_FIELDS)
    )
    if own:
        transcripts_match(transcripts=own)
    return transcripts_rematch_for_events(workspace=event.workspace, event_ids=[event.pk])


# --------------------------------------------------------------------------- manual corrections


def score_against(*, transcript: Transcript, event: CalendarEvent) -> Scored:
    info = _event_infos(transcript.workspace_id, event_ids=[event.pk])
    if not info:  # a discarded or removed event still gets an explanation of its own
        info = [
            EventInfo(
                id=event.pk,
                subject=event.subject,
                start_s=event.starts_at.timestamp(),
                end_s=event.ends_at.timestamp(),
                ical_uid=event.ical_uid,
                owner_email="",
                organizer_email=(event.organizer_email or "").lower(),
                emails={a.lower() for a in event.attendees.values_list("email", flat=True) if a},
            )
        ]
    return score_event(
        started_at=transcript.started_at,
        ended_at=transcript.ended_at,
        participants=transcript.participants or [],
        event=info[0],
    )


def _set_manual(transcript: Transcript, user, **values) -> Transcript:
    values.update(match_how=Transcript.MatchHow.MANUAL, matched_by=user, matched_at=timezone.now())
    for name, value in values.items():
        setattr(transcript, name, value)
    transcript.save(update_fields=[*values, "updated_at"])
    return transcript


@transaction.atomic
def transcript_match_confirm(*, transcript: Transcript, user) -> Transcript:
    """Make the automatic match a person's decision, so later re-matching leaves it alone."""
    if transcript.event_id is None:
        raise ValueError("There is no match to confirm; choose a meeting instead.")
    return _set_manual(transcript, user)


@transaction.atomic
def transcript_match_change(*, transcript: Transcript, event: CalendarEvent, user) -> Transcript:
    if event.workspace_id != transcript.workspace_id:
        raise ValueError("That meeting is not in this workspace.")
    scored = score_against(transcript=transcript, event=event)
    EventActivity.objects.create(
        event=event,
        actor=user,
        action=EventActivity.Action.TRANSCRIPT,
        detail=f"{transcript.get_source_display()} transcript “{transcript.title[:200]}” matched by hand",
    )
    return _set_manual(
        transcript,
        user,
        event=event,
        match_status=Transcript.MatchStatus.MATCHED,
        match_score=scored.score,
        match_detail=scored.detail,
    )


@transaction.atomic
def transcript_match_clear(*, transcript: Transcript, user) -> Transcript:
    """No meeting, on purpose: stays unmatched through later syncs until matched by hand."""
    return _set_manual(
        transcript, user, event=None, match_status=Transcript.MatchStatus.UNMATCHED, match_score=None, match_detail={}
    )


@transaction.atomic
def transcript_match_reset(*, transcript: Transcript) -> Transcript:
    """Hand the transcript back to automatic matching."""
    transcript.match_how = Transcript.MatchHow.AUTO
    transcript.save(update_fields=["match_how", "updated_at"])
    transcripts_match(transcripts=[transcript])
    transcript.refresh_from_db()
    return transcript


@transaction.atomic
def transcript_deal_assign(*, transcript: Transcript, deal: Deal | None, user) -> Transcript:
    """Assigning to a deal is always a person's step (product doc §14.5); None unassigns."""
    if deal is not None and deal.workspace_id != transcript.workspace_id:
        raise ValueError("That deal is not in this workspace.")
    transcript.deal = deal
    transcript.save(update_fields=["deal", "updated_at"])
    return transcript


# --------------------------------------------------------------------------- source settings


@transaction.atomic
def transcript_source_enable(*, workspace: Workspace, source: str) -> TranscriptSource:
    if source not in adapters.SOURCES:
        raise ValueError(f"Unknown transcript source {source!r}.")
    config, _ = TranscriptSource.objects.get_or_create(workspace=workspace, source=source)
    if not config.enabled:
        config.enabled = True
        config.save(update_fields=["enabled"])
    return config


@transaction.atomic
def transcript_source_disable(*, source_config: TranscriptSource) -> TranscriptSource:
    source_config.enabled = False
    source_config.save(update_fields=["enabled"])
    return source_config


@transaction.atomic
def transcript_source_rotate_secret(*, source_config: TranscriptSource) -> str:
    """A new signing secret; the current one stays valid as the previous one until stopped.

    Returns the new secret for showing once; it is stored encrypted and never shown again.
    """
    new = signing.new_secret()
    if source_config.secret:
        source_config.previous_secret = source_config.secret
    source_config.secret = new
    source_config.secret_rotated_at = timezone.now()
    source_config.save(update_fields=["secret", "previous_secret", "secret_rotated_at"])
    return new


@transaction.atomic
def transcript_source_stop_old_secret(*, source_config: TranscriptSource) -> TranscriptSource:
    source_config.previous_secret = ""
    source_config.save(update_fields=["previous_secret"])
    return source_config
