"""Connect Outlook Calendar: the views, the checks and the errors, with Microsoft mocked by `responses`."""

from __future__ import annotations

import time

import pytest
import requests
import responses
import time_machine
from django.test import override_settings

from calendar_sync.models import CalendarConnection
from calendar_sync.services.lifecycle import ACCESS_LOST_REASON
from ruby_site.models import AuditEntry
from tests.calendar_sync.connect_helpers import (
    OBJECT_ID,
    TENANT_ID,
    callback,
    landed_on_integrations,
    me_body,
    me_url,
    start_connect,
    token_body,
    token_url,
)
from tests.factories import ConnectionFactory, UserFactory

CONNECT = "/settings/integrations/outlook/connect/"
CALLBACK = "/settings/integrations/outlook/callback/"
INTEGRATIONS = "/settings/integrations/"


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _finish(client, rsps, *, email="sam@ruby-demo.example", mail="sam@ruby-demo.example", oid=OBJECT_ID, tid=TENANT_ID):
    query = start_connect(client, rsps)
    rsps.post(token_url(), json=token_body(nonce=query["nonce"], email=email, oid=oid, tid=tid))
    rsps.get(me_url(), json=me_body(mail=mail, upn=email, oid=oid))
    return callback(client, code="auth-code-1", state=query["state"])


# --- starting the flow ---------------------------------------------------------------------


def test_authorize_url_carries_exactly_the_documented_scopes_and_pkce_s256(user_client, rsps):
    query = start_connect(user_client, rsps)
    documented = {"Calendars.Read", "User.Read", "openid", "profile", "email", "offline_access"}
    assert set(query["scope"].split()) == documented
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) >= 43
    assert query["state"] and query["nonce"]
    assert query["redirect_uri"] == "http://testserver/settings/integrations/outlook/callback/"
    assert query["login_hint"] == "sam@ruby-demo.example"


def test_connect_keeps_the_flow_in_the_session_bound_to_the_user(user_client, user, rsps):
    start_connect(user_client, rsps)
    stored = user_client.session["outlook_connect_flow"]
    assert stored["user_id"] == user.pk
    assert stored["flow"]["code_verifier"]


def test_connect_with_get_is_not_allowed(user_client):
    assert user_client.get(CONNECT).status_code == 405


def test_callback_with_post_is_not_allowed(user_client):
    assert user_client.post(CALLBACK).status_code == 405


def test_connect_requires_login(client):
    response = client.post(CONNECT)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_user_outside_any_workspace_gets_404(client, db):
    loner = UserFactory(email="loner@ruby-demo.example", workspace=False)
    loner.save()
    client.force_login(loner)
    assert client.post(CONNECT).status_code == 404
    assert client.get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404


@override_settings(MICROSOFT_ENABLED=False)
def test_connect_when_outlook_is_not_configured_says_so(user_client):
    response = user_client.post(CONNECT, follow=True)
    assert "Outlook Calendar is not configured on this server." in response.content.decode()


def test_disabled_connection_cannot_be_connected_by_the_user(user_client, user, rsps):
    ConnectionFactory(user=user, status=CalendarConnection.Status.DISABLED, status_reason="Paused on request.")
    response = user_client.post(CONNECT, follow=True)
    assert "disabled for your account by Ruby support" in response.content.decode()
    assert len(rsps.calls) == 0


# --- the happy path -----------------------------------------------------------------------


def test_happy_path_stores_connection_and_shows_connected(user_client, user, workspace, rsps):
    response = _finish(user_client, rsps)
    assert landed_on_integrations(response)
    connection = CalendarConnection.objects.get(user=user)
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert (connection.tenant_id, connection.object_id) == (TENANT_ID, OBJECT_ID)
    assert connection.email == "sam@ruby-demo.example"
    assert connection.workspace == workspace
    assert connection.connected_at is not None
    assert "rt-secret-1" in connection.token_cache
    page = user_client.get(INTEGRATIONS).content.decode()
    assert "Connected as sam@ruby-demo.example" in page
    assert "at-secret-1" not in page and "rt-secret-1" not in page
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONNECT, actor=user).count() == 1


def test_token_request_sends_code_verifier_and_the_code(user_client, rsps):
    _finish(user_client, rsps)
    (body,) = [c.request.body for c in rsps.calls if c.request.url == token_url()]
    assert "code=auth-code-1" in body and "code_verifier=" in body and "grant_type=authorization_code" in body


def test_same_email_in_other_letter_case_is_accepted(user_client, user, rsps):
    response = _finish(user_client, rsps, email="Sam@Ruby-Demo.EXAMPLE", mail="Sam@Ruby-Demo.EXAMPLE")
    assert landed_on_integrations(response)
    assert CalendarConnection.objects.get(user=user).is_connected


def test_me_without_mail_uses_user_principal_name(user_client, user, rsps):
    response = _finish(user_client, rsps, mail=None)
    assert landed_on_integrations(response)
    assert CalendarConnection.objects.get(user=user).email == "sam@ruby-demo.example"


def test_me_without_mail_and_other_user_principal_name_is_refused(user_client, user, rsps):
    response = _finish(user_client, rsps, email="sam@contoso.example", mail=None)
    assert "uses a different email than your Ruby account" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_reconnect_restores_a_connection_that_lost_access(user_client, user, rsps):
    connection = ConnectionFactory(
        user=user,
        tenant_id=TENANT_ID,
        object_id=OBJECT_ID,
        status=CalendarConnection.Status.NOT_CONNECTED,
        status_reason=ACCESS_LOST_REASON,
    )
    page = user_client.get(INTEGRATIONS).content.decode()
    assert ACCESS_LOST_REASON.replace("'", "&#x27;") in page and ">Reconnect</button>" in page
    response = _finish(user_client, rsps)
    assert landed_on_integrations(response)
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.CONNECTED and connection.status_reason == ""
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RECONNECT, object_id=str(connection.pk)).exists()


# --- refusals: nothing stored --------------------------------------------------------------


def test_mismatched_email_is_refused_with_try_again_and_nothing_stored(user_client, user, rsps):
    response = _finish(user_client, rsps, email="sam@contoso.example", mail="sam@contoso.example")
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/settings/integrations/outlook/result/"
    assert "uses a different email than your Ruby account" in page
    assert "try again with the correct account" in page
    assert ">Try again</button>" in page
    assert not CalendarConnection.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONNECT_REFUSED, actor=user).count() == 1
    assert "sam@contoso.example" not in AuditEntry.objects.get().reason


def test_identity_already_linked_to_another_user_is_refused(user_client, user, member, rsps):
    ConnectionFactory(user=member, tenant_id=TENANT_ID, object_id=OBJECT_ID)
    response = _finish(user_client, rsps)
    assert "already connected to another Ruby account" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()
    assert CalendarConnection.objects.get(user=member).object_id == OBJECT_ID


def test_reconnect_with_another_microsoft_identity_is_refused(user_client, user, rsps):
    connection = ConnectionFactory(
        user=user, tenant_id=TENANT_ID, object_id=OBJECT_ID, token_cache="kept", status="not_connected"
    )
    response = _finish(user_client, rsps, oid="ffffffff-0000-0000-0000-000000000001")
    assert "different Microsoft account" in response.content.decode()
    connection.refresh_from_db()
    assert connection.object_id == OBJECT_ID
    assert connection.token_cache == "kept"
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED


# --- errors a user can hit -----------------------------------------------------------------


def test_consent_cancelled_says_so_in_plain_words(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    response = callback(
        user_client, error="access_denied", error_description="AADSTS65004: User declined.", state=query["state"]
    )
    page = response.content.decode()
    assert "You cancelled the Microsoft sign-in" in page and "Try again" in page
    assert not CalendarConnection.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "error,description",
    [
        ("consent_required", "AADSTS65001: The user or administrator has not consented to use the application."),
        ("access_denied", "AADSTS90094: The grant requires admin permission."),
        ("invalid_client", "AADSTS90094: Admin consent is required for the permissions requested."),
    ],
)
def test_admin_consent_required_explains_and_links_to_admin_consent(user_client, rsps, error, description):
    query = start_connect(user_client, rsps)
    response = callback(user_client, error=error, error_description=description, state=query["state"])
    page = response.content.decode()
    assert "must approve Ruby once with the link below" in page
    assert "https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=test-client-id" in page


def test_admin_consent_required_at_the_token_endpoint_is_explained(user_client, rsps):
    query = start_connect(user_client, rsps)
    rsps.post(
        token_url(),
        status=400,
        json={"error": "invalid_grant", "error_description": "AADSTS65001: The user has not consented"},
    )
    page = callback(user_client, code="c", state=query["state"]).content.decode()
    assert "must approve Ruby once with the link below" in page and "/v2.0/adminconsent?client_id=" in page


def test_callback_without_a_started_flow_says_it_timed_out(user_client, user):
    response = callback(user_client, code="c", state="whatever")
    assert response.status_code == 200
    assert "timed out" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_callback_with_missing_state_says_it_timed_out(user_client, rsps):
    start_connect(user_client, rsps)
    assert "timed out" in callback(user_client, code="c").content.decode()
    assert not any(c.request.url.startswith(token_url()) for c in rsps.calls)


def test_callback_with_forged_state_says_it_timed_out(user_client, rsps):
    start_connect(user_client, rsps)
    assert "timed out" in callback(user_client, code="c", state="forged").content.decode()
    assert not any(c.request.url.startswith(token_url()) for c in rsps.calls)


def test_replayed_callback_is_refused(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    rsps.post(token_url(), json=token_body(nonce=query["nonce"]))
    rsps.get(me_url(), json=me_body())
    assert landed_on_integrations(callback(user_client, code="c", state=query["state"]))
    replay = callback(user_client, code="c", state=query["state"])
    assert "timed out" in replay.content.decode()
    assert len([c for c in rsps.calls if c.request.url.startswith(token_url())]) == 1


def test_flow_started_by_another_user_in_the_same_session_is_refused(client, user, member, rsps):
    client.force_login(user)
    query = start_connect(client, rsps)
    session = client.session
    stored = session["outlook_connect_flow"]
    client.force_login(member)
    session = client.session
    session["outlook_connect_flow"] = stored
    session.save()
    assert "timed out" in callback(client, code="c", state=query["state"]).content.decode()
    assert not CalendarConnection.objects.exists()


def test_expired_flow_says_it_timed_out(user_client, rsps):
    query = start_connect(user_client, rsps)
    with time_machine.travel(time.time() + 16 * 60):
        assert "timed out" in callback(user_client, code="c", state=query["state"]).content.decode()


def test_id_token_with_wrong_nonce_is_refused(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    rsps.post(token_url(), json=token_body(nonce="not-the-nonce"))
    assert "timed out" in callback(user_client, code="c", state=query["state"]).content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_token_endpoint_500_shows_plain_words(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    rsps.post(token_url(), status=500, body="<html>Internal error</html>")
    response = callback(user_client, code="c", state=query["state"])
    assert response.status_code == 200
    assert "unavailable right now" in response.content.decode()
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_token_endpoint_timeout_shows_plain_words(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    rsps.post(token_url(), body=requests.ReadTimeout("slow"))
    page = callback(user_client, code="c", state=query["state"]).content.decode()
    assert "took too long" in page
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_token_endpoint_malformed_answer_shows_plain_words(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    rsps.post(token_url(), status=200, body="this is not json")
    page = callback(user_client, code="c", state=query["state"]).content.decode()
    assert "could not read" in page and "Traceback" not in page
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_token_answer_without_identity_is_refused(user_client, user, rsps):
    query = start_connect(user_client, rsps)
    body = token_body(nonce=query["nonce"])
    del body["id_token"]
    rsps.post(token_url(), json=body)
    page = callback(user_client, code="c", state=query["state"]).content.decode()
    assert "did not say which account signed in" in page
    assert not CalendarConnection.objects.filter(user=user).exists()


def test_login_host_down_when_starting_shows_plain_words(user_client):
    with responses.RequestsMock() as mock:
        mock.get(
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
            body=requests.ConnectionError("down"),
        )
        page = user_client.post(CONNECT, follow=True).content.decode()
    assert "could not be reached" in page


def test_graph_me_unavailable_stores_nothing(user_client, user, rsps, monkeypatch):
    monkeypatch.setattr("calendar_sync.graph.sleep", lambda s: None)
    query = start_connect(user_client, rsps)
    rsps.post(token_url(), json=token_body(nonce=query["nonce"]))
    rsps.get(me_url(), status=503)
    page = callback(user_client, code="c", state=query["state"]).content.decode()
    assert "did not answer" in page
    assert not CalendarConnection.objects.filter(user=user).exists()


# --- the card ---------------------------------------------------------------------------------


def test_card_lists_permissions_with_reasons_and_privacy_link(user_client):
    page = user_client.get(INTEGRATIONS).content.decode()
    assert "Calendars.Read" in page and "Read-only" in page
    assert "User.Read, openid, profile, email" in page and "offline_access" in page
    assert 'href="/privacy/"' in page
    assert ">Connect</button>" in page


def test_card_shows_connected_with_last_sync_time(user_client, user):
    from django.utils import timezone

    from tests.factories import SyncRunFactory

    now = timezone.now()
    connection = ConnectionFactory(user=user, last_synced_at=now)
    SyncRunFactory(connection=connection, started_at=now, finished_at=now, created=3)
    page = user_client.get(INTEGRATIONS).content.decode()
    assert "Connected as sam@ruby-demo.example" in page and "Last synced" in page and "(3 events)" in page


def test_card_shows_disabled_by_support_with_support_email(user_client, user):
    ConnectionFactory(user=user, status=CalendarConnection.Status.DISABLED)
    page = user_client.get(INTEGRATIONS).content.decode()
    assert "Disabled by Ruby support" in page and "support@heyruby.io" in page
    assert ">Connect</button>" not in page


@override_settings(MICROSOFT_ENABLED=False)
def test_card_says_not_configured_when_microsoft_is_off(user_client):
    page = user_client.get(INTEGRATIONS).content.decode()
    assert "Outlook Calendar is not configured on this server." in page
    assert ">Connect</button>" not in page


def test_card_does_not_show_another_users_connection(user_client, member):
    ConnectionFactory(user=member)
    page = user_client.get(INTEGRATIONS).content.decode()
    assert "Connected as" not in page and "mia@ruby-demo.example" not in page.split("outlook-card", 1)[1]


def test_result_page_without_a_result_goes_back_to_integrations(user_client):
    response = user_client.get("/settings/integrations/outlook/result/")
    assert response.status_code == 302 and response.url == INTEGRATIONS


def test_result_page_is_shown_once(user_client, rsps):
    query = start_connect(user_client, rsps)
    assert "cancelled" in callback(user_client, error="access_denied", state=query["state"]).content.decode()
    assert user_client.get("/settings/integrations/outlook/result/").status_code == 302
