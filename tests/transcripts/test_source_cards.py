"""Settings -> Transcript sources: one card per vendor in its own words; save, test, turn off; admins only."""

import json
import logging

import pytest
import responses
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import TranscriptDeliveryFactory, TranscriptFactory, TranscriptSourceFactory
from tests.transcripts.sources import vendor_bodies as vb
from transcripts.models import TranscriptSource

ZOOM_FORM = {"account_id": "acc-1", "client_id": "cid-1", "client_secret": "cs-very-secret", "secret_token": "tok-1"}


def card(client, source):
    page = client.get(reverse("transcript_sources")).content.decode()
    return page.split(f'id="source-{source}"', 1)[1].split("</section>", 1)[0]


def save(client, source, data):
    return client.post(reverse("transcript_source_save", args=[source]), data)


def test_each_vendor_card_uses_the_vendors_words(user_client):
    zoom, fireflies, fathom = card(user_client, "zoom"), card(user_client, "fireflies"), card(user_client, "fathom")
    for label in ("Account ID", "Client ID", "Client secret", "Secret token"):
        assert f">{label}</label>" in zoom
    assert ">API key</label>" in fireflies and ">Webhook secret</label>" in fireflies
    assert "16–32 characters" in fireflies
    assert ">Webhook secret</label>" in fathom and "whsec_" in fathom


def test_saving_credentials_encrypts_them_and_never_shows_them_again(user_client, workspace, caplog):
    caplog.set_level(logging.DEBUG)
    response = save(user_client, "zoom", ZOOM_FORM)
    assert response.status_code == 302
    config = TranscriptSource.objects.get(workspace=workspace, source="zoom")
    assert (config.state, config.credential_values()) == ("connected", ZOOM_FORM)
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM transcripts_transcriptsource WHERE id = %s", [config.pk])
        assert "cs-very-secret" not in cursor.fetchone()[0]
    page = user_client.get(reverse("transcript_sources")).content.decode()
    assert "cs-very-secret" not in page and "tok-1" not in page
    assert "Saved — leave empty to keep" in card(user_client, "zoom")
    assert "cs-very-secret" not in caplog.text


def test_empty_fields_keep_what_was_saved(user_client, workspace):
    save(user_client, "zoom", ZOOM_FORM)
    save(user_client, "zoom", {"client_secret": "rotated"})
    values = TranscriptSource.objects.get(source="zoom").credential_values()
    assert values == {**ZOOM_FORM, "client_secret": "rotated"}


def test_a_first_save_needs_every_required_field(user_client):
    response = save(user_client, "zoom", {"client_id": "x"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not TranscriptSource.objects.exists()


@pytest.mark.parametrize(
    ("secret", "said"),
    [
        ("fifteen-chars-x", "Ensure this value has at least 16 characters (it has 15)."),
        ("a-secret-that-is-longer-than-32-chars", "Ensure this value has at most 32 characters (it has 37)."),
    ],
)
def test_fireflies_secret_must_be_16_to_32_characters(user_client, secret, said):
    response = save(user_client, "fireflies", {"api_key": "k", "webhook_secret": secret})
    assert response.status_code == 400
    assert said in response.content.decode().split('id="source-fireflies"', 1)[1].split("</section>", 1)[0]
    assert not TranscriptSource.objects.exists()


def test_the_webhook_address_is_shown_after_saving(user_client, workspace, settings):
    settings.PUBLIC_BASE_URL = "https://ruby.example.com"
    save(user_client, "zoom", ZOOM_FORM)
    token = TranscriptSource.objects.get().webhook_token
    assert f"https://ruby.example.com/webhooks/transcripts/zoom/{token}/" in card(user_client, "zoom")


def test_the_webhook_address_falls_back_to_the_request_host(user_client):
    save(user_client, "fathom", {"webhook_secret": vb.STANDARD_WEBHOOKS_VECTOR["secret"]})
    token = TranscriptSource.objects.get().webhook_token
    assert f"http://testserver/webhooks/transcripts/fathom/{token}/" in card(user_client, "fathom")


@responses.activate
def test_test_connection_says_connected(user_client):
    responses.post("https://zoom.us/oauth/token", json=vb.ZOOM_TOKEN)
    save(user_client, "zoom", ZOOM_FORM)
    page = user_client.post(reverse("transcript_source_test", args=["zoom"]), follow=True).content.decode()
    assert "Zoom: Connected. Zoom accepted the app&#x27;s Account ID, Client ID and Client secret." in page
    assert len(responses.calls) == 1


@responses.activate
def test_failed_test_puts_the_source_in_needs_attention_with_the_vendors_reason(user_client):
    responses.post("https://api.fireflies.ai/graphql", json=vb.FIREFLIES_FORBIDDEN)
    save(user_client, "fireflies", {"api_key": "k", "webhook_secret": "sixteen-chars-ok"})
    user_client.post(reverse("transcript_source_test", args=["fireflies"]))
    html = card(user_client, "fireflies")
    assert "Needs attention" in html
    assert "Failed: Fireflies refused the credentials (403)" in html
    assert "Fireflies refused the credentials (403): “You are not authorized to perform this action”." in html


def test_card_shows_counts_last_delivery_and_retrying_reason(user_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="zoom", credentials=json.dumps(ZOOM_FORM))
    TranscriptFactory(workspace=workspace, source="zoom", match_status="unmatched")
    TranscriptDeliveryFactory(
        workspace=workspace, source="zoom", status="retrying", error="Zoom did not answer properly (503)."
    )
    html = card(user_client, "zoom")
    assert "received 1 · matched 0 · ambiguous 0 · unmatched 1 · <strong>retrying 1</strong>" in html
    assert "<strong>retrying: Zoom did not answer properly (503).</strong>" in html
    assert config.webhook_token in html


def test_turn_off(user_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="zoom")
    user_client.post(reverse("transcript_source_disable", args=["zoom"]))
    config.refresh_from_db()
    assert config.state == "off"
    assert "Turn off" not in card(user_client, "zoom")


def test_members_get_403_everywhere(member_client, workspace):
    TranscriptSourceFactory(workspace=workspace, source="zoom")
    assert member_client.get(reverse("transcript_sources")).status_code == 403
    for name in ("save", "test", "disable", "sandbox", "fetch"):
        assert member_client.post(reverse(f"transcript_source_{name}", args=["zoom"]), ZOOM_FORM).status_code == 403
    assert TranscriptSource.objects.get().credentials == ""


def test_another_workspaces_admin_gets_404_on_our_source(outsider_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="zoom", credentials=json.dumps(ZOOM_FORM))
    for name in ("test", "disable", "sandbox", "fetch"):
        assert outsider_client.post(reverse(f"transcript_source_{name}", args=["zoom"])).status_code == 404
    config.refresh_from_db()
    assert config.state == "connected"
    assert config.webhook_token not in outsider_client.get(reverse("transcript_sources")).content.decode()


def test_actions_are_post_only(user_client, workspace):
    TranscriptSourceFactory(workspace=workspace, source="zoom")
    for name in ("save", "test", "disable", "sandbox"):
        assert user_client.get(reverse(f"transcript_source_{name}", args=["zoom"])).status_code == 405


def test_actions_need_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("transcript_source_save", args=["zoom"]), ZOOM_FORM).status_code == 403
    assert not TranscriptSource.objects.exists()


def test_sandbox_button_is_404_when_the_sandbox_is_off(user_client, workspace, settings):
    settings.TRANSCRIPT_SANDBOX = False
    TranscriptSourceFactory(workspace=workspace, source="zoom", credentials=json.dumps(ZOOM_FORM))
    assert "Send a sandbox delivery" not in card(user_client, "zoom")
    assert user_client.post(reverse("transcript_source_sandbox", args=["zoom"])).status_code == 404


def test_custom_source_keeps_secret_rotation_and_sample_curl(user_client, workspace):
    user_client.post(reverse("transcript_source_enable", args=["custom"]))
    response = user_client.post(reverse("transcript_source_secret", args=["custom"]))
    secret = TranscriptSource.objects.get(source="custom").secret
    html = response.content.decode().split('id="source-custom"', 1)[1]
    assert secret in html and "openssl dgst -sha256 -hmac" in html and "X-Ruby-Signature" in html


def test_vendor_sources_cannot_be_turned_on_without_credentials(user_client):
    assert user_client.post(reverse("transcript_source_enable", args=["zoom"])).status_code == 404


def test_the_teams_card_says_where_each_user_connects_it_and_asks_for_no_credentials(user_client, user, workspace):
    TranscriptFactory(workspace=workspace, source="teams", external_id="t-1")
    teams = card(user_client, "teams")
    assert "Per user" in teams and "Off</span>" not in teams
    assert "<form" not in teams and "Test connection" not in teams and "Webhook address" not in teams
    assert f'href="{reverse("settings_integrations")}#teams-transcripts-card"' in teams
    assert "Connect Teams transcripts in Settings → Integrations" in teams
    assert "<dt>Users connected</dt><dd>0</dd>" in teams
    assert "received 1 · matched 0 · ambiguous 0 · unmatched 1" in teams
