from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from deals.models import Account, Contact, Deal
from ruby_site.fields import StrictEncryptedTextField
from ruby_site.models import Workspace


class CalendarConnection(models.Model):
    class Provider(models.TextChoices):
        MICROSOFT = "microsoft", "Outlook Calendar (Microsoft 365)"
        EXCHANGE = "exchange", "Exchange (on-premise)"

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NOT_CONNECTED = "not_connected", "Not connected"
        DISABLED = "disabled", "Disabled by Ruby support"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_connections")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="calendar_connections")
    provider = models.CharField(max_length=32, choices=Provider.choices, default=Provider.MICROSOFT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_CONNECTED, db_index=True)
    status_reason = models.TextField(blank=True, help_text="Shown to the user in plain words.")
    # The identity is tenant id + object id, never the email (nOAuth; design.md §5).
    tenant_id = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    email = models.EmailField(blank=True, help_text="The Microsoft account's email, for display.")
    # The provider's secret, encrypted: MSAL's token cache (Microsoft), or the EWS username and password (Exchange).
    token_cache = StrictEncryptedTextField(blank=True, default="")
    # Exchange on-premise only: where and how to reach the EWS endpoint (not secret; the credentials are above).
    server_url = models.URLField("Exchange server URL", max_length=2048, blank=True)
    server_version = models.CharField(max_length=16, blank=True, help_text="Exchange build, e.g. 15.1; empty: detect.")
    server_auth = models.CharField(max_length=16, blank=True, help_text="NTLM or basic.")
    sync_private = models.BooleanField("Sync private appointments", default=False)
    sync_only_online = models.BooleanField("Sync only online meetings", default=False)
    delta_link = models.TextField(blank=True)
    # Change notifications (issue 12): the expiry is what Graph returned; renew_at is when Ruby renews it.
    subscription_id = models.CharField(max_length=128, blank=True, db_index=True)
    subscription_expires_at = models.DateTimeField(null=True, blank=True)
    subscription_renew_at = models.DateTimeField(null=True, blank=True)
    subscription_client_state = StrictEncryptedTextField(blank=True, default="")
    push_paused_reason = models.TextField(blank=True, help_text="Why live updates are paused, in plain words.")
    push_last_change_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint("user", "provider", name="connection_user_provider_unique"),
            models.UniqueConstraint(
                "provider",
                "tenant_id",
                "object_id",
                condition=~models.Q(object_id=""),
                name="connection_identity_unique",
            ),
        ]
        permissions = [("support_connection", "Can disable, re-enable and purge calendar connections")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} for {self.user}"

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED


class SyncRun(models.Model):
    class Trigger(models.TextChoices):
        MANUAL = "manual", "Sync now"
        SCHEDULE = "schedule", "Schedule"
        WEBHOOK = "webhook", "Change notification"
        CONNECT = "connect", "First sync"
        COMMAND = "command", "Command"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Filtered out or malformed.")
    skip_reasons = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # "host:pid" of the process running it, so a run whose process is gone (kill -9) is seen at once.
    worker = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sync {self.pk} ({self.get_status_display()})"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class CalendarEventQuerySet(models.QuerySet):
    def active(self):
        """The one definition of an event Ruby still works with: not discarded by a user and still in the
        calendar (not removed or filtered out at the source)."""
        return self.filter(state=CalendarEvent.State.ACTIVE, removed_at__isnull=True)


class CalendarEvent(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCARDED = "discarded", "Discarded"

    class EventType(models.TextChoices):
        SINGLE = "singleInstance", "Single"
        OCCURRENCE = "occurrence", "Occurrence"
        EXCEPTION = "exception", "Changed occurrence"
        SERIES_MASTER = "seriesMaster", "Series"

    class OnlineProvider(models.TextChoices):
        TEAMS = "teams", "Microsoft Teams"
        ZOOM = "zoom", "Zoom"
        MEET = "meet", "Google Meet"
        WEBEX = "webex", "Webex"
        OTHER = "other", "Online"

    class Sensitivity(models.TextChoices):
        NORMAL = "normal", "Normal"
        PERSONAL = "personal", "Personal"
        PRIVATE = "private", "Private"
        CONFIDENTIAL = "confidential", "Confidential"

    class ShowAs(models.TextChoices):
        # Graph's showAs values, as Outlook words them.
        FREE = "free", "Free"
        TENTATIVE = "tentative", "Tentative"
        BUSY = "busy", "Busy"
        OOF = "oof", "Out of office"
        WORKING_ELSEWHERE = "workingElsewhere", "Working elsewhere"
        UNKNOWN = "unknown", "Unknown"

    PRIVATE_SENSITIVITIES = frozenset({Sensitivity.PERSONAL, Sensitivity.PRIVATE, Sensitivity.CONFIDENTIAL})

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="calendar_events")
    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE, related_name="events")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_events")
    provider_event_id = models.CharField(max_length=512)
    ical_uid = models.CharField(max_length=512, blank=True)
    series_master_id = models.CharField(max_length=512, blank=True)
    event_type = models.CharField(max_length=32, blank=True, choices=EventType.choices)
    subject = models.CharField(max_length=500, blank=True)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    is_all_day = models.BooleanField(default=False)
    location = models.CharField(max_length=500, blank=True)
    body_preview = models.CharField(max_length=255, blank=True)
    organizer_name = models.CharField(max_length=255, blank=True)
    organizer_email = models.CharField(max_length=320, blank=True)
    is_online = models.BooleanField(default=False)
    join_url = models.URLField(max_length=2048, blank=True)
    online_provider = models.CharField(max_length=32, blank=True, choices=OnlineProvider.choices)
    sensitivity = models.CharField(max_length=16, blank=True, choices=Sensitivity.choices)
    show_as = models.CharField(max_length=24, blank=True, choices=ShowAs.choices)
    is_cancelled = models.BooleanField(default=False)
    web_link = models.URLField(max_length=2048, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="Detects unchanged events on re-sync.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE, db_index=True)
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted or filtered in Outlook; hidden from the calendar."
    )
    # Why removed_at is set: "" = gone from Outlook (the sync), "internal" = hidden because the workspace's
    # internal domains now cover every attendee. Never shown as "Removed in Outlook" when internal.
    removed_reason = models.CharField(max_length=16, blank=True, default="")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="calendar_events"
    )
    deal = models.ForeignKey(Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="calendar_events")
    first_sync_run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_sync_run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CalendarEventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint("connection", "provider_event_id", name="event_connection_provider_id_unique")
        ]
        indexes = [models.Index(fields=["workspace", "starts_at"], name="event_workspace_start")]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} @ {self.starts_at:%Y-%m-%d %H:%M}"

    REMOVED_INTERNAL = "internal"

    @property
    def removed_label(self) -> str:
        """How the product names a removed meeting: the badge text ("Removed in Outlook" / "Hidden as internal")."""
        if not self.removed_at:
            return ""
        return "Hidden as internal" if self.removed_reason == self.REMOVED_INTERNAL else "Removed in Outlook"

    @property
    def is_discarded(self) -> bool:
        return self.state == self.State.DISCARDED

    @property
    def is_private(self) -> bool:
        return self.sensitivity in self.PRIVATE_SENSITIVITIES

    @property
    def is_recurring(self) -> bool:
        return bool(self.series_master_id) or self.event_type in (self.EventType.OCCURRENCE, self.EventType.EXCEPTION)


class EventAttendee(models.Model):
    class Response(models.TextChoices):
        NONE = "none", "No response"
        ORGANIZER = "organizer", "Organizer"
        ACCEPTED = "accepted", "Accepted"
        TENTATIVE = "tentativelyAccepted", "Tentative"
        DECLINED = "declined", "Declined"
        NOT_RESPONDED = "notResponded", "No response"

    class Type(models.TextChoices):
        REQUIRED = "required", "Required"
        OPTIONAL = "optional", "Optional"
        RESOURCE = "resource", "Resource"

    event = models.ForeignKey(CalendarEvent, on_delete=models.CASCADE, related_name="attendees")
    email = models.CharField(max_length=320, blank=True)
    name = models.CharField(max_length=255, blank=True)
    response = models.CharField(max_length=24, choices=Response.choices, default=Response.NONE)
    attendee_type = models.CharField(max_length=16, choices=Type.choices, default=Type.REQUIRED)
    is_organizer = models.BooleanField(default=False)
    is_internal = models.BooleanField(default=False)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="event_attendances"
    )

    class Meta:
        ordering = ["-is_organizer", "name", "email"]
        indexes = [models.Index(fields=["email"], name="attendee_email")]

    def __str__(self) -> str:
        return self.name or self.email


class EventActivity(models.Model):
    """The trail on a meeting page: discarded by X at T, restored, processed, assigned…"""

    class Action(models.TextChoices):
        SYNCED = "synced", "First synced"
        DISCARDED = "discarded", "Discarded"
        RESTORED = "restored", "Restored"
        PROCESSED = "processed", "Processed again"
        ASSIGNED = "assigned", "Assigned to deal"
        UNASSIGNED = "unassigned", "Unassigned from deal"
        TRANSCRIPT = "transcript", "Transcript matched"
        REMOVED = "removed", "Removed in Outlook"

    event = models.ForeignKey(CalendarEvent, on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "event activities"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


def _due(received):
    return received + timedelta(days=30)


class DataDeletionRequest(models.Model):
    """An emailed "Data Deletion — Outlook Calendar" request, done within 30 days (product doc §7, §11)."""

    class Kind(models.TextChoices):
        PURGE = "purge", "Purge (delete the data)"
        ANONYMISE = "anonymise", "Anonymise (keep counts, remove identity)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requester = models.CharField(max_length=320, help_text="Who asked (email address of the sender).")
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A Ruby user whose calendar data is to be deleted…",
    )
    subject_email = models.CharField(max_length=320, blank=True, help_text="…or an attendee's email address.")
    workspace = models.ForeignKey(
        Workspace,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Limit to one workspace (empty: all workspaces).",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PURGE)
    scope = models.TextField(blank=True, help_text="What was asked for, in the requester's words.")
    received_on = models.DateField(default=timezone.localdate)
    due_on = models.DateField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What was removed: counts only.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_on"]

    def __str__(self) -> str:
        return f"Deletion request {self.pk} (due {self.due_on})"

    def save(self, *args, **kwargs):
        if not self.due_on:
            self.due_on = _due(self.received_on)
        super().save(*args, **kwargs)

    @property
    def is_overdue(self) -> bool:
        return self.status != self.Status.DONE and self.due_on < timezone.localdate()


class SandboxGrant(models.Model):
    """The built-in Microsoft sandbox's memory of what a sandbox identity granted Ruby (DEBUG only).

    Sandbox tokens are signed and carry their grant generation; "revoke access" bumps the generation,
    so the next refresh in any process (web server or worker) fails with invalid_grant."""

    tenant_id = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    generation = models.PositiveIntegerField(default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant_id", "object_id", name="sandbox_grant_identity_unique")]

    def __str__(self) -> str:
        return f"Sandbox grant {self.tenant_id}/{self.object_id} (generation {self.generation})"


# The push inbox, the sandbox's subscriptions and dismissed suggestions live in their own modules (size limit).
from calendar_sync.models_push import PushNotification, SandboxEventChange, SandboxSubscription  # noqa: E402,F401
from calendar_sync.models_suggestions import SuggestionDismissal  # noqa: E402,F401
