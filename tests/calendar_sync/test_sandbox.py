"""The built-in Microsoft sandbox, end to end through the production code path (no mocks)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from calendar_sync import graph
from calendar_sync.models import CalendarConnection, SandboxGrant, SyncRun
from calendar_sync.sandbox import tokens
from calendar_sync.sandbox.identities import identity_for
from calendar_sync.sandbox.transport import identity_from_access_token
from calendar_sync.services.lifecycle import ACCESS_LOST_REASON
from calendar_sync.services.sync import sync_connection
from calendar_sync.services.tokens import ReconnectRequired, access_token_for
from tests.calendar_sync.connect_helpers import query_of

CONNECT = "/settings/integrations/outlook/connect/"
SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
)


@pytest.fixture(autouse=True)
def sandbox_on():
    with SANDBOX:
        yield


def _to_consent(client) -> dict:
    response = client.post(CONNECT)
    assert response.status_code == 302
    assert response.url.startswith("/sandbox/microsoft/authorize?")
    return query_of(response.url)


def _consent(client, query: dict, *, action="accept", identity="match"):
    return client.post("/sandbox/microsoft/consent", {**query, "action": action, "identity": identity})


def _connect(client, identity="match"):
    query = _to_consent(client)
    back = _consent(client, query, identity=identity)
    assert back.status_code == 302
    return client.get(back.url, follow=True)


def test_connect_sends_the_browser_to_the_sandbox_consent_page(user_client):
    query = _to_consent(user_client)
    assert set(query["scope"].split()) == {
        "Calendars.Read",
        "User.Read",
        "openid",
        "profile",
        "email",
        "offline_access",
    }
    page = user_client.get("/sandbox/microsoft/authorize", query).content.decode()
    assert "Permissions requested" in page and "Calendars.Read" in page
    assert "sam@ruby-demo.example" in page and "sam@contoso.example" in page
    assert ">Accept</button>" in page and ">Cancel</button>" in page


def test_accepting_in_the_sandbox_connects(user_client, user):
    response = _connect(user_client)
    assert response.redirect_chain[-1][0] == "/settings/integrations/"
    connection = CalendarConnection.objects.get(user=user)
    identity = identity_for(user.email)
    assert connection.is_connected
    assert (connection.tenant_id, connection.object_id) == (identity["tid"], identity["oid"])
    page = user_client.get("/settings/integrations/").content.decode()
    assert "Connected as sam@ruby-demo.example" in page and "Revoke Ruby's access in the sandbox" in page


def test_sandbox_tokens_serve_graph_me_and_calendar_view(user_client, user):
    _connect(user_client)
    connection = CalendarConnection.objects.get(user=user)
    token = access_token_for(connection)
    assert identity_from_access_token(token)["email"] == "sam@ruby-demo.example"
    assert graph.get_me(token)["mail"] == "sam@ruby-demo.example"
    # Like Graph, the sandbox's calendarView needs its time window.
    window = {"startDateTime": "2026-11-23T00:00:00Z", "endDateTime": "2026-11-30T00:00:00Z"}
    view = graph.get_json(graph.graph_url("/v1.0/me/calendarView"), access_token=token, params=window)
    assert view.status == 200 and "value" in view.data


def test_choosing_the_other_organisations_account_is_refused(user_client, user):
    response = _connect(user_client, identity="other")
    assert "uses a different email than your Ruby account" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_cancel_in_the_sandbox_returns_access_denied(user_client, user):
    query = _to_consent(user_client)
    back = _consent(user_client, query, action="cancel")
    assert "error=access_denied" in back.url
    assert "You cancelled the Microsoft sign-in" in user_client.get(back.url, follow=True).content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_admin_approval_in_the_sandbox_shows_the_admin_consent_link(user_client):
    query = _to_consent(user_client)
    back = _consent(user_client, query, action="admin")
    page = user_client.get(back.url, follow=True).content.decode()
    assert "https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=ruby-sandbox-client" in page


def test_revoke_then_next_token_use_shows_not_connected_and_reconnect_restores(user_client, user):
    _connect(user_client)
    connection = CalendarConnection.objects.get(user=user)
    token = access_token_for(connection)
    assert user_client.post("/sandbox/microsoft/revoke").status_code == 302
    assert identity_from_access_token(token) is None  # Graph refuses the revoked token (401)
    with pytest.raises(graph.GraphAuthError):
        graph.get_me(token)
    with pytest.raises(ReconnectRequired):
        access_token_for(connection, force_refresh=True)
    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)  # the next sync records it
    connection.refresh_from_db()
    assert (run.status, connection.status) == (SyncRun.Status.FAILED, CalendarConnection.Status.NOT_CONNECTED)
    assert connection.status_reason == ACCESS_LOST_REASON
    page = user_client.get("/settings/integrations/").content.decode()
    assert "Not connected" in page and "Reconnect to restore." in page and ">Reconnect</button>" in page

    _connect(user_client)
    connection.refresh_from_db()
    assert connection.is_connected
    assert access_token_for(connection, force_refresh=True)


def test_revocation_lives_in_the_database_for_every_process(user_client, user):
    _connect(user_client)
    identity = identity_for(user.email)
    grant = SandboxGrant.objects.get(tenant_id=identity["tid"], object_id=identity["oid"])
    refresh = tokens.issue_tokens(identity, client_id="ruby-sandbox-client")["refresh_token"]
    assert tokens.identity_from_refresh_token(refresh)["oid"] == identity["oid"]
    tokens.revoke(identity)
    grant.refresh_from_db()
    assert grant.generation == 2 and grant.revoked_at is not None
    assert tokens.identity_from_refresh_token(refresh) is None


def test_code_is_refused_without_the_right_pkce_verifier(user):
    identity = identity_for(user.email)
    verifier = "v" * 43
    code = tokens.issue_code(
        identity,
        client_id="ruby-sandbox-client",
        redirect_uri="http://testserver/cb",
        nonce="n",
        code_challenge=tokens.pkce_challenge(verifier),
    )
    common = {"client_id": "ruby-sandbox-client", "redirect_uri": "http://testserver/cb"}
    assert tokens.redeem_code(code, code_verifier="w" * 43, **common) is None
    assert tokens.redeem_code(code, code_verifier=verifier, **common)["nonce"] == "n"


def test_token_endpoint_refuses_a_wrong_client_secret(user):
    import requests

    session = graph.http_session()
    response = session.post(
        "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        data={"client_id": "ruby-sandbox-client", "client_secret": "wrong", "grant_type": "refresh_token"},
    )
    assert isinstance(response, requests.Response)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_authorize_page_refuses_a_redirect_to_another_host(user_client):
    query = _to_consent(user_client)
    query["redirect_uri"] = "https://evil.example/callback"
    response = user_client.get("/sandbox/microsoft/authorize", query)
    assert response.status_code == 400
    assert "not on this Ruby server" in response.content.decode()
    assert _consent(user_client, query).status_code == 400


def test_authorize_page_refuses_a_request_without_pkce(user_client):
    query = _to_consent(user_client)
    query["code_challenge_method"] = "plain"
    assert user_client.get("/sandbox/microsoft/authorize", query).status_code == 400


def test_consent_with_get_is_not_allowed(user_client):
    assert user_client.get("/sandbox/microsoft/consent").status_code == 405


def test_revoke_page_shows_the_grant(user_client):
    _connect(user_client)
    page = user_client.get("/sandbox/microsoft/revoke").content.decode()
    assert "sam@ruby-demo.example" in page and "can read your calendars" in page


def test_revoke_only_touches_the_current_users_identity(user_client, user, member):
    _connect(user_client)
    other = identity_for(member.email)
    tokens.issue_tokens(other, client_id="ruby-sandbox-client")
    user_client.post("/sandbox/microsoft/revoke")
    assert SandboxGrant.objects.get(object_id=other["oid"]).generation == 1


def test_user_outside_any_workspace_gets_404_on_sandbox_pages(client, db):
    from tests.factories import UserFactory

    loner = UserFactory(email="loner@ruby-demo.example", workspace=False)
    loner.save()
    client.force_login(loner)
    assert client.get("/sandbox/microsoft/revoke").status_code == 404
    assert client.get("/sandbox/microsoft/authorize").status_code == 404


def test_sandbox_pages_are_404_when_the_sandbox_is_off(user_client):
    with override_settings(MICROSOFT_SANDBOX=False):
        assert user_client.get("/sandbox/microsoft/revoke").status_code == 404
        assert user_client.get("/sandbox/microsoft/authorize").status_code == 404
        assert user_client.post("/sandbox/microsoft/consent").status_code == 404


def test_sandbox_transport_answers_only_for_the_configured_hosts():
    session = graph.http_session()
    adapter = session.get_adapter("https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")
    assert type(adapter).__name__ == "SandboxAdapter"
    assert type(session.get_adapter("https://example.com/")).__name__ == "HTTPAdapter"
    assert urlsplit(graph.graph_url("/v1.0/me")).netloc == "graph.microsoft.com"
