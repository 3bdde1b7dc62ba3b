import email.utils
import json
from datetime import UTC, datetime, timedelta

import pytest
import responses

from calendar_sync import graph
from tests.calendar_sync.graph_fakes import FakeCalendar, graph_event

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
END = START + timedelta(days=7)
URL = FakeCalendar.url


def pages(**kwargs):
    return list(graph.iter_calendar_view(access_token="token-1", start=START, end=END, **kwargs))


def test_request_carries_the_utc_window_select_top_and_prefer_headers(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event()])

    pages(page_size=250)

    request = fake.calls[0]
    assert request.params["startDateTime"] == "2026-11-23T00:00:00Z"
    assert request.params["endDateTime"] == "2026-11-30T00:00:00Z"
    assert request.params["$top"] == "250"
    assert request.params["$select"].split(",") == list(graph.CALENDAR_VIEW_SELECT)
    assert "body" not in request.params["$select"].split(",")
    assert request.headers["Prefer"] == 'outlook.timezone="UTC", odata.maxpagesize=250'
    assert request.headers["Authorization"] == "Bearer token-1"


def test_every_next_link_is_followed(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event(id=f"e{i}") for i in range(7)])

    result = pages(page_size=3)

    assert [len(p.events) for p in result] == [3, 3, 1]
    assert [e["id"] for p in result for e in p.events] == [f"e{i}" for i in range(7)]
    assert len(fake.calls) == 3 and "%24skip=6" in fake.calls[2].url


def test_fewer_events_than_asked_per_page_still_reaches_the_end(rsps, slept):
    FakeCalendar(rsps, [graph_event() for _ in range(5)], max_page=2)

    result = pages(page_size=1000)

    assert sum(len(p.events) for p in result) == 5 and len(result) == 3


def test_a_repeated_next_link_stops_with_an_error(rsps, slept):
    loop = f"{URL}?$skip=10"
    rsps.add(responses.GET, URL, json={"value": [graph_event()], "@odata.nextLink": loop})

    with pytest.raises(graph.GraphError) as caught:
        pages()

    assert caught.value.kind == graph.LINK_REPEATED


def test_a_next_link_to_another_host_is_refused(rsps, slept):
    rsps.add(responses.GET, URL, json={"value": [], "@odata.nextLink": "https://evil.example/steal"})

    with pytest.raises(graph.GraphError) as caught:
        pages()

    assert caught.value.kind == graph.LINK_ELSEWHERE


def test_a_next_link_spelling_the_graph_host_in_capitals_with_the_default_port_is_followed(rsps, slept):
    spelled = URL.replace("https://graph.microsoft.com", "https://Graph.Microsoft.com:443")
    assert spelled != URL
    rsps.add(responses.GET, URL, json={"value": [graph_event()], "@odata.nextLink": f"{spelled}?$skip=1"})
    rsps.add(responses.GET, f"{spelled}?$skip=1", json={"value": [graph_event()]})

    assert sum(len(page.events) for page in pages()) == 2


@pytest.mark.parametrize(
    "link",
    [
        "https://graph.microsoft.com.evil.example/v1.0/x",
        "https://graph.microsoft.com@evil.example/v1.0/x",
        "http://graph.microsoft.com/v1.0/x",
        "https://graph.microsoft.com:8443/v1.0/x",
    ],
)
def test_a_next_link_that_only_looks_like_graph_is_refused(rsps, slept, link):
    rsps.add(responses.GET, URL, json={"value": [], "@odata.nextLink": link})

    with pytest.raises(graph.GraphError) as caught:
        pages()

    assert caught.value.kind == graph.LINK_ELSEWHERE


def test_a_page_without_a_value_list_is_an_error(rsps, slept):
    rsps.add(responses.GET, URL, json={"value": "nope"})

    with pytest.raises(graph.GraphError) as caught:
        pages()

    assert caught.value.kind == graph.NO_EVENT_LIST


def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event()])
    fake.script = [(429, {"Retry-After": "3"})]

    result = pages()

    assert slept == [3.0]
    assert result[0].requests_made == 2 and len(result[0].events) == 1


def test_503_with_retry_after_http_date_is_honoured(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event()])
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake.script = [(503, {"Retry-After": when})]

    pages()

    assert len(slept) == 1 and 25 <= slept[0] <= 30


def test_throttling_without_retry_after_backs_off_exponentially_with_jitter(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event()])
    fake.script = [(504, {}), (504, {}), (504, {})]

    pages()

    assert 0.5 <= slept[0] <= 1.5 and 1 <= slept[1] <= 3 and 2 <= slept[2] <= 6


def test_503_exhausted_raises_a_transient_error_counting_every_request(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event()])
    fake.script = [(503, {})] * graph.MAX_ATTEMPTS

    with pytest.raises(graph.GraphTransientError) as caught:
        pages()

    assert caught.value.requests_made == graph.MAX_ATTEMPTS == len(fake.calls)


def test_401_refreshes_the_token_once_and_retries_the_same_page(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event(id=f"e{i}") for i in range(4)])
    refreshed = []

    def refresh():
        refreshed.append(True)
        return "token-2"

    result = []
    iterator = graph.iter_calendar_view(
        access_token="token-1", start=START, end=END, page_size=2, refresh_token=refresh
    )
    result.append(next(iterator))
    fake.script = [(401, {})]  # the token expires between two pages
    result.extend(iterator)

    assert refreshed == [True]
    assert fake.tokens == ["token-1", "token-1", "token-2"]
    assert [len(p.events) for p in result] == [2, 2] and result[1].requests_made == 2
    assert "%24skip=2" in fake.calls[1].url and fake.calls[1].url == fake.calls[2].url


def test_a_second_401_raises_an_auth_error(rsps, slept):
    fake = FakeCalendar(rsps, [graph_event()])
    fake.script = [(401, {}), (401, {})]

    with pytest.raises(graph.GraphAuthError) as caught:
        pages(refresh_token=lambda: "token-2")

    assert caught.value.status == 401 and len(fake.calls) == 2


def test_403_is_not_retried(rsps, slept):
    rsps.add(responses.GET, URL, status=403, body=json.dumps({"error": {"code": "ErrorAccessDenied"}}))
    refreshed = []

    with pytest.raises(graph.GraphAuthError) as caught:
        pages(refresh_token=lambda: refreshed.append(1) or "token-2")

    assert caught.value.status == 403 and caught.value.permanent

    assert refreshed == []


def test_an_endless_chain_of_pages_is_cut_off(rsps, slept, monkeypatch):
    monkeypatch.setattr(graph, "MAX_CALENDAR_PAGES", 3)
    fake = FakeCalendar(rsps, [graph_event() for _ in range(10)])

    with pytest.raises(graph.GraphError) as caught:
        pages(page_size=2)

    assert caught.value.kind == graph.TOO_MANY_EVENTS

    assert len(fake.calls) == 3
