"""Shared builders and database walkers for the privacy tests."""

from __future__ import annotations

import json

import responses
from django.apps import apps
from django.db import models

from calendar_sync.models import EventActivity
from tests.calendar_sync.connect_helpers import cache_for
from tests.factories import (
    AttendeeFactory,
    ConnectionFactory,
    ContactFactory,
    EventFactory,
    SyncRunFactory,
    TranscriptFactory,
)
from transcripts.models import TranscriptDelivery

GRAPH = "https://graph.microsoft.com"
REFRESH_TOKEN = "M.R3_BAY.refresh-token-0123456789abcdef"
ACCESS_TOKEN = "eyJ0eXAiOiJKV1Qi.access-token-fedcba9876543210"


def subscription_graph(*subscription_ids: str, status: int = 204) -> responses.RequestsMock:
    """Graph answering DELETE of these subscriptions; any other request to Microsoft fails."""
    rsps = responses.RequestsMock(assert_all_requests_are_fired=False)
    for subscription_id in subscription_ids or ("sub-123",):
        rsps.add(responses.DELETE, f"{GRAPH}/v1.0/subscriptions/{subscription_id}", status=status)
    return rsps


def connected_calendar(
    user,
    *,
    events: int = 3,
    subscription_id: str = "sub-123",
    prefix: str = "Zephyr",
    token_cache: str | None = None,
):
    """A connected user with synced events, attendees, activities, a sync run and a matched transcript.
    Unless `token_cache` is given, the connection holds a real MSAL cache with a valid ACCESS_TOKEN, so
    removing the subscription needs no call to Microsoft's token endpoint."""
    connection = ConnectionFactory(
        user=user,
        subscription_id=subscription_id,
        subscription_client_state="client-state-secret" if subscription_id else "",
        delta_link=f"{GRAPH}/v1.0/me/calendarView/delta?$deltatoken=abc" if subscription_id else "",
    )
    connection.token_cache = (
        cache_for(
            tid=connection.tenant_id, oid=connection.object_id, access_token=ACCESS_TOKEN, refresh_token=REFRESH_TOKEN
        )
        if token_cache is None
        else token_cache
    )
    connection.save(update_fields=["token_cache"])
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


def alice_everywhere(user):
    """Alice (an external attendee) appears in attendee rows, as organizer, in free text, in transcripts
    and in a raw transcript delivery. Returns her transcript."""
    connection, events, _ = connected_calendar(user, subscription_id="")
    ContactFactory(
        workspace=user.membership.workspace, email="alice.moreau@client.example", name="Alice Moreau", title="CFO"
    )
    AttendeeFactory(event=events[0], email="Alice.Moreau@Client.example", name="Alice Moreau")
    AttendeeFactory(event=events[1], email="alice.moreau@client.example", name="Alice Moreau")
    organised = EventFactory(
        connection=connection,
        organizer_email="alice.moreau@client.example",
        organizer_name="Alice Moreau",
        subject="Call with Alice Moreau",
        body_preview="Alice Moreau will share pricing; write to alice.moreau@client.example",
        location="Alice Moreau's office",
    )
    AttendeeFactory(event=organised, email="alice.moreau@client.example", name="Alice Moreau", is_organizer=True)
    EventActivity.objects.create(event=organised, action="assigned", detail="Assigned after Alice Moreau asked")
    workspace = user.membership.workspace
    transcript = TranscriptFactory(
        workspace=workspace,
        title="Pricing with Alice Moreau",
        participants=[
            {"name": "Alice Moreau", "email": "alice.moreau@client.example"},
            {"name": "Sam", "email": user.email},
        ],
        text="Alice Moreau: the budget is approved.\nSam: great, Alice Moreau.",
        match_candidates=[{"event_id": organised.pk, "attendees": ["alice.moreau@client.example"]}],
    )
    TranscriptDelivery.objects.create(
        workspace=workspace,
        source="zoom",
        body='{"participants": [{"name": "Alice Moreau", "email": "alice.moreau@client.example"}]}',
        body_sha256="x",
        transcript=transcript,
    )
    return transcript


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
