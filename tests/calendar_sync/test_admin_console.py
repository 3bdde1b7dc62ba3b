"""Support console (issue 14): Disable / Re-enable on the connection's page, Purge and Anonymise confirmed with
what will be erased, the subject user picked by email (autocomplete), results in words."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from calendar_sync.admin_support import counts_in_words
from calendar_sync.models import CalendarConnection, DataDeletionRequest
from calendar_sync.services.deletion_requests import deletion_request_open
from tests.calendar_sync.privacy_data import connected_calendar
from tests.calendar_sync.test_admin import CHANGELIST, REQUESTS
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_client(client, db):
    call_command("setup_support_group", verbosity=0)
    staff = UserFactory(email="support@ruby.example", is_staff=True, workspace=False)
    staff.groups.add(Group.objects.get(name="Ruby support"))
    client.force_login(staff)
    return client


@pytest.fixture
def viewer_client(client, db):
    staff = UserFactory(email="viewer@ruby.example", is_staff=True, workspace=False)
    staff.user_permissions.add(Permission.objects.get(codename="view_calendarconnection"))
    client.force_login(staff)
    return client


def test_connection_page_has_a_disable_button_that_asks_for_the_reason(support_client, user):
    connection = ConnectionFactory(user=user)
    page = support_client.get(reverse("admin:calendar_sync_calendarconnection_change", args=[connection.pk]))
    body = page.content.decode()
    assert 'name="action" value="disable_connections"' in body and "Disable connection…" in body

    step = support_client.post(
        reverse(CHANGELIST), {"action": "disable_connections", "_selected_action": connection.pk}
    )

    assert step.status_code == 200 and "Reason:" in step.content.decode()
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_a_disabled_connection_page_offers_re_enable(support_client, user):
    connection = ConnectionFactory(user=user, status=CalendarConnection.Status.DISABLED)

    body = support_client.get(
        reverse("admin:calendar_sync_calendarconnection_change", args=[connection.pk])
    ).content.decode()

    assert 'value="reenable_connections"' in body and "Disable connection…" not in body


def test_staff_without_the_support_permission_get_no_buttons(viewer_client, user):
    connection = ConnectionFactory(user=user)

    body = viewer_client.get(
        reverse("admin:calendar_sync_calendarconnection_change", args=[connection.pk])
    ).content.decode()

    assert "disable_connections" not in body


def test_purge_asks_for_confirmation_showing_what_will_be_erased(support_client, user):
    connected_calendar(user, subscription_id="")
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)

    response = support_client.post(reverse(REQUESTS), {"action": "purge_requests", "_selected_action": [request.pk]})

    body = response.content.decode()
    assert response.status_code == 200 and "This cannot be undone." in body
    assert f"{user.email}: 3 meetings, " in body and "1 token will be removed." in body
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.OPEN


def test_anonymise_asks_for_confirmation_with_the_attendee_counts(support_client, user):
    event = EventFactory(connection=ConnectionFactory(user=user))
    AttendeeFactory(event=event, email="dana@northwind.example")
    request = deletion_request_open(by=None, requester="dana@northwind.example", subject_email="dana@northwind.example")

    body = support_client.post(
        reverse(REQUESTS), {"action": "anonymise_requests", "_selected_action": [request.pk]}
    ).content.decode()

    assert "dana@northwind.example: 1 attendee will be anonymised." in body
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.OPEN


def test_the_subject_user_is_chosen_by_email_with_autocomplete(support_client):
    body = support_client.get(reverse("admin:calendar_sync_datadeletionrequest_add")).content.decode()

    assert '<select name="subject_user"' in body and 'class="admin-autocomplete"' in body


def test_the_autocomplete_finds_the_user_by_email(support_client, user):
    response = support_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "calendar_sync",
            "model_name": "datadeletionrequest",
            "field_name": "subject_user",
            "term": "sam@",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["sam@ruby-demo.example"]


def test_results_are_said_in_words():
    words = counts_in_words({"events": 12, "attendees": 28, "token_caches": 1, "activities": 0})

    assert words == "12 meetings, 28 attendees and 1 token removed."


def test_changed_and_anonymised_counts_take_their_verb():
    words = counts_in_words({"attendees": 0, "events_changed": 2, "crm_contacts_anonymised": 1})

    assert words == "1 contact anonymised; 2 meetings changed."


def test_a_done_request_shows_its_result_in_words(support_client, user):
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    DataDeletionRequest.objects.filter(pk=request.pk).update(
        status=DataDeletionRequest.Status.DONE, result={"events": 12, "attendees": 28, "token_caches": 1}
    )

    body = support_client.get(
        reverse("admin:calendar_sync_datadeletionrequest_change", args=[request.pk])
    ).content.decode()

    assert "12 meetings, 28 attendees and 1 token removed." in body and "token_caches: 1" not in body
