"""Admin of the live-updates models (issue 12): look-up only. Imported by calendar_sync.admin."""

from django.contrib import admin

from calendar_sync.models import PushNotification, SandboxEventChange, SandboxSubscription


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PushNotification)
class PushNotificationAdmin(_ReadOnly):
    """Accepted change notifications waiting for the worker (normally for a few seconds only)."""

    list_display = ("connection", "kind", "received_at", "claimed_at")
    list_filter = ("kind", ("claimed_at", admin.EmptyFieldListFilter))


@admin.register(SandboxSubscription)
class SandboxSubscriptionAdmin(_ReadOnly):
    """The development sandbox's subscriptions (never the clientState)."""

    list_display = ("subscription_id", "tenant_id", "object_id", "notification_url", "expires_at")
    list_filter = ("resource",)
    exclude = ("client_state",)
    search_fields = ("subscription_id", "tenant_id", "object_id")


@admin.register(SandboxEventChange)
class SandboxEventChangeAdmin(_ReadOnly):
    list_display = ("tenant_id", "object_id", "subject", "changed_at")
    list_filter = ("changed_at",)
