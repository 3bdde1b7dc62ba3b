from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.text import Truncator

from ruby_site.models import AuditEntry, Invitation, Membership, User, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "workspace_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "membership__workspace"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["membership__workspace"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "time_zone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [MembershipInline]

    @admin.display(description="Workspace")
    def workspace_name(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.workspace.name if membership else "—"


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "sync_interval_minutes", "event_visibility", "created_at"]
    list_filter = ["sync_interval_minutes", "event_visibility"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "workspace__name"]
    list_select_related = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "created_at", "accepted_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["email", "workspace__name"]
    exclude = ["token"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, so nobody adds, changes or deletes entries here."""

    # Compact columns so the reason stays on screen beside the filter sidebar (actor label is a filter).
    list_display = ["created_at", "action", "actor", "workspace", "object_label", "short_reason"]
    list_filter = ["action", "actor_label", "workspace", "created_at"]
    search_fields = ["object_id", "reason", "actor__email"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    @admin.display(description="Object", ordering="object_type")
    def object_label(self, obj):
        return f"{obj.object_type.rsplit('.', 1)[-1]} #{obj.object_id}" if obj.object_type else "—"

    @admin.display(description="Reason")
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(90)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
