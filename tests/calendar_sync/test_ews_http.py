"""The EWS provider at the HTTP level: exchangelib speaking SOAP to recorded answers (tests/fixtures/ews).

Version (Exchange 2016), auth type (NTLM) and endpoint are set, so nothing is probed: GetFolder root, GetFolder
calendar, FindItem with a CalendarView (ids only), GetItem for Ruby's fields.
"""

from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from django.test import override_settings

from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from calendar_sync.providers import ews
from calendar_sync.services.exchange import ExchangeConnectRefused, exchange_connect
from calendar_sync.services.sync import sync_connection
from ruby_site.models import AuditEntry
from tests.calendar_sync.ews_fakes import CALENDAR_WEEK, EWS_URL, exchange_connection, operation, serve, soap

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("private_hosts_allowed"),
]
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def private_hosts_allowed():
    with override_settings(EXCHANGE_ALLOW_PRIVATE_HOSTS=True, EXCHANGE_RETRY_WAIT_SECONDS=0):
        yield


@pytest.fixture
def connection(user):
    return exchange_connection(user)


def _fetch(connection):
    return list(ews.EwsProvider().fetch_window(connection, start=START, end=START + timedelta(days=7)))


def test_a_week_is_read_with_getfolder_finditem_calendarview_and_getitem(connection, rsps):
    seen = serve(rsps, CALENDAR_WEEK)

    [page] = _fetch(connection)

    assert seen == ["GetFolder:root", "GetFolder:calendar", "FindItem", "GetItem"]
    assert page.requests_made == 4 and page.malformed == []
    assert [e.subject for e in page.events] == [
        "Review current quarterly deliverables",
        "Food bank delivery",
        "Code Blast",
    ]


def test_the_calendar_view_asks_for_the_window_and_the_stored_fields_only(connection, rsps):
    serve(rsps, CALENDAR_WEEK)

    _fetch(connection)

    bodies = [call.request.body.decode() for call in rsps.calls]
    find_item = next(b for b in bodies if "<m:FindItem" in b)
    get_item = next(b for b in bodies if "<m:GetItem" in b)
    assert 'StartDate="2026-11-23T12:00:00Z" EndDate="2026-11-30T12:00:00Z"' in find_item
    assert '<t:DistinguishedFolderId Id="calendar">' in find_item
    assert 'FieldURI="item:TextBody"' in get_item and 'FieldURI="item:Body"' not in get_item
    assert '<t:RequestServerVersion Version="Exchange2016"/>' in find_item


def test_the_items_map_to_normalized_events(connection, rsps):
    serve(rsps, CALENDAR_WEEK)

    [page] = _fetch(connection)

    code_blast = page.events[2]
    assert code_blast.provider_event_id == "AAMkA3"
    assert code_blast.starts_at == datetime(2026, 11, 26, 18, 59, 8, tzinfo=UTC)
    assert code_blast.location == "The lounge"
    assert code_blast.join_url == "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"
    assert code_blast.online_provider == "teams"
    assert [(a.email, a.response, a.is_organizer) for a in code_blast.attendees] == [
        ("sam@ruby-demo.example", "organizer", True),
        ("mack@contoso.com", "accepted", False),
        ("sadie@contoso.com", "none", False),
    ]
    food_bank = page.events[1]
    assert (food_bank.sensitivity, food_bank.show_as, food_bank.event_type) == ("private", "oof", "occurrence")
    assert food_bank.series_master_id == "040000008200E00074C5B7101A82E00800000000A2"


def test_a_sync_stores_the_week_with_the_same_filters_as_microsoft(user, connection, rsps):
    serve(rsps, CALENDAR_WEEK)

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL, now=START)

    assert run.status == SyncRun.Status.SUCCEEDED and run.requests == 4 and run.fetched == 3
    assert run.skip_reasons == {"internal": 1, "private": 1}
    assert list(CalendarEvent.objects.values_list("subject", flat=True)) == ["Code Blast"]


def test_a_wrong_password_later_makes_the_connection_not_connected_with_the_reason(connection, rsps):
    serve(rsps, {"GetFolder:root": (401, {"WWW-Authenticate": 'Basic realm="mail"'}, "")})

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL, now=START)

    connection.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert connection.status == CalendarConnection.Status.NOT_CONNECTED
    assert connection.status_reason == (
        "The Exchange server refused the username or password. Reconnect Exchange with the current password."
    )
    assert connection.token_cache == ""


def test_a_server_that_is_down_is_transient_and_retried_once(connection, rsps):
    rsps.add(responses_post(EWS_URL, requests.ConnectionError("connection refused")))
    rsps.add(responses_post(EWS_URL, requests.ConnectionError("connection refused")))

    run = sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.MANUAL, now=START)

    connection.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and run.requests == 2
    assert run.error == "The Exchange server could not be reached; try again later."
    assert connection.status == CalendarConnection.Status.CONNECTED


def test_a_busy_server_that_recovers_on_the_retry_succeeds(connection, rsps):
    seen = []

    def callback(request):  # HTTP 503 to the very first request, then the recorded week
        op = operation(request.body)
        seen.append(op)
        if seen == ["GetFolder:root"]:
            return 503, {}, ""
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, soap(CALENDAR_WEEK[op])

    rsps.add_callback(responses.POST, EWS_URL, callback=callback)

    [page] = _fetch(connection)

    assert seen == ["GetFolder:root", "GetFolder:root", "GetFolder:calendar", "FindItem", "GetItem"]
    assert page.requests_made == 5 and len(page.events) == 3


def test_an_address_that_is_not_ews_is_named_so(connection, rsps):
    serve(rsps, {"GetFolder:root": (200, {"Content-Type": "text/html"}, "<html><body>Outlook</body></html>")})

    with pytest.raises(ews.EwsError) as caught:
        _fetch(connection)

    assert caught.value.kind == ews.NOT_EWS and not caught.value.permanent


def test_a_redirect_is_not_followed(connection, rsps):
    serve(rsps, {"GetFolder:root": (302, {"Location": "https://evil.example/owa/"}, "")})

    with pytest.raises(ews.EwsError) as caught:
        _fetch(connection)

    assert caught.value.kind == ews.REDIRECTED and caught.value.permanent
    assert [c.request.url for c in rsps.calls] == [EWS_URL]


def test_a_malformed_item_is_skipped_with_its_reason(connection, rsps):
    broken = soap("get_item_calendar.xml").replace("<t:Start>2026-11-25T18:59:07Z</t:Start>", "")
    serve(rsps, {**CALENDAR_WEEK, "GetItem": (200, {"Content-Type": "text/xml"}, broken)})

    [page] = _fetch(connection)

    assert [e.provider_event_id for e in page.events] == ["AAMkA1", "AAMkA3"]
    assert [(m.event_id, m.reason) for m in page.malformed] == [("AAMkA2", "missing start time")]


def responses_post(url, body):
    return responses.Response(responses.POST, url, body=body)


def _check(**changes):
    args = {
        "email": "sam@ruby-demo.example",
        "username": "RUBY\\sam",
        "password": "s3cret",
        "server_url": EWS_URL,
        "version": "2016",
        "auth": "ntlm",
    }
    return ews.mailbox_check(**{**args, **changes})


def _connect_message(exc_info) -> str:
    return ews.describe_error(exc_info.value, connecting=True)


def test_the_connect_check_reads_the_calendar_folder_and_reports_the_build(rsps):
    seen = serve(rsps, CALENDAR_WEEK)

    assert _check() == ews.MailboxFound(build="15.1", primary_address="sam@ruby-demo.example")
    assert seen == ["GetFolder:root", "GetFolder:calendar", "ResolveNames"]


def test_the_connect_check_resolves_the_typed_address_among_all_proxy_addresses_in_the_directory(rsps):
    serve(rsps, CALENDAR_WEEK)

    _check()

    [body] = [c.request.body.decode() for c in rsps.calls if "<m:ResolveNames" in c.request.body.decode()]
    assert 'SearchScope="ActiveDirectory"' in body and 'ReturnFullContactData="false"' in body
    assert "<m:UnresolvedEntry>smtp:sam@ruby-demo.example</m:UnresolvedEntry>" in body


def _connect(user, workspace, rsps, resolve_names):
    serve(rsps, {**CALENDAR_WEEK, "ResolveNames": resolve_names})
    return exchange_connect(
        user=user,
        workspace=workspace,
        email="sam@ruby-demo.example",
        username="RUBY\\sam",
        password="s3cret",
        server_url=EWS_URL,
        find_server=False,
        version="2016",
        auth="ntlm",
    )


def _resolved_to(address: str) -> tuple:
    return (
        200,
        {"Content-Type": "text/xml"},
        soap("resolve_names_mailbox.xml").replace("sam@ruby-demo.example", address),
    )


def test_an_alias_of_another_persons_mailbox_is_refused_and_nothing_is_stored(user, workspace, rsps):
    with pytest.raises(ExchangeConnectRefused) as caught:
        _connect(user, workspace, rsps, _resolved_to("morgan.lee@ruby-demo.example"))

    assert str(caught.value) == (
        "The mailbox sam@ruby-demo.example belongs to morgan.lee@ruby-demo.example, which is not your Ruby "
        "account's address (sam@ruby-demo.example); Ruby only connects your own mailbox."
    )
    assert not CalendarConnection.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONNECT_REFUSED).count() == 1


def test_a_primary_address_matching_the_ruby_email_in_another_case_connects(user, workspace, rsps):
    connection = _connect(user, workspace, rsps, _resolved_to("Sam@Ruby-Demo.example"))

    assert connection.status == CalendarConnection.Status.CONNECTED
    assert connection.email == "sam@ruby-demo.example"


NAME_RESOLUTION_REFUSED = (
    '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
    '<s:Body><m:ResolveNamesResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
    'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>'
    '<m:ResolveNamesResponseMessage ResponseClass="Error"><m:MessageText>{text}</m:MessageText>'
    "<m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
    "</m:ResolveNamesResponseMessage></m:ResponseMessages></m:ResolveNamesResponse></s:Body></s:Envelope>"
)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
        ("ErrorNameResolutionNoResults", "No results were found."),
    ],
)
def test_a_server_that_refuses_or_cannot_answer_resolvenames_still_connects(user, workspace, rsps, code, text):
    # The error answer's shape per the "ResolveNames operation" page ("ResolveNames error response").
    body = NAME_RESOLUTION_REFUSED.format(code=code, text=text)

    connection = _connect(user, workspace, rsps, (200, {"Content-Type": "text/xml"}, body))

    assert connection.status == CalendarConnection.Status.CONNECTED
    assert CalendarConnection.objects.count() == 1


VERSION_PROBE_2010 = """<?xml version='1.0' encoding='utf-8'?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header>
    <h:ServerVersionInfo xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"
    MajorVersion="14" MinorVersion="3" MajorBuildNumber="123" MinorBuildNumber="4" Version="Exchange2010_SP2"/>
  </s:Header>
  <s:Body>
    <m:ConvertIdResponse
    xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
    xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
      <m:ResponseMessages>
        <m:ConvertIdResponseMessage ResponseClass="Error">
          <m:MessageText>The SMTP address format is invalid.</m:MessageText>
          <m:ResponseCode>ErrorInvalidSmtpAddress</m:ResponseCode>
          <m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>
        </m:ConvertIdResponseMessage>
      </m:ResponseMessages>
    </m:ConvertIdResponse>
  </s:Body>
</s:Envelope>"""


def _as_2010(name: str) -> str:
    return soap(name).replace('MajorVersion="15" MinorVersion="1"', 'MajorVersion="14" MinorVersion="3"')


def test_detect_probes_the_version_and_refuses_exchange_2010(rsps):
    # exchangelib's version probe is a ConvertId whose ServerVersionInfo header names the build (the probe answer
    # of exchangelib's tests/test_protocol.py test_version_guess, with Exchange 2010 SP3's 14.3).
    xml = {"Content-Type": "text/xml"}
    serve(
        rsps,
        {
            "ConvertId": (200, xml, VERSION_PROBE_2010),
            "GetFolder:root": (200, xml, _as_2010("get_folder_root.xml")),
            "GetFolder:calendar": (200, xml, _as_2010("get_folder_calendar.xml")),
        },
    )

    with pytest.raises(ews.EwsError) as caught:
        _check(version="detect")

    assert caught.value.kind == ews.VERSION
    assert _connect_message(caught).startswith("This Exchange version is not supported")


def test_an_untrusted_certificate_is_named_so(rsps):
    rsps.add(
        responses_post(EWS_URL, requests.exceptions.SSLError("certificate verify failed: self-signed certificate"))
    )

    with pytest.raises(ews.EwsError) as caught:
        _check()

    assert _connect_message(caught) == (
        "The Exchange server's certificate is not trusted, so Ruby did not send your password to it."
    )


def test_an_unreachable_server_is_named_so_after_one_retry(rsps):
    rsps.add(responses_post(EWS_URL, requests.ConnectionError("connection refused")))
    rsps.add(responses_post(EWS_URL, requests.ConnectionError("connection refused")))

    with pytest.raises(ews.EwsError) as caught:
        _check()

    assert _connect_message(caught) == "The Exchange server could not be reached; try again later."
    assert caught.value.requests_made == 2 and len(rsps.calls) == 2


def test_a_mailbox_the_server_does_not_know_is_named_so(rsps):
    # Shape per the ResponseCode reference (ErrorNonExistentMailbox), as exchangelib parses it.
    missing = (
        '<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        '<s:Body><m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
        'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages>'
        '<m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>The SMTP address has no mailbox associated '
        "with it.</m:MessageText><m:ResponseCode>ErrorNonExistentMailbox</m:ResponseCode><m:DescriptiveLinkKey>0"
        "</m:DescriptiveLinkKey></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse></s:Body>"
        "</s:Envelope>"
    )
    serve(rsps, {"GetFolder:root": (200, {"Content-Type": "text/xml"}, missing)})

    with pytest.raises(ews.EwsError) as caught:
        _check()

    assert _connect_message(caught) == "The Exchange server has no mailbox for this email address."
