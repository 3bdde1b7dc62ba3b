"""Scoring a transcript against candidate calendar events (pure Python, no queries).

The score is explainable by design: every number shown to the user ("50 of 55 min overlap,
3 of 4 participants") is stored in the match detail, and the score is computed from them only.

    time      = overlap minutes / the longer of the transcript and the event
    people    = (participants whose email is an attendee + 0.1 x name-only participants whose
                 name is an attendee's name) / all participants
    score     = 0.5 x time + 0.5 x people

A transcript at the exact time of a meeting with none of its people scores 0.5 and stays
unmatched: in a workspace, colleagues hold meetings at the same time, and time alone cannot tell
them apart. Names count for little because "Alex" on a recording is weak evidence.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TOLERANCE = timedelta(minutes=15)
# Longer "events" (conferences, out-of-office blocks) are not meetings anyone records; the bound
# also lets the candidate query use the (workspace, starts_at) index on a closed range.
MAX_EVENT_SPAN = timedelta(hours=24)
THRESHOLD = 0.6
NEAR_TIE = 0.05
NAME_WEIGHT = 0.1
MAX_CANDIDATES_STORED = 3


@dataclass
class EventInfo:
    """What matching needs of an event. Times are seconds since the epoch: float arithmetic is
    several times cheaper than datetime's, scoring runs for every event in every transcript's
    window, and PostgreSQL can hand them over without the cost of parsing timestamps."""

    id: int
    subject: str
    start_s: float
    end_s: float
    ical_uid: str
    owner_email: str
    organizer_email: str
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    @property
    def starts_at(self) -> datetime:
        return datetime.fromtimestamp(self.start_s, UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime.fromtimestamp(self.end_s, UTC)


@dataclass
class Scored:
    event: EventInfo
    score: float
    detail: dict


@dataclass
class MatchResult:
    status: str  # matched / ambiguous / unmatched
    best: Scored | None
    candidates: list[Scored]


@dataclass(frozen=True)
class People:
    emails: frozenset[str]
    names: frozenset[str]  # of participants without an email only
    total: int


def people_of(participants: list[dict]) -> People:
    emails, names, total = set(), set(), 0
    for person in participants:
        email = (person.get("email") or "").lower()
        # lower(), not casefold(): the candidate query compares names with SQL LOWER().
        name = (person.get("name") or "").lower()
        if email:
            emails.add(email)
        elif name:
            names.add(name)
        else:
            continue
        total += 1
    return People(frozenset(emails), frozenset(names), total)


def _parts(start_s: float, end_s: float, people: People, event: EventInfo) -> tuple:
    overlap_min = max(0, round((min(end_s, event.end_s) - max(start_s, event.start_s)) / 60))
    span_min = max(round((end_s - start_s) / 60), round((event.end_s - event.start_s) / 60), 1)
    time_part = min(1.0, overlap_min / span_min)
    email_hits = len(people.emails & event.emails) if people.emails else 0
    name_hits = len(people.names & event.names) if people.names else 0
    people_part = (email_hits + NAME_WEIGHT * name_hits) / people.total if people.total else 0.0
    score = round(0.5 * time_part + 0.5 * people_part, 4)
    return score, overlap_min, span_min, email_hits, name_hits, time_part, people_part


def score_event(
    *, started_at: datetime, ended_at: datetime, participants: list[dict] | People, event: EventInfo
) -> Scored:
    people = participants if isinstance(participants, People) else people_of(participants)
    score, overlap_min, span_min, email_hits, name_hits, time_part, people_part = _parts(
        started_at.timestamp(), ended_at.timestamp(), people, event
    )
    detail = {
        "score": score,
        "overlap_minutes": overlap_min,
        "span_minutes": span_min,
        "participants_matched": email_hits,
        "participants_named": name_hits,
        "participants_total": people.total,
        "time": round(time_part, 4),
        "people": round(people_part, 4),
    }
    return Scored(event=event, score=score, detail=detail)


def explain(detail: dict) -> str:
    """ "92% — 50 of 55 min overlap, 3 of 4 participants" from a stored detail."""
    if not detail:
        return ""
    if detail.get("exact"):  # the source named the meeting: "100% — same Teams meeting"
        return f"{round(detail.get('score', 1) * 100)}% — {detail['exact']}"
    text = (
        f"{round(detail.get('score', 0) * 100)}% — {detail.get('overlap_minutes', 0)} of "
        f"{detail.get('span_minutes', 0)} min overlap, {detail.get('participants_matched', 0)} of "
        f"{detail.get('participants_total', 0)} participants"
    )
    if detail.get("participants_named"):
        text += f" (+{detail['participants_named']} by name only)"
    return text


def _representative(group: list[Scored]) -> Scored:
    """One meeting synced from several colleagues' calendars is one candidate, not a tie.

    Prefer the copy on the organizer's own calendar, then the best-scored, then the oldest row.
    """
    return min(
        group,
        key=lambda s: (s.event.owner_email != s.event.organizer_email, -s.score, s.event.id),
    )


def decide(scored: list[Scored]) -> MatchResult:
    groups: dict[str, list[Scored]] = {}
    for item in scored:
        groups.setdefault(item.event.ical_uid or f"#{item.event.id}", []).append(item)
    ranked = sorted((_representative(g) for g in groups.values()), key=lambda s: (-s.score, s.event.id))
    candidates = ranked[:MAX_CANDIDATES_STORED]
    if not ranked or ranked[0].score < THRESHOLD:
        return MatchResult("unmatched", None, candidates)
    if len(ranked) > 1 and ranked[1].score >= THRESHOLD and ranked[0].score - ranked[1].score < NEAR_TIE:
        return MatchResult("ambiguous", None, candidates)
    return MatchResult("matched", ranked[0], candidates)


class EventIndex:
    """Events sorted by start, for "which events overlap this window" without a scan."""

    def __init__(self, events: list[EventInfo]):
        self.events = sorted(
            (e for e in events if e.end_s - e.start_s <= MAX_EVENT_SPAN.total_seconds()), key=lambda e: e.start_s
        )
        self.starts = [e.start_s for e in self.events]
        # The longest event loaded bounds how far back an overlapping one can start.
        self.max_span = max((e.end_s - e.start_s for e in self.events), default=0.0)

    def overlapping(self, start: datetime, end: datetime) -> list[EventInfo]:
        start_s, end_s = start.timestamp(), end.timestamp()
        lo = bisect_left(self.starts, start_s - self.max_span)
        hi = bisect_left(self.starts, end_s)
        return [e for e in self.events[lo:hi] if e.end_s > start_s]


def match_one(*, started_at: datetime, ended_at: datetime, participants: list[dict], index: EventIndex) -> MatchResult:
    window = index.overlapping(started_at - TOLERANCE, ended_at + TOLERANCE)
    people = people_of(participants)
    # Rank on the bare score; build the explained detail only for the few candidates kept.
    start_s, end_s = started_at.timestamp(), ended_at.timestamp()
    quick = [Scored(event=e, score=_parts(start_s, end_s, people, e)[0], detail={}) for e in window]
    result = decide(quick)

    def explained(item: Scored) -> Scored:
        return score_event(started_at=started_at, ended_at=ended_at, participants=people, event=item.event)

    return MatchResult(
        result.status,
        explained(result.best) if result.best else None,
        [explained(c) for c in result.candidates],
    )


def merge_windows(windows: list[tuple[datetime, datetime]], gap: timedelta = timedelta(hours=1)):
    """Disjoint ranges covering all windows, so one query can fetch the candidates of many."""
    merged: list[list[datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]
