import datetime as dt
import logging

import pytest
import responses
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from calendar_sync import tasks
from calendar_sync.models import (
    CalendarConnection,
    CalendarEvent,
    DataDeletionRequest,
    EventActivity,
    EventAttendee,
    SyncRun,
)
from calendar_sync.services import tokens
from calendar_sync.services.privacy import (
    PrivacyError,
    attendee_anonymise,
    calendar_data_purge,
    connection_disable,
    connection_reenable,
    deletion_request_open,
    deletion_request_queue,
    pseudonym_for,
)
from ruby_site.models import AuditEntry
from tests.calendar_sync.privacy_data import (
    ACCESS_TOKEN,
    GRAPH,
    REFRESH_TOKEN,
    connected_calendar,
    find_everywhere,
)
from tests.factories import AttendeeFactory, ConnectionFactory, ContactFactory, EventFactory, TranscriptFactory
from transcripts.models import Transcript, TranscriptDelivery

# The user's account itself (login, allauth address) is not calendar data and stays.
ACCOUNT_TABLES = {"ruby_site.User", "account.EmailAddress", "socialaccount.SocialAccount"}


@pytest.fixture(autouse=True)
def msal_boundary(monkeypatch):
    monkeypatch.setattr(tokens, "access_token_for", lambda connection, *, force_refresh=False: ACCESS_TOKEN)


@pytest.fixture
def graph():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.DELETE, f"{GRAPH}/v1.0/subscriptions/sub-123", status=204)
        yield rsps


# --- purge of a Ruby user ------------------------------------------------------------------------


def test_purge_of_user_removes_every_row_holding_their_calendar_data(user, member, graph):
    connection, events, transcript = connected_calendar(user)
    kept_connection, kept_events, _ = connected_calendar(
        member, subscription_id="", prefix="Orbit", token_cache='{"RefreshToken": "another-users-token"}'
    )
    needles = [user.email, REFRESH_TOKEN, ACCESS_TOKEN, "client-state-secret", "$deltatoken=abc"]
    for event in events:
        needles += [event.subject, event.location, event.body_preview, event.provider_event_id, event.ical_uid]
        needles += [a.email for a in event.attendees.all()] + [a.name for a in event.attendees.all()]
    assert find_everywhere(needles, skip=ACCOUNT_TABLES)  # the walk does see them before

    counts = calendar_data_purge(user=user)

    assert find_everywhere(needles, skip=ACCOUNT_TABLES) == []
    assert counts["events"] == 3 and counts["attendees"] == 3 and counts["sync_runs"] == 1
    assert CalendarEvent.objects.filter(connection=kept_connection).count() == len(kept_events)
    transcript.refresh_from_db()
    assert transcript.event_id is None and transcript.match_detail == {}


def test_purge_of_user_stops_their_connection(user, graph):
    connection, _, _ = connected_calendar(user)
    calendar_data_purge(user=user)
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert connection.token_cache == ""
    assert "deleted" in connection.status_reason


def test_purge_twice_is_harmless(user, graph):
    connected_calendar(user)
    calendar_data_purge(user=user)
    again = calendar_data_purge(user=user)
    assert again["events"] == 0 and again["sync_runs"] == 0 and again["token_caches"] == 0
    assert CalendarConnection.objects.filter(user=user).count() == 1


def test_purge_needs_exactly_one_subject(user):
    with pytest.raises(PrivacyError):
        calendar_data_purge()
    with pytest.raises(PrivacyError):
        calendar_data_purge(user=user, email="x@example.com")


def test_purge_detaches_ambiguous_candidates_pointing_at_purged_events(user, graph):
    _, events, _ = connected_calendar(user)
    other = EventFactory()
    ambiguous = TranscriptFactory(
        workspace=user.membership.workspace,
        match_status="ambiguous",
        match_candidates=[{"event_id": events[1].pk, "subject": events[1].subject}, {"event_id": other.pk}],
    )
    calendar_data_purge(user=user)
    ambiguous.refresh_from_db()
    assert ambiguous.match_candidates == [{"event_id": other.pk}]
    assert ambiguous.match_status == Transcript.MatchStatus.UNMATCHED


# --- attendee email: purge and anonymise -------------------------------------------------------


def _alice_everywhere(user):
    """Alice (an external attendee) appears in attendee rows, as organizer, in free text, in transcripts
    and in a raw transcript delivery."""
    connection, events, _ = connected_calendar(user, subscription_id="")
    ContactFactory(
        workspace=user.membership.workspace, email="alice.moreau@client.example", name="Alice Moreau", title="CFO"
    )
    AttendeeFactory(event=events[0], email="Alice.Moreau@Client.example", name="Alice Moreau")
    AttendeeFactory(event=events[1], email="alice.moreau@client.example", name="Alice Moreau")
    organised = EventFactory(
        connection=connection,
        organizer_email="alice.moreau@client.example",
        organizer_name="Alice Moreau",
        subject="Call with Alice Moreau",
        body_preview="Alice Moreau will share pricing; write to alice.moreau@client.example",
        location="Alice Moreau's office",
    )
    AttendeeFactory(event=organised, email="alice.moreau@client.example", name="Alice Moreau", is_organizer=True)
    EventActivity.objects.create(event=organised, action="assigned", detail="Assigned after Alice Moreau asked")
    workspace = user.membership.workspace
    transcript = TranscriptFactory(
        workspace=workspace,
        title="Pricing with Alice Moreau",
        participants=[
            {"name": "Alice Moreau", "email": "alice.moreau@client.example"},
            {"name": "Sam", "email": user.email},
        ],
        text="Alice Moreau: the budget is approved.\nSam: great, Alice Moreau.",
        match_candidates=[{"event_id": organised.pk, "attendees": ["alice.moreau@client.example"]}],
    )
    TranscriptDelivery.objects.create(
        workspace=workspace,
        source="zoom",
        body='{"participants": [{"name": "Alice Moreau", "email": "alice.moreau@client.example"}]}',
        body_sha256="x",
        transcript=transcript,
    )
    return transcript


def test_anonymise_leaves_no_trace_of_email_or_name_anywhere(user):
    _alice_everywhere(user)
    needles = ["alice.moreau@client.example", "Alice Moreau", "Moreau"]
    assert find_everywhere(needles)
    attendees_before = EventAttendee.objects.count()
    events_before = CalendarEvent.objects.count()

    attendee_anonymise(email="ALICE.MOREAU@client.example")

    assert find_everywhere(needles) == []
    assert EventAttendee.objects.count() == attendees_before
    assert CalendarEvent.objects.count() == events_before


def test_anonymise_uses_one_stable_pseudonym_everywhere(user):
    transcript = _alice_everywhere(user)
    attendee_anonymise(email="alice.moreau@client.example")
    email, name = pseudonym_for("alice.moreau@client.example")
    assert email.endswith("@anonymised.invalid") and name.startswith("Anonymised attendee ")
    assert EventAttendee.objects.filter(email=email, name=name).count() == 3
    assert CalendarEvent.objects.filter(organizer_email=email, organizer_name=name).count() == 1
    transcript.refresh_from_db()
    assert {"name": name, "email": email} in transcript.participants
    assert name in transcript.text


def test_anonymise_twice_is_harmless(user):
    _alice_everywhere(user)
    attendee_anonymise(email="alice.moreau@client.example")
    snapshot = sorted(EventAttendee.objects.values_list("email", "name"))
    again = attendee_anonymise(email="alice.moreau@client.example")
    assert again["attendees"] == 0 and again["transcripts_changed"] == 0
    assert sorted(EventAttendee.objects.values_list("email", "name")) == snapshot


def test_anonymise_gives_the_crm_contact_the_same_pseudonym_and_keeps_its_deals(user):
    from tests.factories import DealFactory

    contact = ContactFactory(
        workspace=user.membership.workspace, email="alice.moreau@client.example", name="Alice Moreau"
    )
    DealFactory(workspace=user.membership.workspace, account=contact.account)
    AttendeeFactory(email="alice.moreau@client.example", name="Alice Moreau", contact=contact)

    counts = attendee_anonymise(email="alice.moreau@client.example")

    contact.refresh_from_db()
    assert (contact.email, contact.name) == pseudonym_for("alice.moreau@client.example")
    assert counts["crm_contacts_anonymised"] == 1


def test_purge_of_an_attendee_email_deletes_their_crm_contact(user):
    from calendar_sync.services.privacy import calendar_data_purge
    from deals.models import Contact

    contact = ContactFactory(workspace=user.membership.workspace, email="alice.moreau@client.example")
    attendee = AttendeeFactory(email="alice.moreau@client.example", name="Alice Moreau", contact=contact)

    counts = calendar_data_purge(email="alice.moreau@client.example")

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert counts["crm_contacts_deleted"] == 1
    assert not type(attendee).objects.filter(email="alice.moreau@client.example").exists()


def test_purge_of_attendee_email_removes_rows_and_mentions(user):
    transcript = _alice_everywhere(user)
    events_before = CalendarEvent.objects.count()
    counts = calendar_data_purge(email="alice.moreau@client.example")
    assert counts["attendees"] == 3
    assert find_everywhere(["alice.moreau@client.example", "Alice Moreau"]) == []
    assert CalendarEvent.objects.count() == events_before
    transcript.refresh_from_db()
    assert [p["email"] for p in transcript.participants] == [user.email]


def test_attendee_purge_is_limited_to_the_workspace_when_given(user, outsider):
    AttendeeFactory(event__connection=ConnectionFactory(user=user), email="alice@client.example")
    theirs = EventFactory(connection__user=outsider)
    AttendeeFactory(event=theirs, email="alice@client.example")
    calendar_data_purge(email="alice@client.example", workspace=user.membership.workspace)
    assert EventAttendee.objects.filter(email="alice@client.example").count() == 1


# --- deletion requests through the django-q2 task ----------------------------------------------


def test_deletion_request_due_in_30_days_and_audited_without_email(user):
    request = deletion_request_open(
        by=user,
        requester="alice.moreau@client.example",
        subject_email="Alice.Moreau@client.example",
        received_on=dt.date(2026, 11, 1),
    )
    assert request.due_on == dt.date(2026, 12, 1)
    assert request.subject_email == "alice.moreau@client.example"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETION_OPENED)
    assert entry.object_id == str(request.pk)
    assert "alice" not in f"{entry.reason} {entry.counts}".lower()


def test_deletion_request_anonymise_runs_in_task_and_closes_with_counts(user, django_capture_on_commit_callbacks):
    _alice_everywhere(user)
    request = deletion_request_open(
        by=user, requester="alice.moreau@client.example", subject_email="alice.moreau@client.example"
    )
    with django_capture_on_commit_callbacks(execute=True):
        deletion_request_queue(deletion_request=request, kind="anonymise", by=user)
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.DONE
    assert request.completed_at is not None
    assert request.result["attendees"] == 3
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"deletion_opened", "anonymise", "deletion_closed"} <= actions
    # Not even the closed request names her: it keeps the pseudonym.
    assert find_everywhere(["alice.moreau@client.example", "Alice Moreau"]) == []
    assert request.subject_email == pseudonym_for("alice.moreau@client.example")[0]
    assert AuditEntry.objects.get(action="anonymise").actor == user


def test_deletion_request_purge_of_user_via_task(user, graph, django_capture_on_commit_callbacks):
    connected_calendar(user)
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    with django_capture_on_commit_callbacks(execute=True):
        deletion_request_queue(deletion_request=request, kind="purge", by=user)
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.DONE
    assert request.result["events"] == 3
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
    with pytest.raises(PrivacyError):
        deletion_request_queue(deletion_request=request, kind="anonymise", by=user)
    assert DataDeletionRequest.objects.get(pk=request.pk).status == DataDeletionRequest.Status.OPEN


def test_deletion_requests_overdue_command_lists_only_overdue(user):
    late = deletion_request_open(
        by=user,
        requester="a@x.example",
        subject_email="a@x.example",
        received_on=timezone.localdate() - dt.timedelta(days=40),
    )
    deletion_request_open(by=user, requester="b@x.example", subject_email="b@x.example")
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("deletion_requests", "--overdue", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"#{late.pk}\t")
    assert "10 day(s) overdue" in lines[0]
    assert "a@x.example" not in out.getvalue()


def test_deletion_requests_command_without_overdue_is_quiet_when_none(db):
    from io import StringIO

    out = StringIO()
    call_command("deletion_requests", "--overdue", stdout=out)
    assert "No overdue" in out.getvalue()


def test_overdue_flag_on_model(user):
    late = deletion_request_open(
        by=user,
        requester="a@x.example",
        subject_email="a@x.example",
        received_on=timezone.localdate() - dt.timedelta(days=31),
    )
    assert late.is_overdue


# --- support disable / re-enable --------------------------------------------------------------


def test_disable_requires_a_reason(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    with pytest.raises(PrivacyError):
        connection_disable(connection=connection, by=user, reason="   ")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_disable_sets_reason_the_user_sees_and_audits(user, graph):
    connection, _, _ = connected_calendar(user)
    connection_disable(connection=connection, by=user, reason="Requested by the customer's IT team")
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.DISABLED
    assert connection.status_reason == (
        "Disabled by Ruby support: Requested by the customer's IT team. Contact support@heyruby.io."
    )
    assert connection.subscription_id == "" and connection.delta_link == ""
    assert connection.token_cache  # kept so re-enable can resume
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DISABLE)
    assert entry.reason == "Requested by the customer's IT team"


def test_reenable_with_tokens_reconnects(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection_disable(connection=connection, by=user, reason="check")
    assert connection_reenable(connection=connection, by=user) is True
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED and connection.status_reason == ""
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REENABLE).count() == 1


def test_reenable_without_tokens_asks_to_reconnect(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection_disable(connection=connection, by=user, reason="check")
    CalendarConnection.objects.filter(pk=connection.pk).update(token_cache="")
    connection.refresh_from_db()
    connection_reenable(connection=connection, by=user)
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert "Connect Outlook Calendar again" in connection.status_reason


def test_reenable_of_connected_connection_changes_nothing(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    assert connection_reenable(connection=connection, by=user) is False
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REENABLE).exists()


def test_disabled_connection_reason_names_support_address(user):
    # The card (connection work) shows status_reason for a disabled connection; this is what it says.
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection_disable(connection=connection, by=user, reason="Paused at the customer's request")
    connection.refresh_from_db()
    assert "support@heyruby.io" in connection.status_reason


def test_card_extra_offers_disconnect_for_connected_and_disabled(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    for status in ("connected", "disabled"):
        connection.status = status
        html = render_to_string("calendar_sync/_card_extra.html", {"connection": connection})
        assert "Disconnect…" in html and "/settings/integrations/outlook/disconnect/" in html


def test_card_extra_offers_data_deletion_when_not_connected(user):
    connection, _, _ = connected_calendar(user, subscription_id="")
    connection.status = "not_connected"
    html = render_to_string("calendar_sync/_card_extra.html", {"connection": connection})
    assert "Delete my synced calendar data" in html and "Disconnect…" not in html


def test_card_extra_offers_disconnect_only_with_a_connection(user):
    assert "Disconnect" not in render_to_string("calendar_sync/_card_extra.html", {"connection": None})


# --- retention --------------------------------------------------------------------------------


def test_retention_clears_sync_state_of_not_connected_and_disabled(user, member, graph):
    gone, _, _ = connected_calendar(user)
    CalendarConnection.objects.filter(pk=gone.pk).update(status="not_connected")
    disabled, _, _ = connected_calendar(member, subscription_id="sub-9", prefix="Orbit")
    CalendarConnection.objects.filter(pk=disabled.pk).update(status="disabled")
    graph.add(responses.DELETE, f"{GRAPH}/v1.0/subscriptions/sub-9", status=404)

    counts = tasks.retention_task()

    gone.refresh_from_db()
    disabled.refresh_from_db()
    for conn in (gone, disabled):
        assert (conn.delta_link, conn.subscription_id, conn.subscription_client_state) == ("", "", "")
    assert gone.token_cache == ""  # Microsoft no longer accepts it
    assert disabled.token_cache  # kept for re-enable
    assert counts["sync_state_cleared"] == 2 and counts["token_caches_deleted"] == 1
    assert CalendarEvent.objects.count() == 6  # history is kept


def test_retention_leaves_connected_connections_alone(user):
    connection, _, _ = connected_calendar(user)
    with responses.RequestsMock():
        tasks.retention_task()
    connection.refresh_from_db()
    assert connection.subscription_id == "sub-123" and connection.delta_link and connection.token_cache


def test_retention_logs_overdue_requests_without_personal_data(user, caplog):
    caplog.set_level(logging.WARNING)
    late = deletion_request_open(
        by=user,
        requester="a@x.example",
        subject_email="a@x.example",
        received_on=timezone.localdate() - dt.timedelta(days=45),
    )
    counts = tasks.retention_task()
    assert counts["overdue_requests"] == 1
    assert f"#{late.pk}" in caplog.text and "a@x.example" not in caplog.text


def test_privacy_schedules_name_the_retention_task():
    from django.utils.module_loading import import_string

    specs = tasks.privacy_schedules()
    assert [s["name"] for s in specs] == ["calendar_sync.retention"]
    assert import_string(specs[0]["func"]) is tasks.retention_task


# --- the privacy page ------------------------------------------------------------------------


def test_privacy_page_states_reads_retention_deletion_and_read_only(client):
    body = client.get("/privacy/").content.decode()
    assert "read-only" in body
    assert "default calendar" in body and "Mail, Teams chat" in body
    assert "Data Deletion — Outlook Calendar" in body and "within 30 days" in body
    assert "support@heyruby.io" in body
    assert "kept while your connection is active" in body


def test_one_word_name_is_replaced_only_where_the_person_is_involved(user):
    AttendeeFactory(email="alice@client.example", name="Alice")
    theirs = TranscriptFactory(participants=[{"name": "Alice", "email": "alice@client.example"}], text="Alice: hi")
    someone_else = TranscriptFactory(participants=[{"name": "Alice", "email": "alice@other.example"}], text="Alice: yo")
    attendee_anonymise(email="alice@client.example")
    theirs.refresh_from_db()
    someone_else.refresh_from_db()
    assert "Alice" not in theirs.text
    assert someone_else.text == "Alice: yo"
    assert someone_else.participants == [{"name": "Alice", "email": "alice@other.example"}]


def test_full_name_and_email_are_replaced_even_in_unrelated_text(user):
    AttendeeFactory(email="alice.moreau@client.example", name="Alice Moreau")
    note = TranscriptFactory(text="We should invite Alice Moreau (alice.moreau@client.example) next time.")
    attendee_anonymise(email="alice.moreau@client.example")
    note.refresh_from_db()
    email, name = pseudonym_for("alice.moreau@client.example")
    assert note.text == f"We should invite {name} ({email}) next time."


def test_request_whose_user_was_deleted_fails_plainly(user):
    request = deletion_request_open(by=None, requester=user.email, subject_user=user)
    user.delete()
    with pytest.raises(PrivacyError):
        tasks.deletion_request_run_task(request.pk)
    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.FAILED
    assert not AuditEntry.objects.filter(action="deletion_closed").exists()
