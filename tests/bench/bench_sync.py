"""Benchmark: sync a mailbox with 5,000 events in the window from a fake Graph on loopback into PostgreSQL.

Run with `make bench` (RUBY_BENCH=1). The fake Graph is a real HTTPS server on 127.0.0.1 in a thread:
a self-signed certificate for 127.0.0.1 is generated at runtime with `cryptography` and trusted via
REQUESTS_CA_BUNDLE, and MICROSOFT_GRAPH_URL points at it, so the production client (TLS, keep-alive,
paging by @odata.nextLink) runs unchanged. Pages are pre-encoded before measuring so the server's
own allocations stay out of the memory figures.

Compared side by side in the same run with a naive reference: pages of 10 and one update_or_create
(+ attendee rows one by one) per event. Peak memory (tracemalloc) is measured in a separate run of the
same sync so its overhead stays out of the timings; the naive reference is not run under tracemalloc
(tens of thousands of ORM round trips make it take many minutes there).
"""

from __future__ import annotations

import json
import math
import os
import ssl
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection as db_connection

from calendar_sync import graph
from calendar_sync.models import CalendarEvent, EventAttendee, SyncRun
from calendar_sync.normalize import MalformedEvent, normalize_event
from calendar_sync.services import tokens
from calendar_sync.services.sync import SYNC_WINDOW, skip_reason, sync_connection
from calendar_sync.services.sync_store import internal_domains_for
from tests.factories import AccountFactory, ConnectionFactory, UserFactory, WorkspaceFactory

EVENTS = 5_000
SMALL = 500
BULK_PAGE = 1_000
NAIVE_PAGE = 10

pytestmark = pytest.mark.django_db(transaction=True)


# --- the fake Graph -----------------------------------------------------------------------------


def _self_signed(directory: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path


def make_events(count: int, start: datetime) -> list[dict]:
    """`count` external meetings spread over the week, each with an organizer and three attendees."""
    companies = ["northwind.example", "contoso.example", "fabrikam.example", "tailspin.example"]
    events = []
    step = (SYNC_WINDOW - timedelta(hours=2)) / count
    for i in range(count):
        begin = start + timedelta(hours=1) + step * i
        company = companies[i % len(companies)]
        events.append(
            {
                "id": f"AAMkAGbench{i:06d}" + "x" * 100,
                "iCalUId": f"040000008200E00074C5B7101A82E008{i:032d}",
                "type": "singleInstance",
                "seriesMasterId": None,
                "subject": f"{company.split('.')[0].title()} call #{i}",
                "bodyPreview": "Agenda: pricing, rollout, next steps. " * 4,
                "start": {"dateTime": begin.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
                "end": {
                    "dateTime": (begin + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                    "timeZone": "UTC",
                },
                "originalStartTimeZone": "Pacific Standard Time",
                "isAllDay": False,
                "isCancelled": False,
                "sensitivity": "normal",
                "showAs": "busy",
                "isOnlineMeeting": True,
                "onlineMeetingProvider": "teamsForBusiness",
                "onlineMeeting": {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{i}"},
                "location": {"displayName": "Microsoft Teams Meeting"},
                "organizer": {"emailAddress": {"name": "Bench Seller", "address": "seller@bench.example"}},
                "attendees": [
                    {
                        "type": "required",
                        "status": {"response": "accepted"},
                        "emailAddress": {"name": f"Buyer {i}", "address": f"buyer{i % 50}@{company}"},
                    },
                    {
                        "type": "optional",
                        "status": {"response": "tentativelyAccepted"},
                        "emailAddress": {"name": f"Champion {i}", "address": f"champion{i % 20}@{company}"},
                    },
                    {
                        "type": "required",
                        "status": {"response": "accepted"},
                        "emailAddress": {"name": "Colleague", "address": "colleague@bench.example"},
                    },
                ],
                "webLink": f"https://outlook.office365.com/owa/?itemid={i}&exvsurl=1&path=/calendar/item",
            }
        )
    return events


class FakeGraph:
    """calendarView pages by $top/$skip, every page pre-encoded; counts requests."""

    def __init__(self):
        self.pages: dict[tuple[str, int, int], bytes] = {}
        self.requests = 0
        self.base = ""

    def load(self, mailbox: str, events: list[dict], page_size: int) -> None:
        for skip in range(0, len(events), page_size):
            body = {"value": events[skip : skip + page_size]}
            if skip + page_size < len(events):
                body["@odata.nextLink"] = f"{{base}}/v1.0/me/calendarView?mailbox={mailbox}&$top={page_size}&$skip="
                body["@odata.nextLink"] += str(skip + page_size)
            self.pages[(mailbox, page_size, skip)] = json.dumps(body)

    def answer(self, path: str, auth_header: str) -> bytes:
        self.requests += 1
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        mailbox = auth_header.removeprefix("Bearer ")
        key = (mailbox, int(query.get("$top", "10")), int(query.get("$skip", "0")))
        return self.pages[key].replace("{base}", self.base).encode()


@pytest.fixture
def fake_graph(settings, monkeypatch):
    fake = FakeGraph()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            body = fake.answer(self.path, self.headers.get("Authorization", ""))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with tempfile.TemporaryDirectory() as directory:
        cert, key = _self_signed(directory)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        fake.base = f"https://127.0.0.1:{server.server_address[1]}"
        settings.MICROSOFT_GRAPH_URL = fake.base
        settings.MICROSOFT_SANDBOX = False
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
        # The access token names the mailbox so one server serves several.
        monkeypatch.setattr(tokens, "access_token_for", lambda connection, *, force_refresh=False: connection.email)
        try:
            yield fake
        finally:
            server.shutdown()
            server.server_close()


# --- the naive reference ----------------------------------------------------------------------


def naive_sync(connection, *, page_size: int) -> int:
    """What a first version would do: small pages, one update_or_create per event, attendees one by one."""
    now = datetime.now(UTC)
    internal = internal_domains_for(connection)
    stored = 0
    for page in graph.iter_calendar_view(
        access_token=connection.email, start=now, end=now + SYNC_WINDOW, page_size=page_size
    ):
        for raw in page.events:
            try:
                event = normalize_event(raw)
            except MalformedEvent:
                continue
            if skip_reason(event, connection=connection, internal=internal):
                continue
            fields = event.model_fields()
            fields.pop("provider_event_id")
            obj, _ = CalendarEvent.objects.update_or_create(
                connection=connection,
                provider_event_id=event.provider_event_id,
                defaults={**fields, "workspace": connection.workspace, "owner": connection.user},
            )
            obj.attendees.all().delete()
            for a in event.attendees:
                EventAttendee.objects.create(
                    event=obj,
                    email=a.email,
                    name=a.name,
                    response=a.response,
                    attendee_type=a.attendee_type,
                    is_organizer=a.is_organizer,
                    is_internal=a.domain in internal,
                )
            stored += 1
    return stored


# --- measuring --------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(fake: FakeGraph, label: str, fn, *, events: int, page: int, memory: bool) -> dict:
    counter = QueryCounter()
    requests_before = fake.requests
    if memory:
        tracemalloc.start()
    started = time.perf_counter()
    with db_connection.execute_wrapper(counter):
        fn()
    seconds = time.perf_counter() - started
    peak = 0
    if memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "engine": label,
        "events": events,
        "page": page,
        "seconds": seconds,
        "events_per_s": events / seconds,
        "requests": fake.requests - requests_before,
        "queries": counter.count,
        "peak_mb": peak / 2**20,
    }


def mailbox(name: str):
    workspace = WorkspaceFactory(slug=f"bench-{name}", internal_domains=["bench.example"])
    for domain in ("northwind.example", "contoso.example", "fabrikam.example"):
        AccountFactory(workspace=workspace, domain=domain)
    user = UserFactory(email=f"seller-{name}@bench.example", workspace=workspace)
    return ConnectionFactory(user=user, email=f"{name}@bench.example")


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'engine':<34}{'events':>7}{'page':>6}{'seconds':>9}{'events/s':>10}{'HTTP req':>9}{'SQL q':>8}{'peak MB':>9}"
    )
    print("\n" + head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['engine']:<34}{r['events']:>7}{r['page']:>6}{r['seconds']:>9.2f}{r['events_per_s']:>10.0f}"
            f"{r['requests']:>9}{r['queries']:>8}{(format(r['peak_mb'], '.1f') if r['peak_mb'] else '—'):>9}"
        )


def test_bench_sync_5000_events_against_naive_reference(fake_graph):
    if db_connection.vendor != "postgresql":
        pytest.skip("The sync benchmark measures PostgreSQL: set DATABASE_URL=postgres://… to run it.")
    start = datetime.now(UTC)
    boxes = {name: mailbox(name) for name in ("warm-up", "bulk", "bulk-mem", "small", "naive")}
    week = make_events(EVENTS, start)
    for name in ("bulk", "bulk-mem"):
        fake_graph.load(boxes[name].email, week, BULK_PAGE)
    fake_graph.load(boxes["small"].email, make_events(SMALL, start), BULK_PAGE)
    fake_graph.load(boxes["naive"].email, week, NAIVE_PAGE)

    def bulk(name):
        def go():
            run = sync_connection(connection_id=boxes[name].pk, trigger=SyncRun.Trigger.COMMAND)
            assert run.status == SyncRun.Status.SUCCEEDED, run.error

        return go

    # One small unmeasured sync first, so neither engine pays the process's one-time costs (TLS
    # context, first SQL compilations, psycopg type loading) inside its numbers.
    fake_graph.load(boxes["warm-up"].email, make_events(50, start), BULK_PAGE)
    bulk("warm-up")()
    rows = [
        measure(fake_graph, "Ruby sync (bulk upsert)", bulk("bulk"), events=EVENTS, page=BULK_PAGE, memory=False),
        measure(fake_graph, "  same, re-sync unchanged", bulk("bulk"), events=EVENTS, page=BULK_PAGE, memory=False),
        measure(fake_graph, "  same, 500 events", bulk("small"), events=SMALL, page=BULK_PAGE, memory=False),
        measure(fake_graph, "  same, under tracemalloc", bulk("bulk-mem"), events=EVENTS, page=BULK_PAGE, memory=True),
        measure(
            fake_graph,
            "naive (update_or_create, pages 10)",
            lambda: naive_sync(boxes["naive"], page_size=NAIVE_PAGE),
            events=EVENTS,
            page=NAIVE_PAGE,
            memory=False,
        ),
    ]
    print_table(rows)
    fast, resync, small, fast_mem, naive = rows[0], rows[1], rows[2], rows[3], rows[4]
    speedup = fast["events_per_s"] / naive["events_per_s"]
    print(f"\nthroughput: {speedup:.1f}x the naive reference (target ≥ 10x)")
    print(f"HTTP requests: {fast['requests']} = ceil({EVENTS}/{BULK_PAGE}) = {math.ceil(EVENTS / BULK_PAGE)}")
    print(
        f"SQL queries: {small['queries']} at {SMALL} events, {fast['queries']} at {EVENTS} events "
        "(statements through Django's execute wrappers; + 1 COPY of the attendees, which bypasses them)"
    )
    print(f"peak memory: {fast_mem['peak_mb']:.1f} MB (target < 150 MB)")

    assert CalendarEvent.objects.filter(connection=boxes["bulk"]).count() == EVENTS
    assert CalendarEvent.objects.filter(connection=boxes["naive"]).count() == EVENTS
    assert speedup >= 10
    assert fast["requests"] == math.ceil(EVENTS / BULK_PAGE)
    assert naive["requests"] == math.ceil(EVENTS / NAIVE_PAGE)
    assert fast["queries"] == small["queries"]
    assert resync["queries"] <= fast["queries"]
    assert fast_mem["peak_mb"] < 150
