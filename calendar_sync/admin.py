from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from calendar_sync.admin_support import counts_in_words, erasure_preview
from calendar_sync.models import (
    CalendarConnection,
    CalendarEvent,
    DataDeletionRequest,
    EventActivity,
    EventAttendee,
    SandboxGrant,
    SyncRun,
)
from calendar_sync.services.deletion_requests import deletion_request_open, deletion_request_queue
from calendar_sync.services.erasure import PrivacyError, pseudonym_for
from calendar_sync.services.lifecycle import (
    connection_admin_change_record,
    connection_disable,
    connection_reenable,
)

SUPPORT_PERMISSION = "calendar_sync.support_connection"


class SupportActionsMixin:
    """Actions marked permissions=["support"] are offered only to staff holding the support permission."""

    def has_support_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perm(SUPPORT_PERMISSION)


class DisableConnectionForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Shown to the user on their Integrations page and kept in the audit trail. "
        "Do not include anyone's email address or other personal data.",
    )


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(SupportActionsMixin, admin.ModelAdmin):
    list_display = ["user", "workspace", "provider", "status", "email", "last_synced_at", "short_error"]
    list_filter = ["status", "provider", "workspace"]
    search_fields = ["user__email", "email", "tenant_id", "object_id"]
    list_select_related = ["user", "workspace"]
    actions = ["disable_connections", "reenable_connections"]
    # Never the token cache, delta link or subscription secret: they are not in `fields` at all.
    fields = [
        "user",
        "workspace",
        "provider",
        "status",
        "status_reason",
        "tenant_id",
        "object_id",
        "email",
        "server_url",
        "server_version",
        "server_auth",
        "sync_private",
        "sync_only_online",
        "connected_at",
        "disconnected_at",
        "last_synced_at",
        "last_error",
        "subscription_id",
        "subscription_expires_at",
        "latest_runs",
        "created_at",
        "updated_at",
    ]
    # Status changes go through the actions (reason required, audited), never a free edit.
    readonly_fields = [f for f in fields if f not in ("sync_private", "sync_only_online")]

    def has_add_permission(self, request):
        return False  # connections are made by the user's own Microsoft sign-in

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would cascade to history; a deletion request purges with a record

    @admin.display(description="Last error")
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(60) if obj.last_error else ""

    @admin.display(description="Latest sync runs")
    def latest_runs(self, obj):
        runs = list(obj.sync_runs.all()[:10]) if obj.pk else []
        if not runs:
            return "No sync runs yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(timezone.localtime(run.created_at), "SHORT_DATETIME_FORMAT"),
                    run.get_trigger_display(),
                    run.get_status_display(),
                    f"{run.fetched} fetched, {run.created} new, {run.updated} updated, {run.removed} removed",
                    run.duration or "",
                    Truncator(run.error).chars(200),
                )
                for run in runs
            ),
        )
        return format_html(
            "<table><thead><tr><th>When</th><th>Trigger</th><th>Status</th><th>Counts</th><th>Took</th>"
            "<th>Error</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_support": self.has_support_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            connection_admin_change_record(connection=obj, by=request.user, changed_fields=form.changed_data)

    @admin.action(description="Disable connection (reason required)", permissions=["support"])
    def disable_connections(self, request, queryset):
        form = DisableConnectionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for connection in queryset:
                connection_disable(connection=connection, by=request.user, reason=form.cleaned_data["reason"])
                done += 1
            self.message_user(request, f"Disabled {done} connection(s). Syncing has stopped for them.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Disable connections",
            "opts": self.model._meta,
            "connections": queryset.select_related("user", "workspace"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "disable_connections",
        }
        return TemplateResponse(request, "admin/calendar_sync/disable_connections.html", context)

    @admin.action(description="Re-enable connection", permissions=["support"])
    def reenable_connections(self, request, queryset):
        done = sum(1 for connection in queryset if connection_reenable(connection=connection, by=request.user))
        skipped = queryset.count() - done
        message = f"Re-enabled {done} connection(s)."
        if skipped:
            message += f" {skipped} were not disabled and were left as they are."
        self.message_user(request, message)


class SyncedDataReadOnly:
    """Synced meetings are Outlook's data: support reads them here and removes them only through
    deletion requests. Hand edits would also leave names and emails in Django's admin change log."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# A town hall has thousands of attendees: the event page shows the first ones and links to the paginated list
# (5,000 inline rows were 8.9 MB and 20 s to render).
ATTENDEE_INLINE_MAX = 50


class FirstAttendeesFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_first_attendees"):
            first = super().get_queryset().select_related("contact")[:ATTENDEE_INLINE_MAX]
            first._fetch_all()  # one query; the formset indexes it once per row
            self._first_attendees = first
        return self._first_attendees


class EventAttendeeInline(SyncedDataReadOnly, admin.TabularInline):
    model = EventAttendee
    formset = FirstAttendeesFormSet
    extra = 0
    fields = ["email", "name", "response", "attendee_type", "is_organizer", "is_internal", "contact"]
    readonly_fields = fields
    verbose_name_plural = f"attendees (the first {ATTENDEE_INLINE_MAX}; all of them under “Attendee list”)"


@admin.register(CalendarEvent)
class CalendarEventAdmin(SyncedDataReadOnly, admin.ModelAdmin):
    list_display = ["subject", "starts_at", "owner", "state", "removed_at", "account", "deal", "workspace"]
    list_filter = ["state", "is_cancelled", "is_online", "sensitivity", "workspace"]
    search_fields = ["subject", "organizer_email", "attendees__email", "provider_event_id"]
    date_hierarchy = "starts_at"
    list_select_related = ["owner", "account", "deal", "workspace"]
    inlines = [EventAttendeeInline]
    readonly_fields = ["attendee_list"]

    @admin.display(description="Attendee list")
    def attendee_list(self, obj):
        count = obj.attendees.count()
        url = reverse("admin:calendar_sync_eventattendee_changelist") + f"?event__id__exact={obj.pk}"
        return format_html('<a href="{}">All {} attendees, page by page</a>', url, f"{count:,}")


@admin.register(EventAttendee)
class EventAttendeeAdmin(SyncedDataReadOnly, admin.ModelAdmin):
    list_display = ["email", "name", "response", "is_internal", "event"]
    list_filter = ["response", "is_internal"]
    search_fields = ["email", "name"]
    list_select_related = ["event"]


@admin.register(EventActivity)
class EventActivityAdmin(SyncedDataReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "event", "detail"]
    list_filter = ["action"]
    search_fields = ["event__subject", "actor__email"]
    list_select_related = ["event", "actor"]


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

    def has_add_permission(self, request):  # runs are written by the sync only; a hand-made one would lie
        return False


class DataDeletionRequestForm(forms.ModelForm):
    class Meta:
        model = DataDeletionRequest
        fields = ["requester", "subject_user", "subject_email", "workspace", "kind", "scope", "received_on"]

    def clean_subject_email(self):
        return (self.cleaned_data.get("subject_email") or "").strip().lower()

    def clean(self):
        cleaned = super().clean()
        user, email = cleaned.get("subject_user"), cleaned.get("subject_email")
        if bool(user) == bool(email):
            raise forms.ValidationError("Give either a Ruby user or an attendee email address (exactly one).")
        if email and "@" not in email:
            self.add_error("subject_email", "Enter an email address.")
        if user and cleaned.get("kind") == DataDeletionRequest.Kind.ANONYMISE:
            self.add_error("kind", "Anonymise applies to an attendee email address; use Purge for a Ruby user.")
        return cleaned


@admin.register(DataDeletionRequest)
class DataDeletionRequestAdmin(SupportActionsMixin, admin.ModelAdmin):
    form = DataDeletionRequestForm
    list_display = ["pk", "subject", "kind_short", "received_on", "due", "status", "completed_at"]
    list_filter = ["status", "kind"]
    search_fields = ["requester", "subject_email", "subject_user__email"]
    # The subject user by email, with autocomplete (UserAdmin searches email and names).
    autocomplete_fields = ["subject_user", "workspace"]
    actions = ["purge_requests", "anonymise_requests"]
    readonly_fields = ["due_on", "status", "completed_at", "result_counts", "created_by", "created_at"]

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lower()
        if "@" in term:
            # Done attendee requests keep only the pseudonym; find them by the original address too.
            results |= queryset.filter(subject_email=pseudonym_for(term)[0])
        return results, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != DataDeletionRequest.Status.OPEN:
            # Once queued or done the request is a record: what was asked and what was done.
            return [*DataDeletionRequestForm.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # the request is the proof it was honoured

    @admin.display(description="Subject")
    def subject(self, obj):
        return f"User: {obj.subject_user}" if obj.subject_user_id else f"Attendee: {obj.subject_email}"

    @admin.display(description="Kind", ordering="kind")
    def kind_short(self, obj):
        return obj.kind.capitalize()

    @admin.display(description="Due", ordering="due_on")
    def due(self, obj):
        if obj.is_overdue:
            return format_html(
                '<span style="color:#fff;background:#a8231f;padding:1px 6px;border-radius:4px;font-weight:600">'
                "{} — overdue</span>",
                obj.due_on,
            )
        if obj.status != DataDeletionRequest.Status.DONE and obj.due_on <= timezone.localdate() + timedelta(days=7):
            return format_html('<span style="color:#8a5a00;font-weight:600">{} — due soon</span>', obj.due_on)
        return obj.due_on

    @admin.display(description="What was removed")
    def result_counts(self, obj):
        return counts_in_words(obj.result) if obj.result else "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {f: form.cleaned_data.get(f) for f in DataDeletionRequestForm.Meta.fields}
        created = deletion_request_open(by=request.user, **data)
        obj.pk = created.pk
        obj.due_on = created.due_on
        obj._state.adding = False

    def _queue(self, request, queryset, kind: str) -> None:
        queued, problems = 0, []
        for deletion_request in queryset:
            try:
                deletion_request_queue(deletion_request=deletion_request, kind=kind, by=request.user)
                queued += 1
            except PrivacyError as exc:
                problems.append(str(exc))
        if queued:
            self.message_user(
                request,
                f"Queued {queued} request(s). The worker runs them and closes each with what was removed.",
                messages.SUCCESS,
            )
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)

    def _confirm(self, request, queryset, kind: str, action: str, verb: str):
        """Nothing is queued until support has seen, per request, what will be erased and confirmed."""
        if "apply" in request.POST:
            self._queue(request, queryset, kind)
            return None
        previews = [
            {"request": r, "words": erasure_preview(r, kind=kind)} for r in queryset.select_related("subject_user")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb.capitalize()}: confirm",
            "opts": self.model._meta,
            "previews": previews,
            "verb": verb,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/calendar_sync/confirm_erasure.html", context)

    @admin.action(description="Purge the subject's calendar data…", permissions=["support"])
    def purge_requests(self, request, queryset):
        return self._confirm(request, queryset, DataDeletionRequest.Kind.PURGE, "purge_requests", "purge")

    @admin.action(description="Anonymise the attendee…", permissions=["support"])
    def anonymise_requests(self, request, queryset):
        return self._confirm(request, queryset, DataDeletionRequest.Kind.ANONYMISE, "anonymise_requests", "anonymise")


@admin.register(SandboxGrant)
class SandboxGrantAdmin(admin.ModelAdmin):
    """The development sandbox's grants: look-up only, so support can see whether access was revoked."""

    list_display = ("tenant_id", "object_id", "generation", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("tenant_id", "object_id")
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


from calendar_sync import admin_push, admin_suggestions  # noqa: E402,F401 - registers live updates, dismissals
