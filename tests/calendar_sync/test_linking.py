import pytest

from calendar_sync.models import CalendarEvent
from calendar_sync.services.linking import link_events
from tests.factories import AccountFactory, AttendeeFactory, ConnectionFactory, ContactFactory, EventFactory


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user)


def test_attendee_email_links_to_contact_in_any_letter_case(workspace, connection):
    contact = ContactFactory(workspace=workspace, email="dana@northwind.example")
    event = EventFactory(connection=connection)
    attendee = AttendeeFactory(event=event, email="Dana@Northwind.example")
    attendee.email = attendee.email.lower()  # sync stores emails lower-cased
    attendee.save()

    link_events(workspace=workspace, event_ids=[event.pk])

    attendee.refresh_from_db()
    assert attendee.contact == contact


def test_external_domain_links_event_to_its_account(workspace, connection):
    account = AccountFactory(workspace=workspace, domain="northwind.example")
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="lee@northwind.example")

    summary = link_events(workspace=workspace, event_ids=[event.pk])

    event.refresh_from_db()
    assert event.account == account
    assert summary.accounts_set == 1


def test_two_indicated_accounts_leave_event_account_empty(workspace, connection):
    AccountFactory(workspace=workspace, domain="northwind.example")
    AccountFactory(workspace=workspace, domain="contoso.example")
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="lee@northwind.example")
    AttendeeFactory(event=event, email="kim@contoso.example")

    link_events(workspace=workspace, event_ids=[event.pk])

    event.refresh_from_db()
    assert event.account is None


def test_internal_attendees_never_indicate_an_account(workspace, connection):
    AccountFactory(workspace=workspace, domain="ruby-demo.example")
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="mia@ruby-demo.example", is_internal=True)

    link_events(workspace=workspace, event_ids=[event.pk])

    event.refresh_from_db()
    assert event.account is None


def test_contacts_account_wins_over_a_free_mail_domain(workspace, connection):
    account = AccountFactory(workspace=workspace, domain="northwind.example")
    ContactFactory(workspace=workspace, email="dana.personal@gmail.com", account=account)
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="dana.personal@gmail.com")

    link_events(workspace=workspace, event_ids=[event.pk])

    event.refresh_from_db()
    assert event.account == account


def test_linking_never_assigns_a_deal(workspace, connection):
    account = AccountFactory(workspace=workspace, domain="northwind.example")
    from tests.factories import DealFactory

    DealFactory(workspace=workspace, account=account)
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="lee@northwind.example")

    link_events(workspace=workspace, event_ids=[event.pk])

    event.refresh_from_db()
    assert event.deal is None


def test_discarded_events_are_not_linked(workspace, connection):
    AccountFactory(workspace=workspace, domain="northwind.example")
    event = EventFactory(connection=connection, state=CalendarEvent.State.DISCARDED)
    AttendeeFactory(event=event, email="lee@northwind.example")

    link_events(workspace=workspace, event_ids=[event.pk])

    event.refresh_from_db()
    assert event.account is None


def test_another_workspaces_contacts_are_never_linked(workspace, other_workspace, connection):
    ContactFactory(workspace=other_workspace, email="dana@northwind.example")
    event = EventFactory(connection=connection)
    attendee = AttendeeFactory(event=event, email="dana@northwind.example")

    link_events(workspace=workspace, event_ids=[event.pk])

    attendee.refresh_from_db()
    assert attendee.contact is None


def test_linking_runs_a_fixed_number_of_queries(workspace, connection, django_assert_max_num_queries):
    AccountFactory(workspace=workspace, domain="northwind.example")
    events = [EventFactory(connection=connection) for _ in range(30)]
    for event in events:
        AttendeeFactory(event=event, email="lee@northwind.example")

    with django_assert_max_num_queries(6):
        link_events(workspace=workspace, event_ids=[e.pk for e in events])
