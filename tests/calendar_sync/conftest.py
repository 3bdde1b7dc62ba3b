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
def graph_token(connection, rsps):
    """The MSAL boundary: the connection holds a valid cached access token ("token-1"); a refresh at
    Microsoft's token endpoint answers "token-2". Returns the refresh requests made, for assertions."""
    from tests.calendar_sync.connect_helpers import add_openid_configuration, give_token_cache, token_body, token_url

    give_token_cache(connection, access_token="token-1")
    add_openid_configuration(rsps)
    rsps.post(
        token_url(),
        json=token_body(
            tid=connection.tenant_id, oid=connection.object_id, access_token="token-2", refresh_token="rt-2"
        ),
    )
    return lambda: [call for call in rsps.calls if call.request.url == token_url()]


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
