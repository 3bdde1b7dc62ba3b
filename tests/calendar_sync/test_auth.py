"""access_token_for (the token service over the MSAL client) and the encrypted token cache, with Microsoft
mocked by `responses`."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

import pytest
import requests
import responses
from cryptography.fernet import Fernet
from django.db import connection as db
from django.test import override_settings

from calendar_sync.auth import TokenUnavailable
from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.services.lifecycle import ACCESS_LOST_REASON
from calendar_sync.services.sync import sync_connection
from calendar_sync.services.tokens import AccessLost, ReconnectRequired, access_token_for
from ruby_site.fields import DecryptionError
from ruby_site.models import AuditEntry
from tests.calendar_sync.connect_helpers import (
    OBJECT_ID,
    TENANT_ID,
    add_openid_configuration,
    cache_for,
    token_body,
    token_url,
)
from tests.factories import ConnectionFactory


@pytest.fixture
def connected(user):
    return ConnectionFactory(
        user=user, tenant_id=TENANT_ID, object_id=OBJECT_ID, token_cache=cache_for(access_token="at-fresh")
    )


@pytest.fixture
def expiring(user):
    """A connection whose access token expires within the refresh margin."""
    return ConnectionFactory(
        user=user,
        tenant_id=TENANT_ID,
        object_id=OBJECT_ID,
        token_cache=cache_for(access_token="at-old", refresh_token="rt-old", expires_in=60),
    )


def _refresh_calls(rsps):
    return [c for c in rsps.calls if c.request.url == token_url()]


def test_valid_cached_token_is_returned_without_calling_microsoft(connected):
    with responses.RequestsMock() as rsps:
        assert access_token_for(connected) == "at-fresh"
    assert len(rsps.calls) == 0


def test_expiring_token_is_refreshed_and_the_new_cache_saved(expiring):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), json=token_body(access_token="at-new", refresh_token="rt-new"))
        assert access_token_for(expiring) == "at-new"
        sent = parse_qs(_refresh_calls(rsps)[0].request.body)
    assert sent["grant_type"] == ["refresh_token"] and sent["refresh_token"] == ["rt-old"]
    stored = CalendarConnection.objects.get(pk=expiring.pk).token_cache
    assert "rt-new" in stored and "rt-old" not in stored


def test_force_refresh_refreshes_a_valid_token(connected):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), json=token_body(access_token="at-forced", refresh_token="rt-forced"))
        assert access_token_for(connected, force_refresh=True) == "at-forced"


def test_refresh_uses_the_cache_another_worker_just_saved(expiring):
    # Another worker refreshed after this one loaded the row: the stale copy in memory must not be
    # used (nor written back); the fresh token in the database is, without another refresh.
    fresh = CalendarConnection.objects.get(pk=expiring.pk)
    fresh.token_cache = cache_for(access_token="at-other-worker", refresh_token="rt-other-worker")
    fresh.save(update_fields=["token_cache"])
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        assert access_token_for(expiring) == "at-other-worker"
        assert _refresh_calls(rsps) == []
    assert "rt-other-worker" in CalendarConnection.objects.get(pk=expiring.pk).token_cache


def _sync(connection):
    return sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)


@pytest.mark.parametrize("error", ["invalid_grant", "interaction_required"])
def test_refused_refresh_raises_access_lost_and_writes_nothing(expiring, error):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), status=400, json={"error": error, "error_description": "AADSTS50173: revoked"})
        with pytest.raises(AccessLost) as lost:
            access_token_for(expiring)
    assert (lost.value.code, lost.value.permanent) == (error, True)
    assert CalendarConnection.objects.get(pk=expiring.pk).status == CalendarConnection.Status.CONNECTED


@pytest.mark.parametrize("error", ["invalid_grant", "interaction_required"])
def test_sync_after_a_refused_refresh_marks_not_connected_with_the_reason(expiring, error):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), status=400, json={"error": error, "error_description": "AADSTS50173: revoked"})
        run = _sync(expiring)
    row = CalendarConnection.objects.get(pk=expiring.pk)
    assert (run.status, run.error) == (SyncRun.Status.FAILED, ACCESS_LOST_REASON)
    assert (row.status, row.status_reason, row.token_cache) == (
        CalendarConnection.Status.NOT_CONNECTED,
        ACCESS_LOST_REASON,
        "",
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_LOST, object_id=str(row.pk)).count() == 1


def test_refused_refresh_shows_the_reason_on_the_card(expiring, user_client):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), status=400, json={"error": "invalid_grant"})
        _sync(expiring)
    page = user_client.get("/settings/integrations/").content.decode()
    assert "Not connected" in page
    assert "Microsoft no longer accepts Ruby&#x27;s access" in page and "Reconnect to restore." in page


def test_not_connected_connection_raises_reconnect_required_without_a_call(user):
    connection = ConnectionFactory(user=user, status=CalendarConnection.Status.NOT_CONNECTED)
    with responses.RequestsMock() as rsps, pytest.raises(ReconnectRequired):
        access_token_for(connection)
    assert len(rsps.calls) == 0


def test_cache_without_this_account_requires_reconnect(user):
    connection = ConnectionFactory(
        user=user, tenant_id=TENANT_ID, object_id=OBJECT_ID, token_cache=cache_for(oid="someone-else", expires_in=60)
    )
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        _sync(connection)
    assert CalendarConnection.objects.get(pk=connection.pk).status == CalendarConnection.Status.NOT_CONNECTED


def test_token_endpoint_500_is_transient_and_keeps_the_connection(expiring):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), status=500, body="oops")
        with pytest.raises(TokenUnavailable):
            access_token_for(expiring)
    row = CalendarConnection.objects.get(pk=expiring.pk)
    assert row.status == CalendarConnection.Status.CONNECTED and "rt-old" in row.token_cache


def test_token_endpoint_timeout_is_transient(expiring):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), body=requests.ConnectTimeout("slow"))
        with pytest.raises(TokenUnavailable):
            access_token_for(expiring)
    assert CalendarConnection.objects.get(pk=expiring.pk).is_connected


def test_login_host_unreachable_is_transient(expiring):
    with responses.RequestsMock() as rsps:
        rsps.get(
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
            body=requests.ConnectionError("down"),
        )
        with pytest.raises(TokenUnavailable):
            access_token_for(expiring)


def test_other_token_endpoint_error_is_transient(expiring):
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), status=400, json={"error": "temporarily_unavailable"})
        with pytest.raises(TokenUnavailable):
            access_token_for(expiring)
    assert CalendarConnection.objects.get(pk=expiring.pk).is_connected


def test_tokens_never_reach_the_logs(expiring, caplog):
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as rsps:
        add_openid_configuration(rsps)
        rsps.post(token_url(), json=token_body(access_token="at-new-secret", refresh_token="rt-new-secret"))
        access_token_for(expiring)
        rsps.post(token_url(), status=400, json={"error": "temporarily_unavailable"})
        with pytest.raises(TokenUnavailable):
            access_token_for(expiring, force_refresh=True)
    for secret in ("at-new-secret", "rt-new-secret", "rt-old", "at-old"):
        assert secret not in caplog.text


# --- the encrypted column -----------------------------------------------------------------------


def _raw_column(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT token_cache FROM calendar_sync_calendarconnection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_database_column_holds_no_plaintext_token(connected):
    raw = _raw_column(connected.pk)
    assert raw and "at-fresh" not in raw and "rt-cached" not in raw and "AccessToken" not in raw
    assert "rt-cached" in CalendarConnection.objects.get(pk=connected.pk).token_cache


def test_wrong_encryption_key_raises_instead_of_returning_ciphertext(connected):
    with override_settings(FIELD_ENCRYPTION_KEY=[Fernet.generate_key().decode()]):
        with pytest.raises(DecryptionError):
            CalendarConnection.objects.get(pk=connected.pk)


def test_rotated_key_list_still_reads_the_old_key(connected, settings):
    old = list(settings.FIELD_ENCRYPTION_KEY)
    with override_settings(FIELD_ENCRYPTION_KEY=[Fernet.generate_key().decode(), *old]):
        assert "rt-cached" in CalendarConnection.objects.get(pk=connected.pk).token_cache


# --- configured hosts only ------------------------------------------------------------------------


@override_settings(
    MICROSOFT_LOGIN_URL="https://login.sovereign.example", MICROSOFT_GRAPH_URL="https://graph.sovereign.example"
)
def test_with_custom_hosts_every_call_goes_there_and_nowhere_else(user_client, user):
    from tests.calendar_sync.connect_helpers import me_body, me_url, query_of

    allowed = {"login.sovereign.example", "graph.sovereign.example"}
    # Unregistered URLs raise ConnectionError in `responses`, and every registered one must be used.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        add_openid_configuration(rsps)
        response = user_client.post("/settings/integrations/outlook/connect/")
        assert response.url.startswith("https://login.sovereign.example/common/oauth2/v2.0/authorize?")
        query = query_of(response.url)
        rsps.post(token_url(), json=token_body(nonce=query["nonce"], expires_in=60))
        rsps.get(me_url(), json=me_body())
        callback = user_client.get("/settings/integrations/outlook/callback/", {"code": "c", "state": query["state"]})
        assert callback.status_code == 302
        connection = CalendarConnection.objects.get(user=user)
        assert access_token_for(connection) == "at-secret-1"
        assert len([c for c in rsps.calls if c.request.url == token_url()]) == 2  # code, then a refresh
        hosts = {requests.utils.urlparse(c.request.url).hostname for c in rsps.calls}
    assert hosts == allowed
    assert "microsoftonline.com" not in connection.token_cache
