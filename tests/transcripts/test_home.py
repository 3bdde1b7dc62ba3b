"""The home page ("/"): the landing page for visitors, the coming week for members."""

from django.urls import reverse

from tests.factories import UserFactory


def test_home_is_the_root_address():
    assert reverse("home") == "/"


def test_visitor_sees_the_landing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "ruby_site/landing.html"
    assert "Your meetings, linked to your deals." in response.content.decode()


def test_member_sees_the_workspace_home(user_client, user):
    response = user_client.get("/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "transcripts/home.html"
    assert "Your coming week" in response.content.decode()


def test_member_without_a_calendar_is_invited_to_connect_it(user_client):
    assert "Connect your Outlook calendar" in user_client.get("/").content.decode()


def test_signed_in_user_outside_any_workspace_gets_404(client, db):
    loner = UserFactory(workspace=False)
    loner.save()  # the factory saves the password only along with a membership
    client.force_login(loner)
    assert client.get("/").status_code == 404
