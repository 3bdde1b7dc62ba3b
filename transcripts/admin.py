from django.contrib import admin, messages

from transcripts.models import TeamsMeetingCheck, TeamsTranscriptGrant, Transcript, TranscriptDelivery, TranscriptSource
from transcripts.services.deliveries import transcript_delivery_retry


@admin.register(TranscriptSource)
class TranscriptSourceAdmin(admin.ModelAdmin):
    list_display = ["workspace", "source", "state", "secret_rotated_at", "last_delivery_at"]
    list_filter = ["source", "state"]
    search_fields = ["workspace__name"]
    exclude = ["secret", "previous_secret", "credentials"]


@admin.register(TranscriptDelivery)
class TranscriptDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "workspace", "source", "status", "attempts", "next_attempt_at", "error"]
    list_filter = ["status", "source"]
    exclude = ["body"]
    raw_id_fields = ["transcript"]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed deliveries")
    def retry(self, request, queryset):
        retried = sum(transcript_delivery_retry(delivery=d) for d in queryset)
        skipped = queryset.count() - retried
        self.message_user(
            request,
            f"{retried} delivery(ies) queued again" + (f"; {skipped} not failed, left alone." if skipped else "."),
            messages.SUCCESS,
        )


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "started_at", "match_status", "match_score", "event", "deal", "workspace"]
    list_filter = ["source", "match_status", "match_how", "workspace"]
    search_fields = ["title", "external_id"]
    raw_id_fields = ["event", "deal", "matched_by"]


@admin.register(TeamsTranscriptGrant)
class TeamsTranscriptGrantAdmin(admin.ModelAdmin):
    """Support sees the state and the identity, never the token cache."""

    list_display = ["user", "workspace", "status", "connected_at", "last_checked_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["user__email", "tenant_id", "object_id"]
    exclude = ["token_cache"]
    readonly_fields = ["user", "workspace", "tenant_id", "object_id", "connected_at", "last_checked_at"]


@admin.register(TeamsMeetingCheck)
class TeamsMeetingCheckAdmin(admin.ModelAdmin):
    list_display = ["event", "grant", "outcome", "attempts", "checked_at", "transcript"]
    list_filter = ["outcome"]
    raw_id_fields = ["event", "grant", "transcript"]
