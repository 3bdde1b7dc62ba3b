"""The access layer: a signed-in user outside any workspace (a support-only account) gets 404 from every member
page, the same answer as an id from another workspace; the order login -> method -> workspace stays as it was."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "/settings/",
    "/settings/workspace/",
    "/settings/members/",
    "/calendar/",
    "/deals/",
    "/deals/new/",
    "/deals/accounts/",
    "/deals/accounts/new/",
    "/deals/contacts/",
    "/deals/contacts/new/",
]


@pytest.fixture
def loner_client():
    client = Client()
    client.force_login(UserFactory(email="support@ruby.example", workspace=False))
    return client


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_user_outside_any_workspace_gets_404(loner_client, url):
    assert loner_client.get(url).status_code == 404


def test_read_only_page_refuses_post_before_looking_for_a_workspace(loner_client):
    assert loner_client.post("/calendar/").status_code == 405


def test_action_refuses_get_before_looking_for_a_workspace(loner_client):
    assert loner_client.get("/calendar/events/1/discard/").status_code == 405


def test_action_of_user_outside_any_workspace_is_404(loner_client):
    assert loner_client.post("/calendar/events/1/discard/").status_code == 404


@pytest.mark.parametrize("url", ["/settings/members/", "/calendar/", "/deals/"])
def test_logged_out_visitor_is_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
