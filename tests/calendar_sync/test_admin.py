import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from calendar_sync.models import CalendarConnection, DataDeletionRequest
from calendar_sync.services.deletion_requests import deletion_request_open
from ruby_site.models import AuditEntry
from tests.calendar_sync.privacy_data import ACCESS_TOKEN, REFRESH_TOKEN, connected_calendar
from tests.factories import UserFactory

CHANGELIST = "admin:calendar_sync_calendarconnection_changelist"
REQUESTS = "admin:calendar_sync_datadeletionrequest_changelist"


@pytest.fixture
def support(db):
    """A staff user in the "Ruby support" group — not a superuser."""
    call_command("setup_support_group", verbosity=0)
    staff = UserFactory(email="support@ruby.example", is_staff=True, workspace=False)
    staff.save()  # keep the factory's password so the session hash stays valid
    staff.groups.add(Group.objects.get(name="Ruby support"))
    return staff


@pytest.fixture
def support_client(client, support):
    client.force_login(support)
    return client


@pytest.fixture
def viewer_client(client, db):
    """Staff who may look at connections and requests but lacks the support permission."""
    staff = UserFactory(email="viewer@ruby.example", is_staff=True, workspace=False)
    staff.save()
    for codename in ("view_calendarconnection", "view_datadeletionrequest", "change_datadeletionrequest"):
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(staff)
    return client


def _disable(client, connection, reason):
    url = reverse(CHANGELIST)
    data = {"action": "disable_connections", "_selected_action": [connection.pk]}
    if reason is not None:
        data.update(apply="1", reason=reason)
    return client.post(url, data)


def test_support_group_exists_after_migrate_without_the_command(db):
    group = Group.objects.get(name="Ruby support")
    assert group.permissions.filter(codename="support_connection").exists()


def test_support_group_command_grants_support_permission_without_superuser(support):
    assert not support.is_superuser
    assert support.has_perm("calendar_sync.support_connection")
    assert support.has_perm("ruby_site.view_auditentry")
    assert not support.has_perm("ruby_site.delete_auditentry")


def test_support_finds_a_users_connection_by_email(support_client, user):
    connected_calendar(user)
    response = support_client.get(reverse(CHANGELIST), {"q": "sam@ruby-demo"})
    assert response.status_code == 200
    assert "sam@ruby-demo.example" in response.content.decode()


def test_connection_page_shows_identity_runs_and_errors_never_tokens(support_client, user):
    connection, _, _ = connected_calendar(user)
    CalendarConnection.objects.filter(pk=connection.pk).update(last_error="Microsoft Graph is busy")
    response = support_client.get(reverse("admin:calendar_sync_calendarconnection_change", args=[connection.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert connection.tenant_id in body and connection.object_id in body
    assert "Latest sync runs" in body and "Succeeded" in body
    assert "Microsoft Graph is busy" in body
    for secret in (REFRESH_TOKEN, ACCESS_TOKEN, "client-state-secret", "deltatoken", "token_cache"):
        assert secret not in body


def test_disable_action_asks_for_a_reason_first(support_client, user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    response = _disable(support_client, connection, None)
    assert response.status_code == 200
    assert "Reason" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_disable_action_refuses_an_empty_reason(support_client, user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    response = _disable(support_client, connection, "  ")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_support_disables_and_reenables_with_audit(support_client, support, user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    response = _disable(support_client, connection, "Customer asked to pause")
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.DISABLED
    assert "Customer asked to pause" in connection.status_reason

    support_client.post(reverse(CHANGELIST), {"action": "reenable_connections", "_selected_action": [connection.pk]})
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED
    actions = list(AuditEntry.objects.filter(actor=support).values_list("action", flat=True))
    assert sorted(actions) == ["disable", "reenable"]


def test_staff_without_support_permission_cannot_disable(viewer_client, user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    page = viewer_client.get(reverse(CHANGELIST)).content.decode()
    assert "disable_connections" not in page
    _disable(viewer_client, connection, "sneaky")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert not AuditEntry.objects.filter(action="disable").exists()


def test_staff_without_support_permission_cannot_run_deletion_actions(viewer_client, user):
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    viewer_client.post(reverse(REQUESTS), {"action": "purge_requests", "_selected_action": [request.pk], "apply": "1"})
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.OPEN


def test_admin_edit_of_connection_is_audited_with_field_names(support_client, support, user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    url = reverse("admin:calendar_sync_calendarconnection_change", args=[connection.pk])
    response = support_client.post(url, {"sync_private": "on"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADMIN_CHANGE)
    assert entry.actor == support and entry.reason == "Changed: sync_private"


def test_support_records_a_deletion_request_with_due_date(support_client, support):
    response = support_client.post(
        reverse("admin:calendar_sync_datadeletionrequest_add"),
        {
            "requester": "alice@client.example",
            "subject_email": "Alice@Client.example",
            "kind": "purge",
            "scope": "All my meeting data",
            "received_on": "2026-11-02",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = DataDeletionRequest.objects.get()
    assert str(request.due_on) == "2026-12-02"
    assert request.created_by == support and request.subject_email == "alice@client.example"
    assert AuditEntry.objects.filter(action="deletion_opened", object_id=str(request.pk)).exists()


def test_deletion_request_needs_exactly_one_subject(support_client):
    response = support_client.post(
        reverse("admin:calendar_sync_datadeletionrequest_add"),
        {"requester": "x@client.example", "kind": "purge", "received_on": "2026-11-02"},
    )
    assert response.status_code == 200
    assert "exactly one" in response.content.decode()
    assert not DataDeletionRequest.objects.exists()


def test_overdue_request_is_highlighted_in_the_list(support_client, user):
    deletion_request_open(
        by=None, requester="a@x.example", subject_email="a@x.example", received_on=datetime.date(2020, 1, 1)
    )
    body = support_client.get(reverse(REQUESTS)).content.decode()
    assert "overdue" in body and "#a8231f" in body


def test_support_purges_from_the_admin_through_the_task(support_client, user, django_capture_on_commit_callbacks):
    connected_calendar(user, subscription_id="")
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(
            reverse(REQUESTS), {"action": "purge_requests", "_selected_action": [request.pk], "apply": "1"}
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.DONE and request.result["events"] == 3


def test_anonymise_action_on_user_subject_explains_and_changes_nothing(support_client, user):
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    response = support_client.post(
        reverse(REQUESTS), {"action": "anonymise_requests", "_selected_action": [request.pk], "apply": "1"}, follow=True
    )
    assert "use Purge for a user" in response.content.decode()
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.OPEN


def test_audit_entries_cannot_be_changed_or_deleted_from_the_admin(admin_client, user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    from calendar_sync.services.lifecycle import connection_disable

    connection_disable(connection=connection, by=user, reason="test")
    entry = AuditEntry.objects.get()
    change = reverse("admin:ruby_site_auditentry_change", args=[entry.pk])
    delete = reverse("admin:ruby_site_auditentry_delete", args=[entry.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="_save"' not in page
    admin_client.post(change, {"reason": "rewritten"})
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(
        reverse("admin:ruby_site_auditentry_changelist"), {"action": "delete_selected", "_selected_action": [entry.pk]}
    )
    assert admin_client.get(reverse("admin:ruby_site_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get().reason == "test"


def test_non_staff_user_cannot_reach_any_admin_page(user_client, user):
    from django.contrib import admin

    connection, _, _ = connected_calendar(user, subscription_id="")
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
    urls.append(reverse("admin:calendar_sync_calendarconnection_change", args=[connection.pk]))
    for url in urls:
        response = user_client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/admin/login/"), url
    response = user_client.post(
        reverse(CHANGELIST),
        {"action": "disable_connections", "_selected_action": [connection.pk], "apply": "1", "reason": "x"},
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_no_token_on_any_admin_page(admin_client, user):
    connection, events, _ = connected_calendar(user)
    from django.contrib import admin

    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(reverse("admin:{}_{}_changelist".format(*info)))
        obj = model._base_manager.first()
        if obj is not None:
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
    for url in pages:
        body = admin_client.get(url).content.decode()
        for secret in (REFRESH_TOKEN, ACCESS_TOKEN, "client-state-secret"):
            assert secret not in body, url


def test_done_attendee_request_is_found_by_the_original_email(support_client, support):
    from calendar_sync.tasks import deletion_request_run_task

    request = deletion_request_open(
        by=support, requester="alice@client.example", subject_email="alice@client.example", scope="From Alice"
    )
    deletion_request_run_task(request.pk, support.pk)
    request.refresh_from_db()
    assert request.subject_email.endswith("@anonymised.invalid") and "alice" not in request.requester
    body = support_client.get(reverse(REQUESTS), {"q": "Alice@client.example"}).content.decode()
    assert f"/{request.pk}/change/" in body


def test_synced_events_cannot_be_edited_or_deleted_in_the_admin(admin_client, db):
    from tests.factories import AttendeeFactory

    attendee = AttendeeFactory()
    event = attendee.event

    page = admin_client.get(f"/admin/calendar_sync/calendarevent/{event.pk}/change/")
    admin_client.post(f"/admin/calendar_sync/calendarevent/{event.pk}/change/", {"subject": "Edited"})

    assert page.status_code == 200  # viewable
    event.refresh_from_db()
    assert event.subject != "Edited"
    assert admin_client.post(f"/admin/calendar_sync/eventattendee/{attendee.pk}/delete/").status_code == 403


def test_sync_runs_cannot_be_added_by_hand_in_the_admin(admin_client):
    response = admin_client.get(reverse("admin:calendar_sync_syncrun_add"))

    assert response.status_code == 403
