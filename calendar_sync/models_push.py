"""Models of change notifications (issue 12): the push inbox, and the Microsoft sandbox's subscriptions and meeting
changes. Imported by calendar_sync.models; foreign keys by name so this module imports no other model module."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ruby_site.fields import StrictEncryptedTextField


class PushNotification(models.Model):
    """One accepted notification delivery for one connection: the webhook writes this row and nothing else;
    the worker coalesces a connection's rows into one sync and deletes them."""

    class Kind(models.TextChoices):
        CHANGE = "change", "Change"
        MISSED = "missed", "Missed notifications"
        REAUTHORIZE = "reauthorizationRequired", "Reauthorization required"
        REMOVED = "subscriptionRemoved", "Subscription removed"

    connection = models.ForeignKey(
        "calendar_sync.CalendarConnection", on_delete=models.CASCADE, related_name="push_notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.CHANGE)
    received_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Taken by the worker coalescing a burst.")

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["connection", "received_at"], name="push_connection_received")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for connection {self.connection_id} at {self.received_at:%H:%M:%S}"


class SandboxSubscription(models.Model):
    """A change-notification subscription the built-in Microsoft sandbox accepted (DEBUG only)."""

    subscription_id = models.CharField(max_length=64, unique=True)
    tenant_id = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    resource = models.CharField(max_length=200)
    change_type = models.CharField(max_length=100)
    notification_url = models.URLField(max_length=2048)
    lifecycle_url = models.URLField(max_length=2048, blank=True)
    client_state = StrictEncryptedTextField(blank=True, default="")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Sandbox subscription {self.subscription_id}"


class SandboxEventChange(models.Model):
    """A sandbox meeting changed with "Change a meeting": the sandbox calendar serves the new subject."""

    tenant_id = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    event_id = models.CharField(max_length=512)
    subject = models.CharField(max_length=500)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("tenant_id", "object_id", "event_id", name="sandbox_event_change_unique")
        ]

    def __str__(self) -> str:
        return f"Sandbox change of {self.event_id[:16]}…"
