"""Shared builders and database walkers for the privacy tests."""

from __future__ import annotations

import json

from django.apps import apps
from django.db import models

from calendar_sync.models import EventActivity
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory, SyncRunFactory, TranscriptFactory

GRAPH = "https://graph.microsoft.com"
REFRESH_TOKEN = "M.R3_BAY.refresh-token-0123456789abcdef"
ACCESS_TOKEN = "eyJ0eXAiOiJKV1Qi.access-token-fedcba9876543210"
TOKEN_CACHE = json.dumps(
    {"RefreshToken": {"k": {"secret": REFRESH_TOKEN}}, "AccessToken": {"k": {"secret": ACCESS_TOKEN}}}
)


def connected_calendar(
    user, *, events: int = 3, subscription_id: str = "sub-123", prefix: str = "Zephyr", token_cache: str = TOKEN_CACHE
):
    """A connected user with synced events, attendees, activities, a sync run and a matched transcript."""
    connection = ConnectionFactory(
        user=user,
        token_cache=token_cache,
        subscription_id=subscription_id,
        subscription_client_state="client-state-secret" if subscription_id else "",
        delta_link=f"{GRAPH}/v1.0/me/calendarView/delta?$deltatoken=abc" if subscription_id else "",
    )
    run = SyncRunFactory(connection=connection)
    made = []
    for i in range(events):
        event = EventFactory(
            connection=connection,
            subject=f"{prefix} renewal {i}",
            location=f"{prefix} HQ room {i}",
            body_preview=f"Agenda for {prefix} {i}",
            first_sync_run=run,
            last_sync_run=run,
        )
        AttendeeFactory(
            event=event, email=f"{prefix.lower()}.buyer{i}@{prefix.lower()}-corp.example", name=f"{prefix} Buyer{i}"
        )
        EventActivity.objects.create(event=event, actor=user, action=EventActivity.Action.SYNCED)
        made.append(event)
    transcript = TranscriptFactory(
        workspace=connection.workspace,
        event=made[0] if made else None,
        match_status="matched" if made else "unmatched",
        match_score=0.9 if made else None,
        match_detail={"subject": made[0].subject} if made else {},
        participants=[{"name": "Nobody Else", "email": "nobody@elsewhere.example"}],
        text="Nobody: hello.",
    )
    return connection, made, transcript


def text_columns():
    """(model, field names) for every model's text-holding columns, across all apps."""
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if fields:
            yield model, fields


def find_everywhere(needles, *, skip=()):
    """Every (model label, field, pk) whose text contains one of the needles, case-insensitively."""
    needles = [n.lower() for n in needles if n]
    hits = []
    for model, fields in text_columns():
        if model._meta.label in skip:
            continue
        for row in model._base_manager.values_list("pk", *fields):
            pk, values = row[0], row[1:]
            for name, value in zip(fields, values, strict=True):
                if value in (None, ""):
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                text = text.lower()
                for needle in needles:
                    if needle in text:
                        hits.append((model._meta.label, name, pk, needle))
    return hits
