"""A suggestion someone dismissed (issue 14): the calendar does not suggest this domain (as an account) or this email
(as a contact) to the workspace again. Imported by calendar_sync.models; foreign keys by name."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SuggestionDismissal(models.Model):
    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account (domain)"
        CONTACT = "contact", "Contact (email)"

    workspace = models.ForeignKey("ruby_site.Workspace", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="The domain or the email address, lower case.")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("workspace", "kind", "value", name="suggestion_dismissal_unique"),
        ]

    def __str__(self) -> str:
        return f"Dismissed {self.get_kind_display().lower()} suggestion {self.value}"
