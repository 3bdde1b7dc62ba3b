"""Connecting an Exchange (on-premise) calendar: the form, its refusals, storing, the sandbox, Disconnect."""

import base64
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection as db
from django.test import Client, override_settings
from django.urls import reverse

from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from calendar_sync.normalize import normalize_event
from calendar_sync.providers import ews
from calendar_sync.sandbox import events as ms_sandbox
from calendar_sync.sandbox.ews import SANDBOX_ALIAS_LOCAL, SANDBOX_PASSWORD, SANDBOX_URL
from calendar_sync.sandbox.identities import identity_for
from calendar_sync.services.connection import ConnectRefused, connection_begin
from calendar_sync.services.lifecycle import connection_disable, user_calendar_purge
from calendar_sync.services.sync import skip_reason, sync_connection
from calendar_sync.services.sync_store import internal_domains_for
from ruby_site.models import AuditEntry
from tests.factories import ConnectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("exchange_sandbox")]
URL = reverse("exchange_connect")
EXCHANGE = CalendarConnection.Provider.EXCHANGE


@pytest.fixture
def exchange_sandbox():
    with override_settings(EXCHANGE_SANDBOX=True, EXCHANGE_RETRY_WAIT_SECONDS=0):
        yield


def _form(**changes):
    data = {
        "email": "sam@ruby-demo.example",
        "username": "RUBY\\sam",
        "password": SANDBOX_PASSWORD,
        "server_url": SANDBOX_URL,
        "version": "2016",
        "auth": "ntlm",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _refusal(user_client, **changes) -> str:
    response = user_client.post(URL, _form(**changes))
    assert response.status_code == 200
    assert not CalendarConnection.objects.exists()
    form_errors = [e for errors in response.context["form"].errors.values() for e in errors]
    return response.context["refused"] or " ".join(form_errors)


def test_the_form_offers_the_fields_and_the_sandbox_url(user_client):
    page = user_client.get(URL).content.decode()

    for label in ("Email address", "Username", "Password", "Exchange server URL", "Find it for me", "Version"):
        assert label in page
    assert "Exchange Server Subscription Edition" in page and "NTLM (Windows authentication)" in page
    assert SANDBOX_URL in page


@override_settings(EXCHANGE_SANDBOX=False)
def test_without_the_sandbox_no_sandbox_url_is_shown(user_client):
    assert SANDBOX_URL not in user_client.get(URL).content.decode()


def test_a_successful_sign_in_stores_the_connection(user_client, user):
    response = user_client.post(URL, _form())

    assert response.status_code == 302 and response.url == reverse("settings_integrations")
    connection = CalendarConnection.objects.get(user=user, provider=EXCHANGE)
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert (connection.email, connection.server_url, connection.server_version, connection.server_auth) == (
        "sam@ruby-demo.example",
        SANDBOX_URL,
        "2016",
        "ntlm",
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONNECT, object_id=str(connection.pk)).exists()


def test_the_password_is_stored_encrypted_and_never_shown_again(user_client, user):
    user_client.post(URL, _form(password="sandbox"))

    connection = CalendarConnection.objects.get(user=user)
    with db.cursor() as cursor:
        cursor.execute("SELECT token_cache FROM calendar_sync_calendarconnection WHERE id = %s", [connection.pk])
        raw = cursor.fetchone()[0]
    assert "sandbox" not in raw and "RUBY" not in raw
    assert "RUBY\\\\sam" in connection.token_cache  # decrypts for the provider
    for url in (reverse("settings_integrations"), URL):
        assert 'value="sandbox"' not in user_client.get(url).content.decode()


def test_detect_stores_the_version_the_server_reported(user_client, user):
    user_client.post(URL, _form(version="detect"))

    assert CalendarConnection.objects.get(user=user).server_version == "2016"


def test_an_http_url_is_refused(user_client):
    assert _refusal(user_client, server_url="http://mail.example.com/EWS/Exchange.asmx") == (
        "The Exchange server URL must start with https://."
    )


def test_a_url_that_is_not_an_ews_endpoint_is_refused(user_client):
    assert _refusal(user_client, server_url="https://mail.example.com/owa/") == (
        "The Exchange server URL must be the EWS endpoint, ending in /EWS/Exchange.asmx."
    )


@pytest.mark.parametrize("host", ["10.20.30.40", "127.0.0.1"])
def test_a_private_or_loopback_host_is_refused(user_client, host):
    assert _refusal(user_client, server_url=f"https://{host}/EWS/Exchange.asmx") == (
        "The Exchange server URL points to a private or local network address, which Ruby does not connect to."
    )


def test_an_empty_password_is_refused(user_client):
    assert _refusal(user_client, password="") == "Enter the password of your Exchange account."


def test_a_mailbox_that_is_not_the_ruby_account_is_refused(user_client):
    assert _refusal(user_client, email="sam@contoso.example") == (
        "The mailbox sam@contoso.example is not your Ruby account's address (sam@ruby-demo.example); "
        "Ruby only connects your own mailbox."
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONNECT_REFUSED).count() == 1


def test_a_sandbox_alias_of_another_persons_mailbox_is_refused_by_its_primary_address(user_client, user):
    user.email = f"{SANDBOX_ALIAS_LOCAL}@ruby-demo.example"
    user.save(update_fields=["email"])

    assert _refusal(user_client, email="team@ruby-demo.example") == (
        "The mailbox team@ruby-demo.example belongs to morgan.lee@ruby-demo.example, which is not your Ruby "
        "account's address (team@ruby-demo.example); Ruby only connects your own mailbox."
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONNECT_REFUSED).count() == 1


def test_a_wrong_password_is_refused_and_never_logged(user_client, caplog):
    caplog.set_level(logging.DEBUG)

    message = _refusal(user_client, password="Wr0ng-Secret!")

    assert message == "The Exchange server refused the username or password."
    assert "Wr0ng-Secret!" not in caplog.text


def test_no_server_url_without_find_it_for_me_is_refused(user_client):
    assert _refusal(user_client, server_url="") == "Enter the Exchange server URL, or tick “Find it for me”."


def test_an_outlook_connection_must_be_disconnected_first(user_client, user):
    ConnectionFactory(user=user)

    response = user_client.post(URL, _form())

    assert response.context["refused"] == (
        "Ruby syncs one calendar per person, and your Outlook Calendar (Microsoft 365) calendar is connected. "
        "Disconnect it first, then connect this one."
    )
    assert not CalendarConnection.objects.filter(provider=EXCHANGE).exists()


def test_outlook_cannot_be_connected_while_exchange_is(user_client, user):
    user_client.post(URL, _form())

    with pytest.raises(ConnectRefused) as caught:
        connection_begin(user=user, redirect_uri="http://testserver/settings/integrations/outlook/callback/")

    assert "your Exchange (on-premise) calendar is connected" in str(caught.value)


def test_a_support_disabled_exchange_connection_cannot_be_reconnected(user_client, user):
    user_client.post(URL, _form())
    CalendarConnection.objects.filter(user=user).update(status=CalendarConnection.Status.DISABLED)

    response = user_client.post(URL, _form())

    assert response.context["refused"].startswith("Exchange was disabled for your account by Ruby support")


def test_the_card_shows_the_connection_and_sync_now_syncs_the_week(
    user_client, user, django_capture_on_commit_callbacks
):
    user_client.post(URL, _form())
    connection = CalendarConnection.objects.get(user=user)

    page = user_client.get(reverse("settings_integrations")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("sync_now", args=[connection.pk]))

    assert "Exchange (on-premise)" in page and "Connected as sam@ruby-demo.example" in page
    run = SyncRun.objects.get(connection=connection)
    assert run.status == SyncRun.Status.SUCCEEDED and run.created > 0


def test_the_sandbox_week_is_filtered_exactly_as_the_microsoft_sandbox_week(user_client, user):
    user_client.post(URL, _form())
    connection = CalendarConnection.objects.get(user=user)

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    internal = internal_domains_for(connection)
    microsoft = [normalize_event(raw) for raw in ms_sandbox.week_for(identity_for(user.email))]
    expected = {
        e.provider_event_id
        for e in microsoft
        if e.starts_at < run.window_end
        and e.ends_at > run.window_start
        and not skip_reason(e, connection=connection, internal=internal)
    }
    stored = set(CalendarEvent.objects.filter(connection=connection).values_list("provider_event_id", flat=True))
    assert stored == expected and len(stored) >= 8


def test_disconnect_forgets_the_credentials(user_client, user):
    user_client.post(URL, _form())

    response = user_client.post(reverse("exchange_disconnect"), {})

    connection = CalendarConnection.objects.get(user=user)
    assert response.status_code == 302
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED and connection.token_cache == ""
    assert connection.status_reason.startswith("Disconnected by you on ")


def test_another_workspaces_user_gets_404_on_the_exchange_disconnect(user_client, outsider_client):
    user_client.post(URL, _form())

    assert outsider_client.get(reverse("exchange_disconnect")).status_code == 404


def test_connecting_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(URL, _form()).status_code == 403
    assert not CalendarConnection.objects.exists()


def test_a_sync_refuses_a_server_whose_address_became_private(user_client, user):
    user_client.post(URL, _form())
    CalendarConnection.objects.filter(user=user).update(server_url="https://127.0.0.1/EWS/Exchange.asmx")
    connection = CalendarConnection.objects.get(user=user)

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    connection.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert connection.status_reason == ews.describe_error(ews.EwsError(ews.UNSAFE, code="private"))


def test_find_it_for_me_says_plainly_when_autodiscover_finds_nothing(user_client):
    # ruby-demo.example has no autodiscover host and no SRV record (.example never resolves).
    assert _refusal(user_client, server_url="", find_server="on") == (
        "Ruby could not find your Exchange server automatically; enter the EWS server URL."
    )


def test_sync_calendars_syncs_an_exchange_connection(user_client, user):
    user_client.post(URL, _form())

    call_command("sync_calendars", user=user.email, stdout=StringIO())

    run = SyncRun.objects.get(connection__user=user)
    assert (run.status, run.trigger) == (SyncRun.Status.SUCCEEDED, SyncRun.Trigger.COMMAND)


def test_support_disable_stops_the_exchange_sync(user_client, user, member):
    user_client.post(URL, _form())
    connection = CalendarConnection.objects.get(user=user)

    connection_disable(connection=connection, by=member, reason="Abuse report")
    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    assert run.status == SyncRun.Status.SKIPPED
    assert run.error.startswith("Disabled by Ruby support: Abuse report.")


def test_a_deletion_request_purge_forgets_the_exchange_credentials(user_client, user):
    user_client.post(URL, _form())
    connection = CalendarConnection.objects.get(user=user)
    sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    counts = user_calendar_purge(user=user)

    connection.refresh_from_db()
    assert counts["events"] > 0 and counts["token_caches"] == 1
    assert connection.token_cache == "" and not CalendarEvent.objects.filter(connection=connection).exists()


def test_basic_auth_credentials_never_reach_the_logs_even_at_debug(user_client, caplog):
    caplog.set_level(logging.DEBUG)

    user_client.post(URL, _form(auth="basic"))

    assert CalendarConnection.objects.get().status == CalendarConnection.Status.CONNECTED
    encoded = base64.b64encode(f"RUBY\\sam:{SANDBOX_PASSWORD}".encode()).decode()
    assert encoded not in caplog.text and "Authorization" not in caplog.text
