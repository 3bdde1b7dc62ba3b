"""The EWS boundary for tests: recorded SOAP answers (tests/fixtures/ews, each citing its Microsoft EWS page) served
with `responses` to exchangelib, and Exchange connections as the connect service stores them."""

from __future__ import annotations

from pathlib import Path

import responses

from calendar_sync.models import CalendarConnection
from calendar_sync.providers import ews
from tests.factories import ConnectionFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ews"
# With EXCHANGE_ALLOW_PRIVATE_HOSTS: localhost resolves offline (no DNS needed), nothing leaves the machine.
EWS_URL = "https://localhost/EWS/Exchange.asmx"


def soap(name: str) -> str:
    return (FIXTURES / name).read_text()


def operation(body: bytes | str) -> str:
    text = body.decode() if isinstance(body, bytes) else body
    for name in ("GetFolder", "FindItem", "GetItem", "ConvertId", "ResolveNames"):
        if f"<m:{name}" in text:
            if name == "GetFolder":
                return "GetFolder:root" if 'Id="root"' in text else "GetFolder:calendar"
            return name
    return "?"


def serve(rsps: responses.RequestsMock, answers: dict, *, seen: list | None = None, url: str = EWS_URL) -> list:
    """Answer each EWS operation from `answers` (operation -> fixture name, or (status, headers, body))."""
    seen = [] if seen is None else seen

    def callback(request):
        op = operation(request.body)
        seen.append(op)
        answer = answers.get(op, (500, {}, "no answer for " + op))
        if isinstance(answer, str):
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, soap(answer)
        return answer

    rsps.add_callback(responses.POST, url, callback=callback)
    return seen


CALENDAR_WEEK = {
    "GetFolder:root": "get_folder_root.xml",
    "GetFolder:calendar": "get_folder_calendar.xml",
    "FindItem": "find_item_calendar_view.xml",
    "GetItem": "get_item_calendar.xml",
    "ResolveNames": "resolve_names_mailbox.xml",
}


def exchange_connection(user, *, url: str = EWS_URL, password: str = "s3cret", **fields) -> CalendarConnection:
    return ConnectionFactory(
        user=user,
        provider=CalendarConnection.Provider.EXCHANGE,
        tenant_id="",
        object_id="",
        server_url=url,
        server_version="2016",
        server_auth="ntlm",
        token_cache=ews.credentials_dump(username="RUBY\\sam", password=password),
        **fields,
    )
