"""The public contract: pointed by MICROSOFT_LOGIN_URL / MICROSOFT_GRAPH_URL at an independent
stand-in for Microsoft (here a real https server on loopback, with a certificate made for the
run), Ruby connects, syncs, refreshes and loses access exactly as it does against Microsoft — and
talks to no other host (no instance discovery at login.microsoftonline.com)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import override_settings
from django.urls import reverse

from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from calendar_sync.services import tokens
from calendar_sync.services.sync import sync_connection
from tests.calendar_sync.connect_helpers import OBJECT_ID, TENANT_ID, token_body
from tests.calendar_sync.graph_fakes import graph_event, person

CLIENT_ID = "standin-client-id"
CLIENT_SECRET = "standin-client-secret"
USER_EMAIL = "sam@ruby-demo.example"


def _self_signed_cert(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "standin.pem", directory / "standin.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class StandIn:
    """Microsoft's identity platform (tenant "common") and the two Graph endpoints Ruby reads."""

    def __init__(self):
        self.base = ""
        self.prefix = ""  # a stand-in may live under a path, e.g. https://host/microsoft
        self.paths: list[str] = []  # every request, "METHOD /path?query"
        self.codes: dict[str, dict] = {}  # code -> {challenge, nonce, redirect_uri}
        self.refresh_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.token_grants: list[dict] = []
        self.events = [
            graph_event(
                id=f"standin-{i}",
                subject=f"Northwind call {i}",
                start=dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=3 + i),
                organizer=USER_EMAIL,
                attendees=[person(USER_EMAIL, response="organizer"), person(f"buyer{i}@northwind.example")],
            )
            for i in range(5)
        ]
        self.page_size = 2
        self._serial = 0
        self.token_delay = 0.0  # seconds the token endpoint takes to answer
        self.sends_client_info = True

    def issue_code(self, authorize_query: dict) -> str:
        """What Microsoft does when the user accepts on the authorize page."""
        self._serial += 1
        code = f"code-{self._serial}"
        self.codes[code] = {
            "challenge": authorize_query.get("code_challenge"),
            "nonce": authorize_query.get("nonce"),
            "redirect_uri": authorize_query["redirect_uri"],
        }
        return code

    def revoke(self) -> None:
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def _new_tokens(self, *, nonce: str | None) -> dict:
        self._serial += 1
        body = token_body(
            nonce=nonce,
            email=USER_EMAIL,
            access_token=f"standin-at-{self._serial}",
            refresh_token=f"standin-rt-{self._serial}",
        )
        self.access_tokens.add(body["access_token"])
        self.refresh_tokens.add(body["refresh_token"])
        if not self.sends_client_info:
            del body["client_info"]
        return body

    # --- endpoints -------------------------------------------------------------------------

    def openid_configuration(self) -> tuple[int, dict]:
        tenant = f"{self.base}/common"
        return 200, {
            "issuer": f"{self.base}/{{tenantid}}/v2.0",
            "authorization_endpoint": f"{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{tenant}/oauth2/v2.0/token",
            "jwks_uri": f"{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "tenant_region_scope": None,
        }

    def token(self, form: dict) -> tuple[int, dict]:
        self.token_grants.append({k: v for k, v in form.items() if k in ("grant_type", "scope")})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
        if form.get("grant_type") == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: The code has expired."}
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if issued["challenge"] and challenge != issued["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "AADSTS501481: PKCE verifier mismatch."}
            return 200, self._new_tokens(nonce=issued["nonce"])
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70008: The refresh token has been revoked.",
                    "suberror": "bad_token",
                }
            self.refresh_tokens.discard(form["refresh_token"])
            return 200, self._new_tokens(nonce=None)
        return 400, {"error": "unsupported_grant_type"}

    def graph(self, path: str, query: dict, authorization: str) -> tuple[int, dict]:
        if authorization.removeprefix("Bearer ") not in self.access_tokens:
            return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is invalid."}}
        if path == "/v1.0/me":
            return 200, {"id": OBJECT_ID, "displayName": "Sam", "mail": USER_EMAIL, "userPrincipalName": USER_EMAIL}
        if path == "/v1.0/me/calendarView":
            if not (query.get("startDateTime") and query.get("endDateTime")):
                return 400, {"error": {"code": "ErrorInvalidParameter", "message": "startDateTime is required."}}
            skip = int(query.get("$skip", "0"))
            page = self.events[skip : skip + self.page_size]
            body = {"value": page}
            if skip + self.page_size < len(self.events):
                body["@odata.nextLink"] = (
                    f"{self.base}/v1.0/me/calendarView?{urlencode({**query, '$skip': skip + self.page_size})}"
                )
            return 200, body
        return 404, {"error": {"code": "ResourceNotFound", "message": "Not found."}}


def _handler(standin: StandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def _send(self, status: int, body: dict) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            standin.paths.append(f"GET {self.path}")
            parts = urlsplit(self.path.removeprefix(standin.prefix))
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/common/v2.0/.well-known/openid-configuration":
                return self._send(*standin.openid_configuration())
            if parts.path.startswith("/v1.0/"):
                return self._send(*standin.graph(parts.path, query, self.headers.get("Authorization", "")))
            return self._send(404, {"error": "not_found"})

        def do_POST(self):
            standin.paths.append(f"POST {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path.removeprefix(standin.prefix)).path == "/common/oauth2/v2.0/token":
                time.sleep(standin.token_delay)
                return self._send(*standin.token(form))
            return self._send(404, {"error": "not_found"})

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that timed out and hung up is expected
        pass


@pytest.fixture
def standin(request, tmp_path, monkeypatch):
    cert_path, key_path = _self_signed_cert(tmp_path)
    state = StandIn()
    server = _QuietServer(("127.0.0.1", 0), _handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.prefix = getattr(request, "param", "")
    state.base = f"https://127.0.0.1:{server.server_address[1]}{state.prefix}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_path))

    # Any connection to anything but the stand-in is refused and remembered.
    elsewhere: list[str] = []
    real_create_connection = urllib3.util.connection.create_connection

    def guarded(address, *args, **kwargs):
        if address[0] != "127.0.0.1":
            elsewhere.append(f"{address[0]}:{address[1]}")
            raise OSError(f"test: no network to {address[0]}")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)
    state.elsewhere = elsewhere
    with override_settings(
        MICROSOFT_SANDBOX=False,
        MICROSOFT_ENABLED=True,
        MICROSOFT_LOGIN_URL=state.base,
        MICROSOFT_GRAPH_URL=state.base,
        MICROSOFT_TENANT="common",
        MICROSOFT_CLIENT_ID=CLIENT_ID,
        MICROSOFT_CLIENT_SECRET=CLIENT_SECRET,
    ):
        yield state
    server.shutdown()
    server.server_close()


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _connect(client, standin: StandIn):
    response = client.post(reverse("outlook_connect"))
    assert response.status_code == 302
    assert response.url.startswith(f"{standin.base}/common/oauth2/v2.0/authorize?")
    authorize = _query(response.url)
    code = standin.issue_code(authorize)
    answer = {"code": code, "state": authorize["state"], "session_state": "standin-session"}
    return client.get(reverse("outlook_callback"), answer, follow=True)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_connect_against_a_standin_connects_the_user(signed_in, user, standin):
    response = _connect(signed_in, standin)

    assert response.redirect_chain[-1][0] == reverse("settings_integrations")
    connection = CalendarConnection.objects.get(user=user)
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert (connection.tenant_id, connection.object_id) == (TENANT_ID, OBJECT_ID)
    assert f"Connected as {USER_EMAIL}" in response.content.decode()


def test_connect_against_a_standin_fetches_the_configuration_from_the_configured_tenant(signed_in, standin):
    _connect(signed_in, standin)

    assert standin.paths[0] == "GET /common/v2.0/.well-known/openid-configuration"
    assert any(p.startswith("POST /common/oauth2/v2.0/token") for p in standin.paths)
    assert any(p.startswith("GET /v1.0/me?") for p in standin.paths)


def test_connect_and_sync_against_a_standin_call_no_other_host(
    signed_in, user, standin, django_capture_on_commit_callbacks
):
    _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("sync_now", args=[connection.pk]))
    tokens.access_token_for(CalendarConnection.objects.get(pk=connection.pk), force_refresh=True)

    assert standin.elsewhere == []


def test_sync_against_a_standin_stores_every_page(signed_in, user, standin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # Connect queues the first sync; the worker runs it
        _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)

    run = SyncRun.objects.get(connection=connection)
    assert (run.trigger, run.status, run.pages, run.created) == (
        SyncRun.Trigger.CONNECT,
        SyncRun.Status.SUCCEEDED,
        3,
        5,
    )
    assert CalendarEvent.objects.filter(connection=connection).count() == 5
    assert len([p for p in standin.paths if p.startswith("GET /v1.0/me/calendarView")]) == 3


def test_refresh_against_a_standin_uses_the_refresh_token_grant(signed_in, user, standin):
    _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)
    first = set(standin.access_tokens)

    token = tokens.access_token_for(connection, force_refresh=True)

    assert token not in first
    assert standin.token_grants[-1]["grant_type"] == "refresh_token"


def test_refresh_works_when_the_standin_sends_no_client_info(signed_in, user, standin):
    standin.sends_client_info = False
    _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)

    token = tokens.access_token_for(connection, force_refresh=True)

    assert token in standin.access_tokens
    assert standin.token_grants[-1]["grant_type"] == "refresh_token"


def test_revoked_access_at_a_standin_shows_not_connected_with_the_reason(signed_in, user, standin):
    _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)
    standin.revoke()

    with pytest.raises(tokens.AccessLost):
        tokens.access_token_for(connection, force_refresh=True)
    sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    page = signed_in.get(reverse("settings_integrations")).content.decode()
    assert "Microsoft no longer accepts Ruby" in page


def test_sync_after_revocation_at_a_standin_marks_not_connected_and_keeps_the_events(
    signed_in, user, standin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the first sync, queued by Connect
        _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)
    standin.revoke()  # the cached access token now gets a 401 from Graph, and the refresh an invalid_grant

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("sync_now", args=[connection.pk]))

    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert SyncRun.objects.filter(connection=connection).latest("id").status == SyncRun.Status.FAILED
    assert CalendarEvent.objects.filter(connection=connection, removed_at__isnull=True).count() == 5


def test_reconnect_against_a_standin_restores_the_connection(signed_in, user, standin):
    _connect(signed_in, standin)
    standin.revoke()
    with pytest.raises(tokens.ReconnectRequired):
        tokens.access_token_for(CalendarConnection.objects.get(user=user), force_refresh=True)

    _connect(signed_in, standin)

    assert CalendarConnection.objects.get(user=user).status == CalendarConnection.Status.CONNECTED


@pytest.mark.parametrize("standin", ["/microsoft"], indirect=True)
def test_connect_and_sync_work_with_a_standin_under_a_path(
    signed_in, user, standin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the first sync, queued by Connect
        _connect(signed_in, standin)
    connection = CalendarConnection.objects.get(user=user)
    tokens.access_token_for(CalendarConnection.objects.get(pk=connection.pk), force_refresh=True)

    assert CalendarEvent.objects.filter(connection=connection).count() == 5
    assert all(path.startswith(("GET /microsoft/", "POST /microsoft/")) for path in standin.paths)


def test_a_slow_standin_token_endpoint_times_out_in_plain_words_and_stores_nothing(signed_in, user, standin):
    standin.token_delay = 2.0

    with override_settings(MICROSOFT_HTTP_TIMEOUT=(1, 0.5)):
        response = _connect(signed_in, standin)

    assert "took too long" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_sign_in_with_microsoft_against_a_standin_reaches_the_signup_page(db, client, standin):
    # settings.py builds allauth's Microsoft app from MICROSOFT_*; here the same shape, pointed at the stand-in.
    app = {"client_id": CLIENT_ID, "secret": CLIENT_SECRET, "settings": {"tenant": "common"}}
    app["settings"].update(login_url=standin.base, graph_url=standin.base)
    with override_settings(SOCIALACCOUNT_PROVIDERS={"microsoft": {"APPS": [app], "SCOPE": ["User.Read"]}}):
        start = client.post("/accounts/microsoft/login/")
        assert start["Location"].startswith(f"{standin.base}/common/oauth2/v2.0/authorize?")
        authorize = _query(start["Location"])
        code = standin.issue_code(authorize)
        response = client.get("/accounts/microsoft/login/callback/", {"code": code, "state": authorize["state"]})

    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert client.session.get("_auth_user_id") is None
    assert standin.elsewhere == []


def test_no_microsoft_host_is_hard_coded_outside_the_settings_defaults():
    root = Path(__file__).resolve().parents[2]
    host = re.compile(r"https://[\w.-]*(microsoftonline|graph\.microsoft|login\.live|login\.windows|microsoft\.us)")
    found = []
    for folder in ("calendar_sync", "deals", "transcripts", "ruby_site", "templates", "static"):
        for path in (root / folder).rglob("*"):
            if path.suffix not in {".py", ".html", ".js", ".txt"} or "migrations" in path.parts:
                continue
            for line in path.read_text(errors="ignore").splitlines():
                if host.search(line):
                    found.append((str(path.relative_to(root)), line.strip()))
    # Only the two defaults, each read through env_https_url so the environment overrides it.
    assert [f for f, line in found] == ["ruby_site/settings.py", "ruby_site/settings.py"], found
    defaults = ("MICROSOFT_LOGIN_URL = env_https_url(", "MICROSOFT_GRAPH_URL = env_https_url(")
    assert all(line.startswith(defaults) for _, line in found), found
