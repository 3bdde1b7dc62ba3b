"""'Sign in with Microsoft' must never log in or link an existing Ruby user by an email claim (nOAuth)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from tests.factories import UserFactory

TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
ME_URL = "https://graph.microsoft.com/v1.0/me"


def _microsoft_callback(client, me: dict):
    start = client.post("/accounts/microsoft/login/")
    assert start.status_code == 302
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    with responses.RequestsMock() as mock:
        mock.post(TOKEN_URL, json={"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600})
        mock.get(ME_URL, json=me)
        return client.get("/accounts/microsoft/login/callback/", {"code": "code-1", "state": state})


@pytest.mark.django_db
def test_microsoft_email_claim_does_not_log_into_existing_account(client):
    victim = UserFactory(email="ceo@northwind.io")

    _microsoft_callback(client, {"id": "attacker-oid", "mail": "CEO@northwind.io", "displayName": "Not the CEO"})

    assert client.session.get("_auth_user_id") != str(victim.pk)
    assert not victim.socialaccount_set.exists()


@pytest.mark.django_db
def test_new_microsoft_identity_goes_to_signup_not_straight_in(client):
    response = _microsoft_callback(client, {"id": "new-oid", "mail": "new@northwind.io", "displayName": "New"})

    assert client.session.get("_auth_user_id") is None
    assert response["Location"] == "/accounts/3rdparty/signup/"


@pytest.mark.django_db
def test_microsoft_sign_in_start_is_post_only(client):
    response = client.get("/accounts/microsoft/login/")

    assert response.status_code == 200  # a confirmation page; no redirect to Microsoft on GET
    assert "login.microsoftonline.com" not in response.get("Location", "")
