"""Meetings for the calendar tests: an owner with a connection, a deal with a team, people around them."""

import pytest

from ruby_site.models import Membership
from tests.factories import (
    AccountFactory,
    AttendeeFactory,
    ConnectionFactory,
    DealFactory,
    EventFactory,
    UserFactory,
)


@pytest.fixture
def owner(workspace):
    return UserFactory(email="olivia@ruby-demo.example", workspace=workspace)


@pytest.fixture
def team_member(workspace):
    return UserFactory(email="theo@ruby-demo.example", workspace=workspace)


@pytest.fixture
def other_member(workspace):
    return UserFactory(email="oscar@ruby-demo.example", workspace=workspace)


@pytest.fixture
def admin(user):
    assert user.membership.role == Membership.Role.ADMIN
    return user


@pytest.fixture
def connection(owner):
    return ConnectionFactory(user=owner)


@pytest.fixture
def account(workspace):
    return AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")


@pytest.fixture
def deal(workspace, account, team_member):
    return DealFactory(workspace=workspace, account=account, name="Northwind expansion", team=[team_member])


@pytest.fixture
def event(connection, account):
    event = EventFactory(connection=connection, subject="Northwind discovery call", account=account)
    AttendeeFactory(
        event=event,
        email=connection.user.email,
        name="Olivia Owner",
        response="organizer",
        is_organizer=True,
        is_internal=True,
    )
    AttendeeFactory(event=event, email="nina@northwind.example", name="Nina Northwind", response="accepted")
    return event


@pytest.fixture
def deal_event(event, deal):
    """The meeting assigned to the deal, so the deal's team sees it."""
    event.deal = deal
    event.save(update_fields=["deal"])
    return event


# --- the sync engine's Microsoft boundary (tests/calendar_sync/test_sync*.py, test_graph_calendar.py) ---


@pytest.fixture
def graph_token(monkeypatch):
    """The MSAL boundary: a token, and a different one when a refresh is forced."""
    from calendar_sync import auth

    calls = []

    def fake(connection, *, force_refresh=False):
        calls.append(force_refresh)
        return "token-2" if force_refresh else "token-1"

    monkeypatch.setattr(auth, "get_access_token", fake)
    return calls


@pytest.fixture
def slept(monkeypatch):
    """Backoff costs no wall time; the delays Ruby chose are kept for assertions."""
    from calendar_sync import graph

    delays: list[float] = []
    monkeypatch.setattr(graph, "sleep", delays.append)
    return delays


@pytest.fixture
def rsps():
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_graph(rsps, graph_token, slept):
    from tests.calendar_sync.graph_fakes import FakeCalendar

    return FakeCalendar(rsps)
