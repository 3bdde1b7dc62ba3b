import pytest
import responses

from calendar_sync import auth, graph
from tests.calendar_sync.graph_fakes import FakeCalendar
from tests.factories import ConnectionFactory


@pytest.fixture
def graph_token(monkeypatch):
    """The MSAL boundary: a token, and a different one when a refresh is forced."""
    calls = []

    def fake(connection, *, force_refresh=False):
        calls.append(force_refresh)
        return "token-2" if force_refresh else "token-1"

    monkeypatch.setattr(auth, "get_access_token", fake)
    return calls


@pytest.fixture
def slept(monkeypatch):
    """Backoff costs no wall time; the delays Ruby chose are kept for assertions."""
    delays: list[float] = []
    monkeypatch.setattr(graph, "sleep", delays.append)
    return delays


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_graph(rsps, graph_token, slept):
    return FakeCalendar(rsps)


@pytest.fixture
def connection(user):
    return ConnectionFactory(user=user)
