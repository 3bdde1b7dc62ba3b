"""Benchmark: match 10,000 transcripts against 100,000 events on PostgreSQL.

Run with `make bench` (RUBY_BENCH=1, DATABASE_URL pointing at PostgreSQL). Prints matches/s and SQL
queries per transcript for the batch matcher, side by side with a naive reference that loads every
event of the workspace and scans them in Python for each transcript, in the same run, on the same data.

Targets (issue 6): >= 1,000 transcripts/s, constant queries per transcript, >= 50x the naive reference.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calendar_sync.models import CalendarConnection, CalendarEvent, EventAttendee
from ruby_site.models import Membership, User, Workspace
from transcripts.matching import TOLERANCE, EventInfo, decide, score_event
from transcripts.models import Transcript
from transcripts.services.matching import MATCH_LOAD_FIELDS, transcripts_match

EVENTS = 100_000
TRANSCRIPTS = 10_000
NAIVE_SAMPLE = 20
OWNERS = 50
START = datetime(2026, 1, 5, tzinfo=UTC)

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the matching benchmark runs on PostgreSQL")


def _build(rng: random.Random):
    workspace = Workspace.objects.create(name="Bench", slug="bench", internal_domains=["bench.example"])
    users = User.objects.bulk_create(User(email=f"seller{i}@bench.example") for i in range(OWNERS))
    Membership.objects.bulk_create(Membership(user=u, workspace=workspace) for u in users)
    connections = CalendarConnection.objects.bulk_create(
        CalendarConnection(user=u, workspace=workspace, object_id=f"oid-{u.pk}", status="connected") for u in users
    )
    externals = [f"guest{i}@customer{i % 700}.example" for i in range(5_000)]
    events = []
    for i in range(EVENTS):
        index = rng.randrange(OWNERS)
        start = START + timedelta(days=rng.randrange(365), minutes=15 * rng.randrange(8 * 4, 18 * 4))
        events.append(
            CalendarEvent(
                workspace=workspace,
                connection=connections[index],
                owner=users[index],
                provider_event_id=f"ev-{i}",
                ical_uid=f"uid-{i}",
                subject=f"Meeting {i}",
                starts_at=start,
                ends_at=start + timedelta(minutes=rng.choice([30, 45, 60])),
                organizer_email=users[index].email,
                state="discarded" if rng.random() < 0.02 else "active",
            )
        )
    events = CalendarEvent.objects.bulk_create(events, batch_size=5_000)
    attendees, guests_of = [], {}
    for event in events:
        guests = rng.sample(externals, rng.randint(1, 3))
        guests_of[event.pk] = guests
        attendees.append(EventAttendee(event=event, email=event.organizer_email, is_organizer=True, is_internal=True))
        attendees += [EventAttendee(event=event, email=g, name=g.split("@")[0]) for g in guests]
    EventAttendee.objects.bulk_create(attendees, batch_size=10_000)

    transcripts = []
    for i in range(TRANSCRIPTS):
        if i % 5:  # 80% recordings of a real meeting: late start, early stop, a subset of people
            event = rng.choice(events)
            start = event.starts_at + timedelta(minutes=rng.randint(-3, 8))
            end = event.ends_at - timedelta(minutes=rng.randint(0, 5))
            people = [event.organizer_email, *guests_of[event.pk][: rng.randint(1, 3)]]
        else:  # 20% calls with nobody we know
            start = START + timedelta(days=rng.randrange(365), minutes=rng.randrange(24 * 60))
            end = start + timedelta(minutes=30)
            people = [f"stranger{i}@elsewhere.example"]
        transcripts.append(
            Transcript(
                workspace=workspace,
                source="zoom",
                external_id=f"t-{i}",
                title=f"Call {i}",
                started_at=start,
                ended_at=end,
                participants=[{"name": "", "email": p} for p in people],
            )
        )
    Transcript.objects.bulk_create(transcripts, batch_size=5_000)
    return workspace


def _naive_match(workspace, transcript) -> tuple[str, int | None]:
    """The reference: every event of the workspace, every time, filtered in Python."""
    rows = CalendarEvent.objects.filter(workspace=workspace).values_list(
        "id", "subject", "starts_at", "ends_at", "ical_uid", "owner__email", "organizer_email", "state", "removed_at"
    )
    lo, hi = transcript.started_at - TOLERANCE, transcript.ended_at + TOLERANCE
    infos = {
        r[0]: EventInfo(r[0], r[1], r[2].timestamp(), r[3].timestamp(), r[4], r[5], r[6], emails={r[6]})
        for r in rows
        if r[7] == "active" and r[8] is None and r[2] < hi and r[3] > lo
    }
    for event_id, email in EventAttendee.objects.filter(event_id__in=list(infos)).values_list("event_id", "email"):
        infos[event_id].emails.add(email)
    scored = [
        score_event(
            started_at=transcript.started_at,
            ended_at=transcript.ended_at,
            participants=transcript.participants,
            event=info,
        )
        for info in infos.values()
    ]
    result = decide(scored)
    return result.status, result.best.event.id if result.best else None


@pytest.mark.django_db
def test_matching_benchmark():
    rng = random.Random(6)
    t0 = time.perf_counter()
    workspace = _build(rng)
    built = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        transcripts = list(Transcript.objects.filter(workspace=workspace).only(*MATCH_LOAD_FIELDS))
        counts = transcripts_match(transcripts=transcripts)
        batch_seconds = time.perf_counter() - t0
    batch_queries = len(queries)

    sample = rng.sample(transcripts, NAIVE_SAMPLE)
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        naive = [_naive_match(workspace, t) for t in sample]
        naive_seconds = time.perf_counter() - t0
    naive_queries = len(queries)

    # Same answers, so the speed-up is not bought with different results.
    for transcript, (status, event_id) in zip(sample, naive, strict=True):
        assert (transcript.match_status, transcript.event_id) == (status, event_id)

    batch_rate = len(transcripts) / batch_seconds
    naive_rate = NAIVE_SAMPLE / naive_seconds
    rows = [
        ("batch (transcripts_match)", len(transcripts), batch_seconds, batch_rate, batch_queries / len(transcripts)),
        ("naive scan-all-events", NAIVE_SAMPLE, naive_seconds, naive_rate, naive_queries / NAIVE_SAMPLE),
    ]
    print(
        f"\n\nMatching {TRANSCRIPTS:,} transcripts against {EVENTS:,} events on PostgreSQL (data built in {built:.0f}s)"
    )
    print(
        f"| {'approach':<27} | {'transcripts':>11} | {'seconds':>8} | {'transcripts/s':>13} | {'SQL/transcript':>14} |"
    )
    print(f"|{'-' * 29}|{'-' * 13}|{'-' * 10}|{'-' * 15}|{'-' * 16}|")
    for name, n, seconds, rate, per in rows:
        print(f"| {name:<27} | {n:>11,} | {seconds:>8.2f} | {rate:>13,.1f} | {per:>14.3f} |")
    print(
        f"speed-up {batch_rate / naive_rate:,.0f}x · results: {counts['matched']:,} matched, "
        f"{counts['ambiguous']:,} ambiguous, {counts['unmatched']:,} unmatched\n"
    )
    assert batch_rate >= 1_000
    assert batch_rate >= 50 * naive_rate
    assert batch_queries / len(transcripts) < 0.05
