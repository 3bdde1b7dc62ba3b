"""Accounts and contacts from the calendar: suggested after a sync, created with one click or automatically, and
linked to the existing meetings at once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from calendar_sync.models import CalendarEvent, SyncRun
from calendar_sync.selectors.events import events_visible_to
from calendar_sync.selectors.suggestions import name_from_domain, suggestions_from
from calendar_sync.services.sync import sync_connection
from deals.models import Account, Contact
from deals.services import account_create
from tests.calendar_sync.graph_fakes import graph_event, person
from tests.factories import AccountFactory, AttendeeFactory, ContactFactory, EventFactory

pytestmark = pytest.mark.django_db


def _week(start=None):
    start = start or datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    northwind = [person("dana@northwind.example", "Dana Whitfield"), person("lee@northwind.example", "Lee Park")]
    return [
        graph_event(id="nw-1", subject="Northwind discovery", start=start, attendees=northwind),
        graph_event(id="nw-2", subject="Northwind demo", start=start + timedelta(days=1), attendees=northwind),
        graph_event(
            id="nw-3",
            subject="Northwind pricing",
            start=start + timedelta(days=2),
            attendees=[person("ops@northwind.example", "Ops Team")],
        ),
        graph_event(
            id="free",
            subject="Coffee with a freelancer",
            start=start + timedelta(days=3),
            attendees=[person("jo.freelance@gmail.com", "Jo"), person("pat@outlook.com", "Pat")],
        ),
        graph_event(
            id="room",
            subject="Contoso visit",
            start=start + timedelta(days=4),
            attendees=[
                person("kim@contoso.example", "Kim Alvarez"),
                person("room-401@ruby-demo.example", "Room 4.01", kind="resource"),
            ],
        ),
    ]


def _sync(connection, fake_graph):
    fake_graph.events = _week()
    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)
    assert run.status == SyncRun.Status.SUCCEEDED
    return run


def test_a_synced_week_suggests_accounts_by_domain_with_meetings_and_people(workspace, connection, fake_graph):
    _sync(connection, fake_graph)

    found = suggestions_from(CalendarEvent.objects.all(), workspace=workspace)

    assert [(s.name, s.domain, s.meetings, len(s.people)) for s in found.accounts] == [
        ("Northwind", "northwind.example", 3, 3),
        ("Contoso", "contoso.example", 1, 1),
    ]


def test_free_mail_domains_are_never_suggested(workspace, connection, fake_graph):
    _sync(connection, fake_graph)

    found = suggestions_from(CalendarEvent.objects.all(), workspace=workspace)

    domains = {s.domain for s in found.accounts} | {s.domain for s in found.contacts}
    assert "gmail.com" not in domains and "outlook.com" not in domains


def test_external_attendees_are_suggested_as_contacts_with_their_names(workspace, connection, fake_graph):
    _sync(connection, fake_graph)

    found = suggestions_from(CalendarEvent.objects.all(), workspace=workspace)

    assert [(s.name, s.email, s.meetings) for s in found.contacts] == [
        ("Dana Whitfield", "dana@northwind.example", 2),
        ("Lee Park", "lee@northwind.example", 2),
        ("Kim Alvarez", "kim@contoso.example", 1),
        ("Ops Team", "ops@northwind.example", 1),
    ]


def test_a_domain_that_is_an_account_already_is_not_suggested(workspace, connection, fake_graph):
    AccountFactory(workspace=workspace, name="Northwind Traders", domain="northwind.example")
    _sync(connection, fake_graph)

    found = suggestions_from(CalendarEvent.objects.all(), workspace=workspace)

    assert [s.domain for s in found.accounts] == ["contoso.example"]
    dana = next(s for s in found.contacts if s.email == "dana@northwind.example")
    assert dana.account_name == "Northwind Traders"


def test_name_from_domain_capitalises_the_first_label():
    assert name_from_domain("blue-yonder.co.uk") == "Blue Yonder"


def test_creating_an_account_links_its_existing_meetings_at_once(workspace, connection):
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="dana@northwind.example")

    account = account_create(workspace=workspace, name="Northwind", domain="northwind.example")

    event.refresh_from_db()
    assert event.account == account


def test_editing_an_account_domain_moves_the_meetings_to_it(workspace, connection):
    account = AccountFactory(workspace=workspace, name="Northwind", domain="northwind.old")
    event = EventFactory(connection=connection)
    AttendeeFactory(event=event, email="dana@northwind.example")

    client = Client()
    client.force_login(connection.user)
    response = client.post(f"/deals/accounts/{account.pk}/edit/", {"name": "Northwind", "domain": "northwind.example"})

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.account == account


def test_creating_a_contact_in_the_form_links_the_attendee_at_once(workspace, connection, client):
    event = EventFactory(connection=connection)
    attendee = AttendeeFactory(event=event, email="dana@northwind.example")
    client.force_login(connection.user)

    client.post("/deals/contacts/new/", {"name": "Dana", "email": "dana@northwind.example"})

    attendee.refresh_from_db()
    assert attendee.contact == Contact.objects.get(email="dana@northwind.example")


def test_one_click_creates_the_suggested_account_and_links_meetings(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    response = client.post("/calendar/suggestions/accounts/", {"domain": "northwind.example"}, follow=True)

    account = Account.objects.get(workspace=workspace, domain="northwind.example")
    assert account.name == "Northwind"
    assert CalendarEvent.objects.filter(account=account).count() == 3
    assert "Account “Northwind” created; 3 meetings linked to it." in response.content.decode()


def test_one_click_creates_the_suggested_contact_under_its_account(workspace, connection, fake_graph, client):
    AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    client.post("/calendar/suggestions/contacts/", {"email": "dana@northwind.example"})

    contact = Contact.objects.get(workspace=workspace, email="dana@northwind.example")
    assert (contact.name, contact.account.domain) == ("Dana Whitfield", "northwind.example")
    assert contact.event_attendances.count() == 2


def test_the_suggestions_page_lists_the_account_line(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    body = client.get("/calendar/suggestions/").content.decode()

    assert "<strong>Northwind</strong> — northwind.example — 3 meetings, 3 people" in body


def test_creating_a_suggestion_needs_a_post(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    assert client.get("/calendar/suggestions/accounts/?domain=northwind.example").status_code == 405


def test_creating_a_suggestion_needs_the_csrf_token(workspace, connection, fake_graph):
    _sync(connection, fake_graph)
    client = Client(enforce_csrf_checks=True)
    client.force_login(connection.user)

    assert client.post("/calendar/suggestions/accounts/", {"domain": "northwind.example"}).status_code == 403


def test_a_user_of_another_workspace_gets_404_for_a_suggestion(workspace, connection, fake_graph, outsider_client):
    _sync(connection, fake_graph)

    response = outsider_client.post("/calendar/suggestions/accounts/", {"domain": "northwind.example"})

    assert response.status_code == 404
    assert not Account.objects.filter(domain="northwind.example").exists()


def test_suggestions_only_come_from_meetings_the_user_may_see(workspace, connection, fake_graph, other_member):
    _sync(connection, fake_graph)

    found = suggestions_from(events_visible_to(other_member), workspace=workspace)

    assert found.count == 0


def test_create_automatically_makes_accounts_and_contacts_after_the_sync(workspace, connection, fake_graph):
    workspace.auto_create_from_calendar = True
    workspace.save()

    _sync(connection, fake_graph)

    assert set(Account.objects.filter(workspace=workspace).values_list("domain", flat=True)) == {
        "northwind.example",
        "contoso.example",
    }
    assert Contact.objects.filter(workspace=workspace).count() == 4
    assert CalendarEvent.objects.filter(account__domain="northwind.example").count() == 3
    assert not Contact.objects.filter(email__endswith="@gmail.com").exists()


def test_a_known_contact_is_not_suggested(workspace, connection, fake_graph):
    ContactFactory(workspace=workspace, email="kim@contoso.example")
    _sync(connection, fake_graph)

    found = suggestions_from(CalendarEvent.objects.all(), workspace=workspace)

    assert "kim@contoso.example" not in {s.email for s in found.contacts}
    assert "contoso.example" in {s.domain for s in found.accounts}
