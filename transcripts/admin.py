from django.contrib import admin

from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource


@admin.register(TranscriptSource)
class TranscriptSourceAdmin(admin.ModelAdmin):
    list_display = ["workspace", "source", "state", "secret_rotated_at", "last_delivery_at"]
    list_filter = ["source", "state"]
    search_fields = ["workspace__name"]
    exclude = ["secret", "previous_secret", "credentials"]


@admin.register(TranscriptDelivery)
class TranscriptDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "workspace", "source", "status", "attempts", "next_attempt_at", "transcript"]
    list_filter = ["status", "source"]
    exclude = ["body"]
    raw_id_fields = ["transcript"]


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "started_at", "match_status", "match_score", "event", "deal", "workspace"]
    list_filter = ["source", "match_status", "match_how", "workspace"]
    search_fields = ["title", "external_id"]
    raw_id_fields = ["event", "deal", "matched_by"]
