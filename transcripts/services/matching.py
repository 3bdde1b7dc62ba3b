"""Matching transcripts to calendar events, in bulk: after ingest, after a sync, after a discard or restore.

transcripts_rematch_for_events(*, workspace, event_ids) -> int re-runs matching for the unmatched/ambiguous (never
manual) transcripts whose time overlaps these events and returns how many became matched; the receivers of
calendar_sync's signals call it (transcripts/receivers.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, timedelta

from django.db import connection
from django.db.models import FloatField, Q
from django.db.models.functions import Cast, Extract, Lower
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity, EventAttendee
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
from transcripts.models import Transcript

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
# Matches automatic re-matching leaves alone: a person's, and a source's exact one (same Teams meeting).
KEPT_MATCHES = (Transcript.MatchHow.MANUAL, Transcript.MatchHow.EXACT)
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


def _candidate_events(workspace_id: int):
    # An all-day entry is a date, not a meeting a recording could come from.
    return CalendarEvent.objects.active().filter(workspace_id=workspace_id, is_all_day=False)


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


def event_infos(workspace_id: int, ranges=None, event_ids=None, people: People | None = None) -> list[EventInfo]:
    """Candidate events with their attendees' emails and names: two queries, whatever the count.

    With ``people``, only attendees who could count are read (an email or a name among the
    participants): the others cannot change a score. On PostgreSQL the times come as seconds
    since the epoch: parsing timestamps in Python cost more than the query.
    (Tried and measured slower: attendees as correlated ARRAY subqueries, filtered or not.)
    """
    events = _candidate_events(workspace_id)
    if ranges is not None:
        events = events.filter(_window_q(ranges))
    if event_ids is not None:
        events = events.filter(pk__in=event_ids)
    columns = ["id", "subject", "ical_uid", "owner__email", "organizer_email"]
    if connection.vendor == "postgresql":
        events = events.annotate(
            # tzinfo=UTC: Django converts to the *active* time zone before EXTRACT, and a request activates the
            # user's zone (WorkspaceMiddleware) — the epoch would then be off by the zone's offset.
            start_s=Cast(Extract("starts_at", "epoch", tzinfo=UTC), FloatField()),
            end_s=Cast(Extract("ends_at", "epoch", tzinfo=UTC), FloatField()),
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
        (t for t in transcripts if t.match_how not in KEPT_MATCHES),
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
            index = EventIndex(event_infos(workspace_id, ranges=ranges, people=everyone))
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
        .exclude(match_how__in=KEPT_MATCHES)
        .only(*MATCH_LOAD_FIELDS)
    )
    if own:
        transcripts_match(transcripts=own)
    return transcripts_rematch_for_events(workspace=event.workspace, event_ids=[event.pk])


def transcript_match_exact(*, transcript: Transcript, event: CalendarEvent, reason: str) -> Transcript:
    """Match to this very meeting because the source says so (a Teams transcript fetched by the event's join
    URL): score 100%, explained by `reason`. A person's match is left as it is; so is an exact match to another
    copy of the same meeting (a colleague's calendar), which is the same meeting."""
    if transcript.match_how == Transcript.MatchHow.MANUAL or event.workspace_id != transcript.workspace_id:
        return transcript
    current = transcript.event if transcript.match_how == Transcript.MatchHow.EXACT else None
    if current is not None and current.pk != event.pk and current.ical_uid and current.ical_uid == event.ical_uid:
        return transcript
    was_matched_to = transcript.event_id if transcript.match_status == Transcript.MatchStatus.MATCHED else None
    transcript.event = event
    transcript.match_status = Transcript.MatchStatus.MATCHED
    transcript.match_how = Transcript.MatchHow.EXACT
    transcript.match_score = 1.0
    transcript.match_detail = {"score": 1.0, "exact": reason}
    transcript.match_candidates = []
    transcript.matched_at = timezone.now()
    transcript.matched_by = None
    transcript.save(update_fields=MATCH_FIELDS)
    if was_matched_to != event.pk:
        EventActivity.objects.create(
            event=event,
            action=EventActivity.Action.TRANSCRIPT,
            detail=f"{transcript.get_source_display()} transcript “{transcript.title[:200]}” matched: {reason}",
        )
    return transcript


def score_against(*, transcript: Transcript, event: CalendarEvent) -> Scored:
    info = event_infos(transcript.workspace_id, event_ids=[event.pk])
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


def transcripts_detach_events(*, event_ids: list[int]) -> int:
    """Before these events are deleted (purge, erasure): unlink their transcripts and forget candidates that
    point at them. Returns how many transcripts changed."""
    if not event_ids:
        return 0
    detached = Transcript.objects.filter(event_id__in=event_ids).update(
        event=None,
        match_status=Transcript.MatchStatus.UNMATCHED,
        match_how="",
        match_score=None,
        match_detail={},
        match_candidates=[],
        matched_at=None,
        matched_by=None,
    )
    # Ambiguous transcripts list candidate events (with their subjects/attendees); drop those lists
    # when they mention a purged event so no trace of it stays behind.
    ids = set(event_ids)
    changed = []
    for transcript in Transcript.objects.exclude(match_candidates=[]).only("id", "match_candidates", "match_status"):
        candidates = transcript.match_candidates or []
        if any(_candidate_event_id(c) in ids for c in candidates):
            transcript.match_candidates = [c for c in candidates if _candidate_event_id(c) not in ids]
            transcript.match_detail = {}
            transcript.match_score = None  # the score is the detail's summary; they go together
            if transcript.match_status == Transcript.MatchStatus.AMBIGUOUS and len(transcript.match_candidates) < 2:
                transcript.match_status = Transcript.MatchStatus.UNMATCHED
            changed.append(transcript)
    if changed:
        Transcript.objects.bulk_update(changed, ["match_candidates", "match_detail", "match_score", "match_status"])
    return detached + len(changed)


def _candidate_event_id(candidate) -> int | None:
    if isinstance(candidate, dict):
        for key in ("event_id", "event", "id"):
            value = candidate.get(key)
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.isdigit():
                return int(value)
    if isinstance(candidate, int):
        return candidate
    return None
