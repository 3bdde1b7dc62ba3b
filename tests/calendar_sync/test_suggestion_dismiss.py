"""Dismissing a suggestion from the calendar (issue 14): stored per workspace, never suggested to it again."""

import pytest
from django.test import Client

from calendar_sync.models import CalendarEvent, SuggestionDismissal
from calendar_sync.selectors.suggestions import suggestions_from
from tests.calendar_sync.test_suggestions import _sync
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory

pytestmark = pytest.mark.django_db


def _found(workspace):
    found = suggestions_from(CalendarEvent.objects.filter(workspace=workspace), workspace=workspace)
    return [s.domain for s in found.accounts], [s.email for s in found.contacts]


def test_dismissing_an_account_stores_the_domain_for_the_workspace(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    response = client.post("/calendar/suggestions/dismiss/", {"domain": "northwind.example"}, follow=True)

    assert list(SuggestionDismissal.objects.values_list("workspace_id", "kind", "value", "dismissed_by_id")) == [
        (workspace.pk, "account", "northwind.example", connection.user.pk)
    ]
    assert "northwind.example dismissed: Ruby will not suggest it again." in response.content.decode()


def test_a_dismissed_account_is_not_suggested_again(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    client.post("/calendar/suggestions/dismiss/", {"domain": "northwind.example"})
    _sync(connection, fake_graph)

    assert _found(workspace)[0] == ["contoso.example"]
    assert "<strong>Northwind</strong> — northwind.example" not in client.get("/calendar/suggestions/").content.decode()


def test_a_dismissed_contact_is_not_suggested_again(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    client.post("/calendar/suggestions/dismiss/", {"email": "dana@northwind.example"})

    assert "dana@northwind.example" not in _found(workspace)[1]
    assert "northwind.example" in _found(workspace)[0]


def test_another_workspace_still_gets_the_dismissed_suggestion(
    workspace, connection, fake_graph, client, outsider, other_workspace
):
    _sync(connection, fake_graph)
    event = EventFactory(connection=ConnectionFactory(user=outsider))
    AttendeeFactory(event=event, email="dana@northwind.example", name="Dana Whitfield", is_internal=False)
    client.force_login(connection.user)

    client.post("/calendar/suggestions/dismiss/", {"domain": "northwind.example"})
    client.post("/calendar/suggestions/dismiss/", {"email": "dana@northwind.example"})

    assert _found(other_workspace) == (["northwind.example"], ["dana@northwind.example"])


def test_a_user_of_another_workspace_gets_404_dismissing_a_suggestion(
    workspace, connection, fake_graph, outsider_client
):
    _sync(connection, fake_graph)

    response = outsider_client.post("/calendar/suggestions/dismiss/", {"domain": "northwind.example"})

    assert response.status_code == 404
    assert not SuggestionDismissal.objects.exists()


def test_dismissing_needs_a_post(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    assert client.get("/calendar/suggestions/dismiss/?domain=northwind.example").status_code == 405
    assert not SuggestionDismissal.objects.exists()


def test_dismissing_needs_the_csrf_token(workspace, connection, fake_graph):
    _sync(connection, fake_graph)
    client = Client(enforce_csrf_checks=True)
    client.force_login(connection.user)

    assert client.post("/calendar/suggestions/dismiss/", {"domain": "northwind.example"}).status_code == 403


def test_the_suggestions_page_has_a_dismiss_button_per_account(workspace, connection, fake_graph, client):
    _sync(connection, fake_graph)
    client.force_login(connection.user)

    body = client.get("/calendar/suggestions/").content.decode()

    assert (
        '<input type="hidden" name="domain" value="northwind.example"><button type="submit" class="secondary">Dismiss'
        in body
    )
