"""Template helpers for meetings: join-link labels, response badges, and the deal page's Meetings section."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

from calendar_sync.models import CalendarEvent, EventAttendee
from calendar_sync.normalize import BODY_PREVIEW_MAX
from calendar_sync.selectors.events import user_zone

register = template.Library()

JOIN_LABELS = {"teams": "Join Teams", "zoom": "Join Zoom", "meet": "Join Meet", "webex": "Join Webex"}
PROVIDER_NAMES = {"teams": "Teams", "zoom": "Zoom", "meet": "Google Meet", "webex": "Webex"}
RESPONSE_LABELS = dict(EventAttendee.Response.choices)
RESPONSE_TONES = {
    EventAttendee.Response.ACCEPTED: "ok",
    EventAttendee.Response.TENTATIVE: "warn",
    EventAttendee.Response.DECLINED: "bad",
    EventAttendee.Response.ORGANIZER: "info",
}


@register.filter
def join_label(event) -> str:
    return JOIN_LABELS.get((event.online_provider or "").lower(), "Join meeting")


@register.filter
def preview(value: str) -> str:
    """A preview Outlook or Ruby cut at the cap ends at a word, with an ellipsis; a short one is shown whole."""
    value = (value or "").strip()
    if len(value) < BODY_PREVIEW_MAX:
        return value
    cut = value[: BODY_PREVIEW_MAX - 1]
    space = cut.rfind(" ")
    if space > BODY_PREVIEW_MAX // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"


@register.filter
def support_reason(value: str) -> str:
    """The support reason without its "Disabled by Ruby support: " lead: the badge beside it already says so."""
    value = (value or "").strip()
    lead = "Disabled by Ruby support:"
    return value[len(lead) :].strip() if value.startswith(lead) else value


@register.filter
def provider_name(event) -> str:
    return PROVIDER_NAMES.get((event.online_provider or "").lower(), "Online")


@register.filter
def http_url(value: str) -> str:
    """Only http(s) links become hrefs: a calendar field must never smuggle a javascript: URL into the page."""
    value = (value or "").strip()
    return value if urlsplit(value).scheme.lower() in ("http", "https") else ""


@register.filter
def response_label(attendee) -> str:
    return RESPONSE_LABELS.get(attendee.response, "No response")


@register.filter
def response_tone(attendee) -> str:
    return RESPONSE_TONES.get(attendee.response, "muted")


@register.filter
def linked_contacts(event) -> list:
    """The contacts the attendees are linked to, once each, from the prefetched attendees (no extra query)."""
    seen, contacts = set(), []
    for attendee in event.attendees.all():
        if attendee.contact_id and attendee.contact_id not in seen:
            seen.add(attendee.contact_id)
            contacts.append(attendee.contact)
    return contacts


@register.filter
def zone_of(user) -> str:
    """The user's IANA zone for `{% timezone user|zone_of %}`; a bad stored value shows UTC rather than a crash."""
    return user_zone(user).key


# Looked up case-blind: the stored value is whatever Graph sent.
SHOW_AS = {value.lower(): label for value, label in CalendarEvent.ShowAs.choices}


@register.filter
def show_as_label(value: str) -> str:
    return SHOW_AS.get((value or "").lower(), value or "—")
