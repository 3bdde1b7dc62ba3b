"""The built-in Exchange sandbox (EXCHANGE_SANDBOX=1, DEBUG only): an in-process EWS server for exchangelib.

providers/ews_guard.GuardedAdapter hands every request for SANDBOX_HOST to respond(), so the production code path
(exchangelib building and parsing real SOAP) runs offline. It serves the same realistic week as the Microsoft
sandbox (events.week_for), written as EWS CalendarItems: the operations exchangelib sends for Ruby are ConvertId
(the version probe of "Detect"), GetFolder (root, calendar), ResolveNames (the mailbox's primary SMTP address),
FindItem with a CalendarView (IdOnly) and GetItem. The SOAP shapes follow Microsoft's EWS reference
(learn.microsoft.com/exchange/client-developer/web-service-reference: getfolder-operation, resolvenames-operation,
finditem-operation-calendar-item, getitem-operation-calendar-item, calendarview).

Sign-in: any username with the password SANDBOX_PASSWORD. Basic auth is checked from its header; NTLM cannot be
spoken here, so the password is read from the requests NTLM auth object attached to the request (sandbox only).
The mailbox is the address exchangelib names (X-AnchorMailbox); its domain is the week's internal domain. Each
address resolves to itself as its primary SMTP address, except the alias SANDBOX_ALIAS_LOCAL@<any domain>, which
belongs to SANDBOX_ALIAS_OWNER@<that domain> (so the email-match refusal can be shown).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import requests
from requests.structures import CaseInsensitiveDict

from calendar_sync.sandbox import events
from calendar_sync.sandbox.identities import identity_for

SANDBOX_HOST = "exchange.sandbox.invalid"
SANDBOX_URL = f"https://{SANDBOX_HOST}/EWS/Exchange.asmx"
SANDBOX_PASSWORD = "sandbox"  # noqa: S105 - the offline sandbox's published demo password
SANDBOX_ALIAS_LOCAL = "team"  # team@<domain> is an alias of another person's mailbox ...
SANDBOX_ALIAS_OWNER = "morgan.lee"  # ... whose primary SMTP address is morgan.lee@<domain>

S = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"

_HEADER = (
    f'<s:Header><h:ServerVersionInfo xmlns:h="{T}" MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
    'MinorBuildNumber="6" Version="V2017_07_11"/></s:Header>'
)
RESPONSES = {
    "accepted": "Accept",
    "tentativelyAccepted": "Tentative",
    "declined": "Decline",
    "notResponded": "NoResponseReceived",
    "organizer": "Organizer",
}
SENSITIVITY = {"normal": "Normal", "personal": "Personal", "private": "Private", "confidential": "Confidential"}
FREE_BUSY = {
    "free": "Free",
    "tentative": "Tentative",
    "busy": "Busy",
    "oof": "OOF",
    "workingElsewhere": "WorkingElsewhere",
    "unknown": "NoData",
}
ITEM_TYPES = {
    "singleInstance": "Single",
    "occurrence": "Occurrence",
    "exception": "Exception",
    "seriesMaster": "RecurringMaster",
}


def _response(request, status: int, body: str, headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode("utf-8")
    response.headers = CaseInsensitiveDict({"Content-Type": "text/xml; charset=utf-8", **(headers or {})})
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    response.reason = {200: "OK", 401: "Unauthorized", 500: "Internal Server Error"}.get(status, "")
    return response


def _envelope(body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{S}">{_HEADER}'
        f'<s:Body xmlns:m="{M}" xmlns:t="{T}">{body}</s:Body></s:Envelope>'
    )


def _password(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            return base64.b64decode(header[6:]).decode("utf-8").split(":", 1)[1]
        except (ValueError, IndexError, UnicodeDecodeError):
            return None
    for hook in (request.hooks or {}).get("response", []):
        auth = getattr(hook, "__self__", None)
        if auth is not None and hasattr(auth, "password"):
            return auth.password
    return None


def _text(name: str, value) -> str:
    return f"<t:{name}>{escape(str(value))}</t:{name}>" if value not in (None, "") else ""


def _mailbox(name: str, email: str) -> str:
    return (
        f"<t:Mailbox>{_text('Name', name)}{_text('EmailAddress', email)}<t:RoutingType>SMTP</t:RoutingType></t:Mailbox>"
    )


def _attendees(tag: str, attendees: list[dict]) -> str:
    if not attendees:
        return ""
    rows = "".join(
        "<t:Attendee>"
        + _mailbox(a["emailAddress"]["name"], a["emailAddress"]["address"])
        + _text("ResponseType", RESPONSES.get(a["status"]["response"], "Unknown"))
        + "</t:Attendee>"
        for a in attendees
    )
    return f"<t:{tag}>{rows}</t:{tag}>"


def _when(value: str) -> str:
    return value[:19] + "Z"


def calendar_item(event: dict) -> str:
    """One Graph-shaped sandbox event as an EWS CalendarItem (what GetItem returns for Ruby's fields)."""
    join_url = (event.get("onlineMeeting") or {}).get("joinUrl", "")
    # Exchange Server has no join URL property: Teams and Zoom put the link into the invitation's body.
    body = event.get("bodyPreview", "")
    if join_url:
        body = f"{body}\n\nJoin the meeting: {join_url}".strip()
    attendees = event.get("attendees") or []
    change_key = hashlib.sha256(repr(sorted(event.items())).encode()).hexdigest()[:16]
    return (
        "<t:CalendarItem>"
        f"<t:ItemId Id={quoteattr(event['id'])} ChangeKey={quoteattr(change_key)}/>"
        + _text("Subject", event.get("subject"))
        + _text("Sensitivity", SENSITIVITY.get(event.get("sensitivity"), "Normal"))
        + (f'<t:TextBody BodyType="Text">{escape(body)}</t:TextBody>' if body else "")
        + _text("UID", event.get("iCalUId"))
        + _text("Start", _when(event["start"]["dateTime"]))
        + _text("End", _when(event["end"]["dateTime"]))
        + _text("IsAllDayEvent", "true" if event.get("isAllDay") else "false")
        + _text("LegacyFreeBusyStatus", FREE_BUSY.get(event.get("showAs"), "Busy"))
        + _text("Location", (event.get("location") or {}).get("displayName"))
        + _text("IsCancelled", "true" if event.get("isCancelled") else "false")
        + _text("IsOnlineMeeting", "true" if event.get("isOnlineMeeting") else "false")
        + _text("CalendarItemType", ITEM_TYPES.get(event.get("type"), "Single"))
        + "<t:Organizer>"
        + _mailbox(event["organizer"]["emailAddress"]["name"], event["organizer"]["emailAddress"]["address"])
        + "</t:Organizer>"
        + _attendees("RequiredAttendees", [a for a in attendees if a.get("type") == "required"])
        + _attendees("OptionalAttendees", [a for a in attendees if a.get("type") == "optional"])
        + _attendees("Resources", [a for a in attendees if a.get("type") == "resource"])
        + '<t:StartTimeZone Id="UTC"/><t:EndTimeZone Id="UTC"/>'
        + "</t:CalendarItem>"
    )


def _week(mailbox: str) -> list[dict]:
    return events.week_for(identity_for(mailbox))


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _message(operation: str, inner: str, *, ok: bool = True, code: str = "NoError", text: str = "") -> str:
    klass = "Success" if ok else "Error"
    message = f"<m:MessageText>{escape(text)}</m:MessageText>" if text else ""
    return (
        f'<m:{operation}ResponseMessage ResponseClass="{klass}">{message}'
        f"<m:ResponseCode>{code}</m:ResponseCode>{inner}</m:{operation}ResponseMessage>"
    )


def _wrap(operation: str, messages: str) -> str:
    return f"<m:{operation}Response><m:ResponseMessages>{messages}</m:ResponseMessages></m:{operation}Response>"


def _get_folder(op) -> str:
    messages = []
    for folder in op.iter(f"{{{T}}}DistinguishedFolderId"):
        name = folder.get("Id")
        tag = "CalendarFolder" if name == "calendar" else "Folder"
        folder_id = "AAMkAGsandbox" + hashlib.sha256(name.encode()).hexdigest()[:24]
        display = {"calendar": "Calendar", "root": "Top of Information Store"}.get(name, name)
        messages.append(
            _message(
                "GetFolder",
                f'<m:Folders><t:{tag}><t:FolderId Id="{folder_id}" ChangeKey="AQAAAA=="/>'
                f"<t:DisplayName>{display}</t:DisplayName><t:TotalCount>0</t:TotalCount>"
                f"<t:ChildFolderCount>0</t:ChildFolderCount><t:UnreadCount>0</t:UnreadCount></t:{tag}></m:Folders>",
            )
        )
    return _wrap("GetFolder", "".join(messages))


def _find_item(op, mailbox: str) -> str:
    view = op.find(f"{{{M}}}CalendarView")
    start = _parse_time(view.get("StartDate") if view is not None else None)
    end = _parse_time(view.get("EndDate") if view is not None else None)
    if start is None or end is None:
        return _wrap("FindItem", _message("FindItem", "", ok=False, code="ErrorInvalidRequest", text="No view."))
    found = [
        e
        for e in _week(mailbox)
        if _parse_time(_when(e["start"]["dateTime"])) < end and _parse_time(_when(e["end"]["dateTime"])) > start
    ]
    ids = "".join(f"<t:CalendarItem><t:ItemId Id={quoteattr(e['id'])}/></t:CalendarItem>" for e in found)
    root = (
        f'<m:RootFolder TotalItemsInView="{len(found)}" IncludesLastItemInRange="true">'
        f"<t:Items>{ids}</t:Items></m:RootFolder>"
    )
    return _wrap("FindItem", _message("FindItem", root))


def _get_item(op, mailbox: str) -> str:
    week = {e["id"]: e for e in _week(mailbox)}
    messages = []
    for item_id in op.iter(f"{{{T}}}ItemId"):
        event = week.get(item_id.get("Id"))
        if event is None:
            text = "The specified object was not found in the store."
            messages.append(_message("GetItem", "<m:Items/>", ok=False, code="ErrorItemNotFound", text=text))
        else:
            messages.append(_message("GetItem", f"<m:Items>{calendar_item(event)}</m:Items>"))
    return _wrap("GetItem", "".join(messages))


def _convert_id() -> str:
    # The version probe: exchangelib only needs the ServerVersionInfo header; the error body is expected.
    text = "The SMTP address format is invalid."
    return _wrap("ConvertId", _message("ConvertId", "", ok=False, code="ErrorInvalidSmtpAddress", text=text))


def primary_address(address: str) -> str:
    local, _, domain = address.strip().partition("@")
    return f"{SANDBOX_ALIAS_OWNER}@{domain}" if local.casefold() == SANDBOX_ALIAS_LOCAL else address.strip()


def _resolve_names(op) -> str:
    entry = (op.findtext(f"{{{M}}}UnresolvedEntry") or "").strip()
    address = entry[5:] if entry.lower().startswith("smtp:") else entry
    if "@" not in address:
        text = "No results were found."
        return _wrap(
            "ResolveNames", _message("ResolveNames", "", ok=False, code="ErrorNameResolutionNoResults", text=text)
        )
    primary = primary_address(address)
    name = primary.split("@", 1)[0].replace(".", " ").title()
    resolution = (
        '<m:ResolutionSet TotalItemsInView="1" IncludesLastItemInRange="true"><t:Resolution><t:Mailbox>'
        f"<t:Name>{escape(name)}</t:Name><t:EmailAddress>{escape(primary)}</t:EmailAddress>"
        "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:Resolution>"
        "</m:ResolutionSet>"
    )
    return _wrap("ResolveNames", _message("ResolveNames", resolution))


def respond(request) -> requests.Response:
    """Answer one EWS POST as Exchange Server 2016 would."""
    if request.method != "POST" or not request.url.lower().endswith("/ews/exchange.asmx"):
        return _response(request, 404, "<html><body>Not found</body></html>", {"Content-Type": "text/html"})
    if _password(request) != SANDBOX_PASSWORD:
        return _response(request, 401, "", {"WWW-Authenticate": f'Basic realm="{SANDBOX_HOST}"'})
    try:
        body = ElementTree.fromstring(request.body or b"").find(f"{{{S}}}Body")
    except ElementTree.ParseError:
        body = None
    op = body[0] if body is not None and len(body) else None
    mailbox = request.headers.get("X-AnchorMailbox", "")
    name = op.tag.rsplit("}", 1)[-1] if op is not None else ""
    if name == "GetFolder":
        return _response(request, 200, _envelope(_get_folder(op)))
    if name == "FindItem" and mailbox:
        return _response(request, 200, _envelope(_find_item(op, mailbox)))
    if name == "GetItem" and mailbox:
        return _response(request, 200, _envelope(_get_item(op, mailbox)))
    if name == "ConvertId":
        return _response(request, 200, _envelope(_convert_id()))
    if name == "ResolveNames":
        return _response(request, 200, _envelope(_resolve_names(op)))
    return _response(
        request,
        500,
        _envelope(
            "<s:Fault><faultcode>s:Client</faultcode>"
            f"<faultstring>{escape(name)} is not served by the sandbox.</faultstring></s:Fault>"
        ),
    )
