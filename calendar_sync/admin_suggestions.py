"""Admin for dismissed calendar suggestions (issue 14): support staff see what a workspace dismissed."""

from django.contrib import admin

from calendar_sync.models import SuggestionDismissal


@admin.register(SuggestionDismissal)
class SuggestionDismissalAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "workspace", "dismissed_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("value", "workspace__name")
    raw_id_fields = ("workspace", "dismissed_by")
    readonly_fields = ("created_at",)
