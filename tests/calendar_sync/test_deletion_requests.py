"""Deletion requests: recorded, queued, run by the django-q2 task and closed with what was removed
(calendar_sync.services.deletion_requests, the task and the `deletion_requests` command)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from calendar_sync import tasks
from calendar_sync.models import CalendarEvent, DataDeletionRequest, SyncRun
from calendar_sync.services.deletion_requests import deletion_request_open, deletion_request_queue
from calendar_sync.services.erasure import PrivacyError, pseudonym_for
from ruby_site.models import AuditEntry
from tests.calendar_sync.privacy_data import alice_everywhere, connected_calendar, find_everywhere, subscription_graph

ALICE = "alice.moreau@client.example"


@pytest.fixture
def graph():
    with subscription_graph("sub-123") as rsps:
        yield rsps


def test_deletion_request_due_in_30_days_and_audited_without_email(user):
    request = deletion_request_open(
        by=user, requester=ALICE, subject_email="Alice.Moreau@client.example", received_on=dt.date(2026, 11, 1)
    )
    assert request.due_on == dt.date(2026, 12, 1)
    assert request.subject_email == ALICE
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETION_OPENED)
    assert entry.object_id == str(request.pk)
    assert "alice" not in f"{entry.reason} {entry.counts}".lower()


def test_deletion_request_needs_exactly_one_subject(user):
    message = "^A deletion request is about either a Ruby user or an attendee email address.$"
    with pytest.raises(PrivacyError, match=message):
        deletion_request_open(by=user, requester=user.email)
    with pytest.raises(PrivacyError, match=message):
        deletion_request_open(by=user, requester=user.email, subject_user=user, subject_email=ALICE)


def test_deletion_request_anonymise_runs_in_task_and_closes_with_counts(user, django_capture_on_commit_callbacks):
    alice_everywhere(user)
    request = deletion_request_open(by=user, requester=ALICE, subject_email=ALICE)
    with django_capture_on_commit_callbacks(execute=True):
        deletion_request_queue(deletion_request=request, kind="anonymise", by=user)
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.DONE
    assert request.completed_at is not None
    assert {k: v for k, v in request.result.items() if k != "completed_at"} == {
        "attendees": 3,
        "events_changed": 1,
        "activities_changed": 1,
        "transcripts_changed": 1,
        "deliveries_changed": 1,
        "crm_contacts_anonymised": 1,
        "action": "anonymise",
    }
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"deletion_opened", "anonymise", "deletion_closed"} <= actions
    # Not even the closed request names her: it keeps the pseudonym.
    assert find_everywhere([ALICE, "Alice Moreau"]) == []
    assert request.subject_email == pseudonym_for(ALICE)[0]
    assert AuditEntry.objects.get(action="anonymise").actor == user


def test_deletion_request_purge_of_attendee_closes_with_counts(user):
    alice_everywhere(user)
    request = deletion_request_open(by=user, requester=ALICE, subject_email=ALICE)

    tasks.deletion_request_run_task(request.pk, user.pk)

    request.refresh_from_db()
    assert {k: v for k, v in request.result.items() if k != "completed_at"} == {
        "attendees": 3,
        "events_changed": 1,
        "activities_changed": 1,
        "transcripts_changed": 1,
        "deliveries_changed": 1,
        "crm_contacts_deleted": 1,
        "action": "purge",
    }
    assert find_everywhere([ALICE, "Alice Moreau"]) == []


def test_deletion_request_purge_of_user_via_task(user, graph, django_capture_on_commit_callbacks):
    connected_calendar(user)
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    with django_capture_on_commit_callbacks(execute=True):
        deletion_request_queue(deletion_request=request, kind="purge", by=user)
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.DONE
    assert request.result["events"] == 3
    assert request.result["action"] == "purge"
    assert CalendarEvent.objects.count() == 0
    assert SyncRun.objects.count() == 0


def test_deletion_request_task_twice_is_harmless(user, graph):
    connected_calendar(user)
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    tasks.deletion_request_run_task(request.pk)
    first = DataDeletionRequest.objects.get(pk=request.pk)
    tasks.deletion_request_run_task(request.pk)
    second = DataDeletionRequest.objects.get(pk=request.pk)
    assert second.result == first.result and second.completed_at == first.completed_at
    assert AuditEntry.objects.filter(action="deletion_closed").count() == 1


def test_anonymise_is_refused_for_a_user_subject(user):
    with pytest.raises(PrivacyError):
        deletion_request_open(by=user, requester=user.email, subject_user=user, kind="anonymise")
    request = deletion_request_open(by=user, requester=user.email, subject_user=user)
    with pytest.raises(PrivacyError, match="Anonymise applies to an attendee email address; use Purge for a user."):
        deletion_request_queue(deletion_request=request, kind="anonymise", by=user)
    assert DataDeletionRequest.objects.get(pk=request.pk).status == DataDeletionRequest.Status.OPEN


def test_request_whose_user_was_deleted_fails_plainly(user):
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    user.delete()
    with pytest.raises(PrivacyError, match="^Give either a Ruby user or an attendee email address.$"):
        tasks.deletion_request_run_task(request.pk)
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.FAILED
    assert not AuditEntry.objects.filter(action="deletion_closed").exists()


def test_deletion_requests_overdue_command_lists_only_overdue(user):
    late = deletion_request_open(
        by=user,
        requester="a@x.example",
        subject_email="a@x.example",
        received_on=timezone.localdate() - dt.timedelta(days=40),
    )
    deletion_request_open(by=user, requester="b@x.example", subject_email="b@x.example")
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("deletion_requests", "--overdue", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"#{late.pk}\t")
    assert "10 day(s) overdue" in lines[0]
    assert "a@x.example" not in out.getvalue()


def test_deletion_requests_command_without_overdue_is_quiet_when_none(db):
    out = StringIO()
    call_command("deletion_requests", "--overdue", stdout=out)
    assert out.getvalue() == "No overdue deletion requests.\n"


def test_overdue_flag_on_model(user):
    late = deletion_request_open(
        by=user,
        requester="a@x.example",
        subject_email="a@x.example",
        received_on=timezone.localdate() - dt.timedelta(days=31),
    )
    assert late.is_overdue
