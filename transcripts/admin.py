from django.contrib import admin, messages

from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource
from transcripts.services.ingest import transcript_delivery_retry


@admin.register(TranscriptSource)
class TranscriptSourceAdmin(admin.ModelAdmin):
    list_display = ["workspace", "source", "enabled", "secret_rotated_at", "last_delivery_at"]
    list_filter = ["source", "enabled"]
    search_fields = ["workspace__name"]
    exclude = ["secret", "previous_secret"]


@admin.register(TranscriptDelivery)
class TranscriptDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "workspace", "source", "status", "error", "transcript"]
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
