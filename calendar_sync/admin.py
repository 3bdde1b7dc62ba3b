from django.contrib import admin

from calendar_sync.models import (
    CalendarConnection,
    CalendarEvent,
    DataDeletionRequest,
    EventActivity,
    EventAttendee,
    SyncRun,
)


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "provider", "status", "email", "last_synced_at"]
    list_filter = ["status", "provider", "workspace"]
    search_fields = ["user__email", "email", "tenant_id", "object_id"]
    list_select_related = ["user", "workspace"]
    # Never the token cache, delta link or subscription secret.
    exclude = ["token_cache", "delta_link", "subscription_client_state"]
    readonly_fields = [
        "user",
        "workspace",
        "provider",
        "tenant_id",
        "object_id",
        "email",
        "connected_at",
        "disconnected_at",
        "last_synced_at",
        "last_error",
        "subscription_id",
        "subscription_expires_at",
        "created_at",
        "updated_at",
    ]


class EventAttendeeInline(admin.TabularInline):
    model = EventAttendee
    extra = 0
    raw_id_fields = ["contact"]


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ["subject", "starts_at", "owner", "state", "removed_at", "account", "deal", "workspace"]
    list_filter = ["state", "is_cancelled", "is_online", "sensitivity", "workspace"]
    search_fields = ["subject", "organizer_email", "attendees__email", "provider_event_id"]
    date_hierarchy = "starts_at"
    list_select_related = ["owner", "account", "deal", "workspace"]
    raw_id_fields = ["connection", "owner", "account", "deal", "first_sync_run", "last_sync_run", "discarded_by"]
    inlines = [EventAttendeeInline]


@admin.register(EventAttendee)
class EventAttendeeAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "response", "is_internal", "event"]
    list_filter = ["response", "is_internal"]
    search_fields = ["email", "name"]
    raw_id_fields = ["event", "contact"]


@admin.register(EventActivity)
class EventActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "event", "detail"]
    list_filter = ["action"]
    raw_id_fields = ["event", "actor"]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "connection",
        "trigger",
        "status",
        "pages",
        "fetched",
        "created",
        "updated",
        "removed",
        "skipped",
        "duration",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["connection__user__email", "error"]
    list_select_related = ["connection__user"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "requester", "subject_user", "subject_email", "kind", "received_on", "due_on", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["requester", "subject_email", "subject_user__email"]
    raw_id_fields = ["subject_user", "workspace"]
