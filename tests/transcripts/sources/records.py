"""Shared records for the source tests: each source's fixture, what it normalizes to, its smallest valid record."""

import json
from datetime import UTC, datetime
from pathlib import Path

from transcripts.sources import normalize, split_records
from transcripts.sources.base import NormalizedTranscript, Participant

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"

DANA = Participant("Dana Whitfield", "dana@northwind.example")
SAM = Participant("Sam Ortega", "sam@ruby-demo.example")

EXPECTED = {
    "zoom": {
        "external_id": "4444AAAiAAAAAiAiAiiAii==",
        "title": "Northwind x Ruby - Discovery call",
        "started_at": datetime(2025, 3, 4, 16, 0, 12, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 4, 16, 32, 12, tzinfo=UTC),  # + 32 minutes
        "participants": (SAM, DANA, Participant("Priya Natarajan", "")),
        "line": "Priya Natarajan: Salesforce, with about forty seats across two regions.",
    },
    "teams": {
        "external_id": ("MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZjZhNDQyMmQ4NzUqMCoqMTk6bWVldGluZ19OVGc0TW1JM09HVXRNVEl3"),
        "title": "Ruby pilot scoping - Northwind Traders",
        "started_at": datetime(2025, 3, 5, 14, 30, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 5, 15, 15, tzinfo=UTC),
        "participants": (
            DANA,
            SAM,
            Participant("Marcus Lee", "marcus.lee@northwind.example"),
            Participant("Jordan Reyes", "jordan.reyes@northwind.example"),
        ),
        "line": "Marcus Lee: Security review will want to see where transcripts are stored.",
    },
    "fireflies": {
        "external_id": "01JNQ3H8ZK4T7W2V9XR5B6M1CD",
        "title": "Northwind <> Ruby | Technical deep dive",
        "started_at": datetime(2025, 3, 5, 15, 0, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 5, 15, 27, 30, tzinfo=UTC),  # + 27.5 minutes
        "participants": (
            DANA,
            SAM,
            Participant("Chris Wong", "chris.wong@northwind.example"),
        ),
        "line": "Dana Whitfield: We'll also need SSO through Okta before rollout.",
    },
    "fathom": {
        "external_id": "123456789",
        "title": "Ruby proposal review (Northwind)",
        "started_at": datetime(2025, 3, 6, 17, 2, 10, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 6, 17, 41, 48, tzinfo=UTC),
        "participants": (
            SAM,
            DANA,
            Participant("Elena Park", "elena.park@northwind.example"),
            Participant("Tom Becker", ""),
        ),
        "line": "Tom Becker: Can we phase the seats, twenty now and twenty in Q3?",
    },
    "granola": {
        "external_id": "not_1d3tmYTlCICgjy",
        "title": "Northwind security & pricing follow-up",
        "started_at": datetime(2025, 3, 7, 15, 0, tzinfo=UTC),  # 10:00 -05:00
        "ended_at": datetime(2025, 3, 7, 15, 45, tzinfo=UTC),
        "participants": (
            SAM,
            DANA,
            Participant("Lena Fischer", "lena.fischer@northwind.example"),
            Participant("", "it-security@northwind.example"),
        ),
        "line": "Sam Ortega: Both are supported on the Business plan.",
    },
    "gong": {
        "external_id": "7782342274025937895",
        "title": "Northwind / Ruby - Negotiation",
        "started_at": datetime(2025, 3, 10, 16, 2, 41, 318455, tzinfo=UTC),
        "ended_at": datetime(2025, 3, 10, 16, 33, 26, 318455, tzinfo=UTC),  # + 1845 s
        "participants": (
            SAM,
            DANA,
            Participant("Raj Mehta", "raj.mehta@northwind.example"),
        ),
        "line": "Dana Whitfield: That works if we can get a ninety-day out clause.",
    },
}


def load(source: str):
    return json.loads((FIXTURES / f"{source}.json").read_text())


def fixture_record(source: str) -> dict:
    (record,) = split_records(source, load(source))
    return record


def normalized(source: str) -> NormalizedTranscript:
    return normalize(source, fixture_record(source))


def minimal(source: str, **overrides) -> dict:
    """The smallest valid record for a source, with top-level overrides."""
    base = {
        "zoom": {"uuid": "u1", "start_time": "2025-03-04T16:00:00Z", "duration": 30},
        "teams": {
            "id": "m1",
            "startDateTime": "2025-03-05T14:30:00Z",
            "endDateTime": "2025-03-05T15:00:00Z",
        },
        "fireflies": {"id": "f1", "date": 1741186800000, "duration": 30},
        "fathom": {
            "recording_id": 1,
            "recording_start_time": "2025-03-06T17:00:00Z",
            "recording_end_time": "2025-03-06T17:30:00Z",
        },
        "granola": {
            "id": "not_1",
            "calendar_event": {
                "scheduled_start_time": "2025-03-07T15:00:00Z",
                "scheduled_end_time": "2025-03-07T15:30:00Z",
            },
        },
        "gong": {
            "metaData": {
                "id": "g1",
                "started": "2025-03-10T16:00:00Z",
                "duration": 1800,
            }
        },
    }[source]
    return {**base, **overrides}


ALL_SOURCES = list(EXPECTED)
