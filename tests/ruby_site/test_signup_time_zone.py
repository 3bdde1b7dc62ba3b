"""Signup: the browser's time zone, the invited user's shorter form, and the grouped time-zone picker."""

from datetime import UTC, datetime

import pytest

from ruby_site.models import Invitation, User
from ruby_site.timezones import grouped_time_zone_choices, offset_label

PASSWORD = "a-long-enough-passphrase-2026"
pytestmark = pytest.mark.django_db


def _signup(client, email, **extra):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra})


def test_signup_takes_the_time_zone_the_browser_sent(client):
    _signup(client, "ana@northwind.io", time_zone="America/Toronto")

    assert User.objects.get(email="ana@northwind.io").time_zone == "America/Toronto"


def test_signup_without_a_browser_time_zone_starts_in_utc(client):
    _signup(client, "ana@northwind.io")

    assert User.objects.get(email="ana@northwind.io").time_zone == "UTC"


def test_signup_ignores_a_time_zone_that_does_not_exist(client):
    _signup(client, "ana@northwind.io", time_zone="Mars/Olympus")

    assert User.objects.get(email="ana@northwind.io").time_zone == "UTC"


def test_signup_page_has_the_hidden_time_zone_field_and_its_script(client):
    body = client.get("/accounts/signup/").content.decode()

    assert 'type="hidden" name="time_zone"' in body
    assert "js/time-zone" in body


def test_signup_asks_a_newcomer_for_the_company_name(client):
    assert 'name="workspace_name"' in client.get("/accounts/signup/").content.decode()


def test_invited_signup_does_not_ask_for_a_company_name(client, workspace, user):
    invitation = Invitation.objects.create(workspace=workspace, email="joiner@ruby-demo.example", invited_by=user)
    client.get(f"/invite/{invitation.token}/")

    assert 'name="workspace_name"' not in client.get("/accounts/signup/").content.decode()


def test_the_picker_groups_zones_by_region_with_the_current_offset():
    winter = datetime(2026, 1, 15, tzinfo=UTC)

    choices = dict(grouped_time_zone_choices(now=winter)[1:])

    assert ("America/Toronto", "(UTC−05:00) Toronto") in choices["America"]
    assert ("Asia/Kolkata", "(UTC+05:30) Kolkata") in choices["Asia"]
    assert "Africa/Abidjan" not in dict(grouped_time_zone_choices(now=winter)[:1])


def test_the_offset_follows_daylight_saving_time():
    assert offset_label("Europe/Paris", now=datetime(2026, 7, 1, tzinfo=UTC)) == "UTC+02:00"
    assert offset_label("Europe/Paris", now=datetime(2026, 1, 1, tzinfo=UTC)) == "UTC+01:00"


def test_profile_saves_a_zone_from_the_grouped_picker(user_client, user):
    response = user_client.post("/settings/", {"first_name": "Sam", "last_name": "Seller", "time_zone": "Asia/Tokyo"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
