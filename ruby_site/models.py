from __future__ import annotations

import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person who logs in with their email address (unique whatever the letter case)."""

    username = None
    email = models.EmailField(
        "email address", unique=True, error_messages={"unique": "A user with this email already exists."}
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # The calendar's layout, remembered per user: "list" (day by day) or "week" (the grid).
    calendar_layout = models.CharField(max_length=8, default="list", choices=[("list", "List"), ("week", "Week")])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Workspace(models.Model):
    class Visibility(models.TextChoices):
        OWNER_AND_DEAL_TEAM = "owner_and_deal_team", "Event owner and the assigned deal's team"
        WORKSPACE = "workspace", "Everyone in the workspace"

    class SyncInterval(models.IntegerChoices):
        OFF = 0, "Off — manual sync only"
        EVERY_15_MINUTES = 15, "Every 15 minutes"
        HOURLY = 60, "Every hour"
        EVERY_6_HOURS = 360, "Every 6 hours"
        DAILY = 1440, "Daily"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    internal_domains = models.JSONField(default=list, blank=True, help_text="Your organisation's email domains.")
    sync_interval_minutes = models.PositiveIntegerField(choices=SyncInterval.choices, default=SyncInterval.HOURLY)
    event_visibility = models.CharField(
        max_length=32, choices=Visibility.choices, default=Visibility.OWNER_AND_DEAL_TEAM
    )
    auto_create_from_calendar = models.BooleanField(
        "Create accounts and contacts from the calendar automatically",
        default=False,
        help_text="After each sync, external companies and people in your meetings become accounts and contacts "
        "(free-mail addresses never). Otherwise Ruby suggests them and you create them with one click.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user belongs to exactly one workspace (joining another means being invited before signing up)."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("email"), condition=models.Q(accepted_at__isnull=True), name="invitation_open_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries are append-only.")

    def delete(self):
        raise PermissionError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """Append-only record of every connect/disconnect and every support action.

    Holds ids, counts and plain reasons only — never tokens, never the personal data a purge
    removed (the object is described by type and id, not by its email).
    """

    class Action(models.TextChoices):
        CONNECT = "connect", "Connected"
        RECONNECT = "reconnect", "Reconnected"
        CONNECT_REFUSED = "connect_refused", "Connection refused"
        DISCONNECT = "disconnect", "Disconnected"
        ACCESS_LOST = "access_lost", "Access lost"
        DISABLE = "disable", "Disabled by support"
        REENABLE = "reenable", "Re-enabled by support"
        PURGE = "purge", "Purged"
        ANONYMISE = "anonymise", "Anonymised"
        DELETION_OPENED = "deletion_opened", "Deletion request opened"
        DELETION_CLOSED = "deletion_closed", "Deletion request closed"
        ADMIN_CHANGE = "admin_change", "Changed in admin"

    class ActorKind(models.TextChoices):
        USER = "user", "User"
        SUPPORT = "support", "Support"
        SYSTEM = "system", "System"

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    actor_label = models.CharField(max_length=120, blank=True, editable=False, choices=ActorKind.choices)
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    action = models.CharField(max_length=32, choices=Action.choices, editable=False, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    reason = models.TextField(blank=True, editable=False)
    counts = models.JSONField(default=dict, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")
