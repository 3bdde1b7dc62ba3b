"""The one vendor HTTP helper: allowed hosts only, https only, redirects inside them, errors by kind, Retry-After."""

from datetime import UTC, datetime

import pytest
import requests
import responses

from transcripts.sources import http
from transcripts.sources.protocol import SourceError

BASE = "https://api.zoom.us"


def kind_of(call):
    with pytest.raises(SourceError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "http://api.zoom.us/v2/x",  # not https
        "https://api.zoom.us.attacker.example/v2/x",
        "https://attacker.example/v2/x",
        "https://api.zoom.us:8443/v2/x",
        "https://user:pw@api.zoom.us/v2/x",
    ],
)
def test_urls_off_the_allowed_host_are_refused(url):
    error = kind_of(lambda: http.check_url(url, allowed_base=BASE))
    assert (error.kind, error.permanent) == ("refused", True)


def test_subdomains_only_when_asked():
    assert http.check_url("https://us02web.zoom.us/rec/x", allowed_base="https://zoom.us", subdomains=True)
    with pytest.raises(SourceError):
        http.check_url("https://us02web.zoom.us/rec/x", allowed_base="https://zoom.us")


def test_path_prefix_of_the_base_is_kept():
    assert http.check_url("https://h.example/base/v2/x", allowed_base="https://h.example/base")
    with pytest.raises(SourceError):
        http.check_url("https://h.example/other/v2/x", allowed_base="https://h.example/base")


@responses.activate
def test_redirect_to_another_host_is_refused():
    responses.get(f"{BASE}/v2/file", status=302, headers={"Location": "https://cdn.attacker.example/file"})
    error = kind_of(lambda: http.request_bytes("GET", f"{BASE}/v2/file", allowed_base=BASE))
    assert error.kind == "refused"
    assert len(responses.calls) == 1


@responses.activate
def test_redirect_inside_the_allowed_host_is_followed():
    responses.get(f"{BASE}/v2/file", status=302, headers={"Location": "/v2/file-2"})
    responses.get(f"{BASE}/v2/file-2", body=b"WEBVTT")
    assert http.request_bytes("GET", f"{BASE}/v2/file", allowed_base=BASE)[0] == b"WEBVTT"


@pytest.mark.parametrize(
    ("status", "kind", "permanent"),
    [
        (401, "auth", True),
        (403, "auth", True),
        (404, "not_found", True),
        (400, "protocol", True),
        (500, "unavailable", False),
        (503, "unavailable", False),
        (429, "throttled", False),
    ],
)
@responses.activate
def test_status_becomes_an_error_kind(status, kind, permanent):
    responses.get(f"{BASE}/v2/x", status=status, json={"message": "vendor words"})
    error = kind_of(lambda: http.request_json("GET", f"{BASE}/v2/x", allowed_base=BASE))
    assert (error.kind, error.status, error.permanent, error.vendor_message) == (
        kind,
        status,
        permanent,
        "vendor words",
    )


@responses.activate
def test_retry_after_seconds_is_kept():
    responses.get(f"{BASE}/v2/x", status=429, headers={"Retry-After": "17"})
    assert kind_of(lambda: http.request_json("GET", f"{BASE}/v2/x", allowed_base=BASE)).retry_after == 17.0


def test_retry_after_as_a_date_time():
    now = datetime(2020, 5, 30, 23, 59, 0, tzinfo=UTC)
    assert http.retry_after_seconds("2020-05-31T00:00:00Z", now=now) == 60.0
    assert http.retry_after_seconds("Sun, 31 May 2020 00:00:00 GMT", now=now) == 60.0
    assert http.retry_after_seconds("soon") is None


@responses.activate
def test_timeout_is_transient():
    responses.get(f"{BASE}/v2/x", body=requests.ConnectTimeout("slow"))
    error = kind_of(lambda: http.request_json("GET", f"{BASE}/v2/x", allowed_base=BASE))
    assert (error.kind, error.permanent, error.vendor_message) == (
        "unavailable",
        False,
        "the vendor did not answer in time",
    )


@responses.activate
def test_every_call_has_a_timeout_and_verifies_tls(monkeypatch, settings):
    seen = {}

    def spy(self, method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ConnectionError("stop")

    monkeypatch.setattr(requests.Session, "request", spy)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/custom.pem")
    kind_of(lambda: http.request_json("GET", f"{BASE}/v2/x", allowed_base=BASE))
    assert (seen["timeout"], seen["verify"], seen["allow_redirects"]) == (
        settings.VENDOR_HTTP_TIMEOUT,
        "/etc/ssl/certs/custom.pem",
        False,
    )


@responses.activate
def test_an_answer_that_is_not_json_is_a_protocol_error():
    responses.get(f"{BASE}/v2/x", body="<html>")
    assert kind_of(lambda: http.request_json("GET", f"{BASE}/v2/x", allowed_base=BASE)).kind == "protocol"


@pytest.mark.parametrize("cursor", ["", "eyJjYWxsSWQiM1M30.6qKwpOcvnuweTZm", f"{BASE}/v2/next?c=1"])
def test_an_opaque_cursor_or_a_link_on_the_vendor_host_is_kept(cursor):
    assert http.check_cursor(cursor, allowed_base=BASE) == cursor


@pytest.mark.parametrize(
    "cursor", ["https://attacker.example/v2/next", "http://api.zoom.us/v2/next", "//evil.example/x"]
)
def test_a_cursor_that_is_a_link_to_another_host_is_refused(cursor):
    assert kind_of(lambda: http.check_cursor(cursor, allowed_base=BASE)).kind == "refused"


@responses.activate
def test_a_429_is_raised_at_once_with_retry_after_never_slept(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: pytest.fail("slept"))
    responses.get(f"{BASE}/v2/x", status=429, headers={"Retry-After": "30"}, json={"message": "Too many requests"})
    error = kind_of(lambda: http.request_json("GET", f"{BASE}/v2/x", allowed_base=BASE))
    assert (error.kind, error.retry_after, len(responses.calls)) == ("throttled", 30.0, 1)
