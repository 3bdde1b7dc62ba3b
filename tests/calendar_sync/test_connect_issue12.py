"""Connect (issue 12): the first sync is queued at once, personal Microsoft accounts connect and keep their
outlook.com attendees, the admin-consent link is Microsoft's v2 form, and each AADSTS code gets its own page.
AADSTS facts: graph_ews.md A.6 (entra-docs reference-error-codes.md, v2-admin-consent.md); personal accounts: A.7."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from calendar_sync.models import CalendarConnection, CalendarEvent, EventAttendee, SyncRun
from calendar_sync.services.sync import sync_connection
from calendar_sync.services.sync_store import internal_domains_for
from calendar_sync.tenants import PERSONAL_TENANT_ID
from tests.calendar_sync.connect_helpers import (
    OBJECT_ID,
    TENANT_ID,
    callback,
    give_token_cache,
    me_body,
    me_url,
    start_connect,
    token_body,
    token_url,
)
from tests.calendar_sync.graph_fakes import FakeCalendar, graph_event, person
from tests.factories import ConnectionFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _finish(client, rsps, *, email="sam@ruby-demo.example", mail="sam@ruby-demo.example", tid=None):
    query = start_connect(client, rsps)
    kwargs = {"tid": tid} if tid else {}
    rsps.post(token_url(), json=token_body(nonce=query["nonce"], email=email, **kwargs))
    rsps.get(me_url(), json=me_body(mail=mail, upn=email))
    return callback(client, code="auth-code-1", state=query["state"])


# --- first sync ---------------------------------------------------------------------------


def test_connect_queues_the_first_sync_at_once(user_client, user, rsps):
    page = _finish(user_client, rsps).content.decode()

    run = SyncRun.objects.get(connection__user=user)
    assert (run.trigger, run.status) == (SyncRun.Trigger.CONNECT, SyncRun.Status.QUEUED)
    assert "Sync queued" in page  # the progress line the user knows from Sync now


def test_reconnect_queues_a_sync_too(user_client, user, rsps):
    ConnectionFactory(
        user=user, status=CalendarConnection.Status.NOT_CONNECTED, object_id=OBJECT_ID, tenant_id=TENANT_ID
    )

    _finish(user_client, rsps)

    assert list(SyncRun.objects.filter(connection__user=user).values_list("trigger", flat=True)) == ["connect"]


def test_connect_runs_the_first_sync_in_the_worker(user_client, user, rsps, django_capture_on_commit_callbacks):
    calendar = FakeCalendar(rsps, [graph_event(id="ev-1", attendees=[person("dana@northwind.example")])])

    with django_capture_on_commit_callbacks(execute=True):
        _finish(user_client, rsps)

    assert SyncRun.objects.get(connection__user=user).status == SyncRun.Status.SUCCEEDED
    assert len(calendar.calls) == 1


# --- personal accounts --------------------------------------------------------------------


@pytest.fixture
def personal_client(client, db):
    workspace = WorkspaceFactory(name="Ann's", slug="ann", internal_domains=["outlook.com"])  # created before the fix
    user = UserFactory(email="ann@outlook.com", workspace=workspace)
    client.force_login(user)
    return client


def test_free_mail_domains_are_never_internal(db):
    workspace = WorkspaceFactory(slug="gm", internal_domains=["hotmail.com", "fabrikam.example"])
    connection = ConnectionFactory(user=UserFactory(email="ann@outlook.com", workspace=workspace))

    assert internal_domains_for(connection) == frozenset({"fabrikam.example", "ann@outlook.com"})


def test_a_personal_account_connects_with_mail_null_and_syncs_keeping_outlook_attendees(
    personal_client, rsps, django_capture_on_commit_callbacks
):
    calendar = FakeCalendar(
        rsps,
        [
            graph_event(
                id="ev-1",
                subject="Coffee with Bo",
                organizer="ann@outlook.com",
                attendees=[person("ann@outlook.com", response="organizer"), person("bo@outlook.com")],
            ),
            graph_event(id="ev-2", subject="Gym", organizer="ann@outlook.com", attendees=[]),
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = _finish(personal_client, rsps, email="ann@outlook.com", mail=None, tid=PERSONAL_TENANT_ID)

    connection = CalendarConnection.objects.get(user__email="ann@outlook.com")
    assert "Connected as ann@outlook.com" in response.content.decode()
    assert (connection.tenant_id, connection.email) == (PERSONAL_TENANT_ID, "ann@outlook.com")
    assert len(calendar.calls) == 1
    assert list(CalendarEvent.objects.filter(connection=connection).values_list("subject", flat=True)) == [
        "Coffee with Bo"
    ]
    flags = dict(EventAttendee.objects.filter(event__connection=connection).values_list("email", "is_internal"))
    assert flags == {"ann@outlook.com": True, "bo@outlook.com": False}


def test_a_personal_accounts_solo_appointment_stays_internal(db, rsps):
    user = UserFactory(email="ann@outlook.com")
    connection = ConnectionFactory(user=user)
    give_token_cache(connection)
    FakeCalendar(rsps, [graph_event(id="ev-1", organizer="ann@outlook.com", attendees=[person("ann@outlook.com")])])

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL)

    assert (run.created, run.skip_reasons) == (0, {"internal": 1})


# --- admin consent ------------------------------------------------------------------------


def _consent_link(page: str) -> str:
    start = page.index('class="admin-consent-link" href="') + len('class="admin-consent-link" href="')
    return page[start : page.index('"', start)].replace("&amp;", "&")


def test_admin_consent_link_is_the_v2_form_for_organizations(user_client, rsps):
    query = start_connect(user_client, rsps)
    page = callback(
        user_client, error="consent_required", error_description="AADSTS90094: Admin consent is required.",
        state=query["state"],
    ).content.decode()  # fmt: skip

    link = urlsplit(_consent_link(page))
    params = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert (link.netloc, link.path) == ("login.microsoftonline.com", "/organizations/v2.0/adminconsent")
    assert params == {
        "client_id": "test-client-id",
        "scope": "https://graph.microsoft.com/Calendars.Read https://graph.microsoft.com/User.Read",
        "redirect_uri": "http://testserver/settings/integrations/outlook/callback/",
    }


def test_admin_consent_link_uses_the_configured_tenant_id(user_client, rsps, settings):
    settings.MICROSOFT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    query = start_connect(user_client, rsps)
    page = callback(user_client, error="consent_required", state=query["state"]).content.decode()

    assert urlsplit(_consent_link(page)).path == "/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/adminconsent"


def test_admin_consent_link_is_not_shown_to_a_personal_account(personal_client, rsps):
    query = start_connect(personal_client, rsps)
    page = callback(
        personal_client, error="consent_required", error_description="AADSTS65001: x", state=query["state"]
    ).content.decode()

    assert "admin-consent-link" not in page


def test_returning_from_admin_consent_says_connect_now(user_client):
    page = user_client.get(
        "/settings/integrations/outlook/callback/", {"admin_consent": "True", "tenant": "t"}, follow=True
    ).content.decode()

    assert "recorded the administrator" in page


# --- errors by code -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "error,number,words,kind",
    [
        ("invalid_grant", 65001, "must approve Ruby once with the link below", "admin_consent"),
        ("invalid_request", 50020, "belongs to another organisation", "wrong_tenant"),
        ("access_denied", 90094, "must approve Ruby once with the link below", "admin_consent"),
        ("access_denied", 90095, "must approve Ruby once with the link below", "admin_consent"),
        ("unauthorized_client", 700016, "does not know Ruby", "unknown_app"),
        ("invalid_request", 50011, "return address is not registered", "redirect_mismatch"),
    ],
)
def test_each_aadsts_code_has_its_plain_words_page(user_client, rsps, error, number, words, kind):
    query = start_connect(user_client, rsps)
    rsps.post(
        token_url(),
        status=400,
        json={"error": error, "error_description": f"AADSTS{number}: text Ruby never reads", "error_codes": [number]},
    )

    page = callback(user_client, code="c", state=query["state"]).content.decode()

    assert words in page and f'data-kind="{kind}"' in page
    assert f"AADSTS{number}" in page


@pytest.mark.parametrize(
    "number,kind", [(50020, "wrong_tenant"), (50011, "redirect_mismatch"), (90095, "admin_consent")]
)
def test_aadsts_codes_on_the_authorize_redirect_are_read_from_the_description_prefix(user_client, rsps, number, kind):
    query = start_connect(user_client, rsps)
    page = callback(
        user_client, error="invalid_request", error_description=f"AADSTS{number}: whatever", state=query["state"]
    ).content.decode()

    assert f'data-kind="{kind}"' in page


def test_an_unknown_code_shows_the_code_and_try_again_or_contact_your_admin(user_client, rsps):
    query = start_connect(user_client, rsps)
    page = callback(
        user_client, error="invalid_request", error_description="AADSTS12345: New error", state=query["state"]
    ).content.decode()

    assert "AADSTS12345" in page and "Try again or contact your admin." in page


def test_the_description_text_is_never_read_for_meaning(user_client, rsps):
    # "admin consent" words and a code in the middle of the text change nothing: only `error` and the prefix count.
    query = start_connect(user_client, rsps)
    page = callback(
        user_client, error="access_denied", error_description="User said no. See AADSTS90094 admin consent.",
        state=query["state"],
    ).content.decode()  # fmt: skip

    assert "You cancelled the Microsoft sign-in" in page and "admin-consent-link" not in page
