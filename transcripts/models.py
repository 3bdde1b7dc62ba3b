from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from calendar_sync.models import CalendarEvent
from deals.models import Deal
from ruby_site.fields import StrictEncryptedTextField
from ruby_site.models import Workspace
from transcripts.sources import Source


def unmatch_on_event_delete(collector, field, sub_objs, using):
    """SET_NULL that also unmatches: a matched transcript always has its meeting (the check below).

    The status update is queued before the event's, so each UPDATE statement passes the check on its own.
    Purge and erasure detach transcripts themselves first; this covers cascades (a user or a connection
    deleted from the admin).
    """
    collector.add_field_update(field.model._meta.get_field("match_status"), "unmatched", sub_objs)
    collector.add_field_update(field, None, sub_objs)


unmatch_on_event_delete.lazy_sub_objs = True


def _token() -> str:
    return secrets.token_urlsafe(24)


class TranscriptSource(models.Model):
    """One transcript source of a workspace: its vendor credentials, its state, and where its pull stands."""

    class State(models.TextChoices):
        OFF = "off", "Off"
        CONNECTED = "connected", "Connected"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="transcript_sources")
    source = models.CharField(max_length=16, choices=Source.choices)
    # The URL token names the workspace without revealing its id or slug.
    webhook_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    # The Custom source's X-Ruby-Signature secrets.
    secret = StrictEncryptedTextField(blank=True, default="")
    previous_secret = StrictEncryptedTextField(
        blank=True, default="", help_text="Still accepted during rotation until cleared."
    )
    # A vendor's credentials as one JSON object (the module's CREDENTIAL_FIELDS); never shown again, never logged.
    credentials = StrictEncryptedTextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.CONNECTED)
    state_reason = models.CharField(max_length=500, blank=True, help_text="Why it needs attention, in plain words.")
    created_at = models.DateTimeField(auto_now_add=True)
    credentials_saved_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    tested_at = models.DateTimeField(null=True, blank=True)
    test_result = models.CharField(max_length=500, blank=True)
    # Pull sources: the page cursor of a run in progress, and the newest creation time seen so far.
    pull_cursor = models.TextField(blank=True)
    pulled_through = models.DateTimeField(null=True, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    pull_interval_minutes = models.PositiveIntegerField(default=30)
    # A vendor's 429 Retry-After (or a transient error's): no pull of this source before then, "Fetch now" included.
    pull_not_before = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace", "source"]
        constraints = [models.UniqueConstraint("workspace", "source", name="transcript_source_unique")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} for {self.workspace}"

    @property
    def enabled(self) -> bool:
        return self.state != self.State.OFF

    def credential_values(self) -> dict:
        """The saved vendor credentials (a dict; {} when none or unreadable)."""
        try:
            values = json.loads(self.credentials) if self.credentials else {}
        except ValueError:
            return {}
        return values if isinstance(values, dict) else {}


class TranscriptDelivery(models.Model):
    """One accepted webhook delivery, kept until processed (answer fast, work later), retried while the vendor fails."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64, db_index=True)
    # The vendor's id of this delivery (Fathom webhook-id, Zoom meeting uuid + file id, Fireflies meeting id).
    delivery_key = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    error_kind = models.CharField(max_length=16, blank=True, help_text="The SourceError kind, or 'parse'.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    transcript = models.ForeignKey(
        "Transcript", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "transcript deliveries"
        constraints = [
            models.UniqueConstraint(
                "workspace",
                "source",
                "delivery_key",
                condition=~Q(delivery_key=""),
                name="transcript_delivery_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} delivery {self.pk} ({self.status})"


class Transcript(models.Model):
    class MatchStatus(models.TextChoices):
        MATCHED = "matched", "Matched"
        AMBIGUOUS = "ambiguous", "Ambiguous"
        UNMATCHED = "unmatched", "Unmatched"

    class MatchHow(models.TextChoices):
        AUTO = "auto", "Automatic"
        MANUAL = "manual", "Set by hand"
        # The source names the meeting itself (a Teams transcript fetched by the event's join URL):
        # no score to weigh, and later automatic re-matching leaves it alone.
        EXACT = "exact", "Same meeting"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="transcripts")
    source = models.CharField(max_length=16, choices=Source.choices)
    external_id = models.CharField(max_length=255)
    title = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField()
    participants = models.JSONField(default=list, blank=True, help_text='[{"name": …, "email": …}]')
    text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    event = models.ForeignKey(
        CalendarEvent, null=True, blank=True, on_delete=unmatch_on_event_delete, related_name="transcripts"
    )
    match_status = models.CharField(
        max_length=16, choices=MatchStatus.choices, default=MatchStatus.UNMATCHED, db_index=True
    )
    match_how = models.CharField(max_length=16, choices=MatchHow.choices, blank=True)
    match_score = models.FloatField(null=True, blank=True)
    match_detail = models.JSONField(default=dict, blank=True, help_text="The parts of the score, for the explanation.")
    match_candidates = models.JSONField(default=list, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="transcripts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "id"]
        constraints = [
            models.UniqueConstraint("workspace", "source", "external_id", name="transcript_source_external_unique"),
            # "Matched" means "to this meeting": automatic and manual matching both set the event with the status.
            models.CheckConstraint(
                condition=~Q(match_status="matched") | Q(event__isnull=False), name="transcript_matched_has_event"
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_source_display()} transcript {self.external_id}"


class TeamsTranscriptGrant(models.Model):
    """A user's optional, extra Microsoft consent to read their Teams meetings' transcripts (OnlineMeetings.Read,
    OnlineMeetingTranscript.Read.All), separate from the calendar connection and its token cache."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        PERSONAL_ACCOUNT = "personal_account", "Not available for personal Microsoft accounts"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teams_grant")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONNECTED)
    status_reason = models.TextField(blank=True)
    tenant_id = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    token_cache = StrictEncryptedTextField(blank=True, default="")
    connected_at = models.DateTimeField(default=timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Teams transcripts for {self.user}"


class TeamsMeetingCheck(models.Model):
    """Whether Ruby looked for this ended Teams meeting's transcript, and what it found (so the worker asks
    Graph a bounded number of times per meeting, not on every run)."""

    class Outcome(models.TextChoices):
        FOUND = "found", "Transcript found"
        NO_TRANSCRIPT = "no_transcript", "No transcript yet"
        NOT_FOUND = "not_found", "Meeting not found in Teams"
        FAILED = "failed", "Failed"

    grant = models.ForeignKey(TeamsTranscriptGrant, on_delete=models.CASCADE, related_name="checks")
    event = models.OneToOneField(CalendarEvent, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    checked_at = models.DateTimeField(default=timezone.now)
    transcript = models.ForeignKey(Transcript, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"Teams check of event {self.event_id}: {self.outcome}"
