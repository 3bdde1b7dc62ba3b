"""Security promises of the developers' guide, checked by walking every URL pattern of the project
(admin, allauth and the DEBUG-only Microsoft sandbox are skipped: they have their own tests):

- an object id of another workspace is a 404 for GET and POST (never 403, never the object);
- a GET never changes anything in the database;
- a POST without the CSRF token is refused (403) and changes nothing — only the signed transcript webhook
  is exempt;
- the views that change state refuse GET (405).

A new URL that takes an id must be added to OBJECT_FOR, so the walk cannot silently skip it.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from ruby_site.models import Invitation
from tests.factories import (
    AccountFactory,
    AttendeeFactory,
    ConnectionFactory,
    ContactFactory,
    DealFactory,
    EventFactory,
    TranscriptFactory,
    TranscriptSourceFactory,
)

SKIPPED_PREFIXES = ("admin/", "accounts/", "sandbox/", "static/")
# Called by other servers: the transcript webhook is signed per source (HMAC); Graph's notifications carry the
# subscription id and clientState, checked before anything is written.
CSRF_EXEMPT = {"transcript_webhook", "microsoft_notifications", "microsoft_lifecycle"}
# Views that change state: GET must be refused before anything else happens.
POST_ONLY = {
    "invitation_revoke",
    "outlook_connect",
    "event_discard",
    "event_restore",
    "event_process",
    "event_assign",
    "event_unassign",
    "sync_now",
    "sync_options",
    "transcript_confirm",
    "transcript_change",
    "transcript_clear",
    "transcript_auto",
    "transcript_deal",
    "transcript_source_enable",
    "transcript_source_disable",
    "transcript_source_secret",
    "transcript_source_stop_old",
    "transcript_source_save",
    "transcript_source_test",
    "transcript_source_fetch",
    "transcript_source_sandbox",
    "transcript_webhook",
    "teams_transcripts_connect",
    "teams_transcripts_disconnect",
    "teams_transcripts_fetch",
    "suggestion_account_accept",
    "suggestion_contact_accept",
    "suggestion_dismiss",
    "calendar_layout",
    "microsoft_notifications",
    "microsoft_lifecycle",
}
# Pages that only read: a POST is refused (405) before anything is looked up.
GET_ONLY = {"event_detail", "sync_status"}
# Pages whose GET sends the visitor on (an invitation link for a signed-in user, the end of the OAuth round trip).
GET_REDIRECTS = {
    "invitation_accept",
    "outlook_callback",
    "outlook_connect_result",
    "teams_transcripts_callback",
    "csv_preview",
}
# Which object an <int:pk> URL takes, by the first word of its name.
OBJECT_FOR = {
    "invitation": "invitation",
    "deal": "deal",
    "account": "account",
    "contact": "contact",
    "event": "event",
    "sync": "connection",
    "transcript": "transcript",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name and not route.startswith(SKIPPED_PREFIXES):
            yield entry.name, route, dict(entry.pattern.converters)


URLS = sorted({name: (route, conv) for name, route, conv in _walk(get_resolver().url_patterns)}.items())
PK_URLS = [name for name, (route, conv) in URLS if "pk" in conv]


def test_the_walk_sees_the_project_urls():
    names = {name for name, _ in URLS}
    assert {"deal_detail", "event_discard", "sync_now", "transcript_confirm", "connection_disconnect"} <= names
    assert not names & {"admin:index", "account_login", "sandbox_consent"}
    for name in PK_URLS:
        assert name.split("_")[0] in OBJECT_FOR, f"{name} takes an id: add it to OBJECT_FOR"


@pytest.fixture
def objects(user, workspace):
    """One of everything in workspace A, owned by `user` (an admin of A)."""
    connection = ConnectionFactory(user=user)
    # A former Exchange (on-premise) connection too, so its Disconnect / delete-data page exists.
    ConnectionFactory(user=user, provider="exchange", status="not_connected", tenant_id="", object_id="")
    account = AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    event = EventFactory(connection=connection, account=account)
    AttendeeFactory(event=event, email="nina@northwind.example")
    TranscriptSourceFactory(workspace=workspace, source="zoom")
    return {
        "connection": connection,
        "account": account,
        "contact": ContactFactory(workspace=workspace, account=account, email="nina@northwind.example"),
        "deal": DealFactory(workspace=workspace, account=account, owner=user),
        "event": event,
        "transcript": TranscriptFactory(workspace=workspace),
        "invitation": Invitation.objects.create(workspace=workspace, email="new@ruby-demo.example", invited_by=user),
    }


def _url(name: str, objects: dict) -> str:
    route, converters = dict(URLS)[name]
    kwargs = {}
    for key in converters:
        if key == "pk":
            kwargs["pk"] = objects[OBJECT_FOR[name.split("_")[0]]].pk
        elif key == "source":
            kwargs["source"] = "zoom"
        elif key == "token":
            kwargs["token"] = objects["invitation"].token if name == "invitation_accept" else "not-a-real-token"
        else:  # pragma: no cover - a new converter needs a value here
            raise AssertionError(f"no test value for <{key}> in {route}")
    return reverse(name, kwargs=kwargs)


def _fingerprint() -> dict:
    """Every row of every table except sessions (a login or a message writes there)."""
    state = {}
    for model in apps.get_models():
        if model._meta.label in ("sessions.Session",):
            continue
        state[model._meta.label] = repr(list(model._base_manager.order_by("pk").values_list()))
    return state


def _changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


@pytest.mark.parametrize("name", PK_URLS)
def test_user_of_another_workspace_gets_404_for_get_and_post(name, objects, user, outsider):
    url = _url(name, objects)
    outsider_client = Client()
    outsider_client.force_login(outsider)
    before = _fingerprint()

    got, posted = outsider_client.get(url).status_code, outsider_client.post(url).status_code

    assert _changed(before, _fingerprint()) == []
    if name in POST_ONLY:
        assert (got, posted) == (405, 404)
    elif name in GET_ONLY:
        assert (got, posted) == (404, 405)
    else:
        assert (got, posted) == (404, 404)


@pytest.mark.parametrize("name", [name for name in PK_URLS if name not in POST_ONLY])
def test_the_same_page_opens_for_its_owner(name, objects, user):
    owner = Client()
    owner.force_login(user)

    assert owner.get(_url(name, objects)).status_code == 200


@pytest.mark.parametrize("name", [name for name, _ in URLS])
def test_get_changes_nothing(name, objects, user):
    url = _url(name, objects)
    client = Client()
    client.force_login(user)
    before = _fingerprint()

    response = client.get(url)

    assert response.status_code == (405 if name in POST_ONLY else 302 if name in GET_REDIRECTS else 200)
    assert _changed(before, _fingerprint()) == []


@pytest.mark.parametrize("name", [name for name, _ in URLS if name not in CSRF_EXEMPT])
def test_post_without_csrf_token_is_refused_and_changes_nothing(name, objects, user):
    url = _url(name, objects)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = _fingerprint()

    response = client.post(url, {"purge": "on", "reason": "x"})

    assert response.status_code == 403
    assert _changed(before, _fingerprint()) == []
    assert "This form has expired" in response.content.decode()  # templates/403_csrf.html, plain words


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_state_changing_view_refuses_get(name, objects, user):
    client = Client()
    client.force_login(user)

    assert client.get(_url(name, objects)).status_code == 405


def test_only_the_machine_webhooks_are_csrf_exempt(objects):
    exempt = {
        name for name, _ in URLS if getattr(get_resolver().resolve(_url(name, objects)).func, "csrf_exempt", False)
    }

    assert exempt == CSRF_EXEMPT
