from datetime import UTC, datetime

import pytest

from calendar_sync.normalize import BODY_PREVIEW_MAX, MalformedEvent, find_join_url, normalize_event
from tests.calendar_sync.graph_fakes import graph_event, person


def test_times_in_utc_with_seven_fraction_digits_are_read_as_utc():
    raw = graph_event(start=datetime(2026, 11, 24, 15, 0, tzinfo=UTC), minutes=45)

    event = normalize_event(raw)

    assert event.starts_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2026, 11, 24, 15, 45, tzinfo=UTC)


def test_time_in_a_windows_zone_is_converted_to_utc():
    raw = graph_event()
    raw["start"] = {"dateTime": "2026-11-24T09:00:00.0000000", "timeZone": "Pacific Standard Time"}
    raw["end"] = {"dateTime": "2026-11-24T10:00:00.0000000", "timeZone": "Pacific Standard Time"}

    event = normalize_event(raw)

    assert event.starts_at == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def test_body_preview_is_capped_at_255_characters():
    event = normalize_event(graph_event(preview="x" * 1000))

    assert len(event.body_preview) == BODY_PREVIEW_MAX == 255


def test_the_full_body_is_never_kept_even_if_graph_sends_it():
    raw = graph_event(preview="short")
    raw["body"] = {"contentType": "html", "content": "<p>secret full body</p>"}

    event = normalize_event(raw)

    assert "secret" not in str(event.model_fields())


def test_join_url_comes_from_the_online_meeting():
    event = normalize_event(graph_event(join_url="https://teams.microsoft.com/l/meetup-join/19%3a1"))

    assert event.join_url == "https://teams.microsoft.com/l/meetup-join/19%3a1"
    assert event.is_online and event.online_provider == "teams"


def test_zoom_link_only_in_the_location_is_found():
    event = normalize_event(graph_event(location="https://fabrikam.zoom.us/j/8123456789"))

    assert event.join_url == "https://fabrikam.zoom.us/j/8123456789"
    assert event.is_online and event.online_provider == "zoom"


def test_google_meet_link_in_the_preview_is_found():
    event = normalize_event(graph_event(preview="Join with Google Meet https://meet.google.com/abc-defg-hij."))

    assert event.join_url == "https://meet.google.com/abc-defg-hij" and event.online_provider == "meet"


def test_webex_link_in_the_preview_is_found():
    assert find_join_url("Join: https://acme.webex.com/meet/kim") == "https://acme.webex.com/meet/kim"


def test_an_ordinary_link_is_not_a_join_link():
    event = normalize_event(graph_event(preview="Deck: https://northwind.example/deck.pdf"))

    assert event.join_url == "" and not event.is_online


def test_a_look_alike_host_is_not_a_join_link():
    assert find_join_url("https://zoom.us.evil.example/j/1") == ""


def test_organizer_becomes_an_attendee_row_once():
    raw = graph_event(
        organizer="sam@ruby-demo.example",
        attendees=[
            person("sam@ruby-demo.example", response="none"),
            person("kim@contoso.example", response="declined"),
        ],
    )

    event = normalize_event(raw)

    assert [(a.email, a.response, a.is_organizer) for a in event.attendees] == [
        ("sam@ruby-demo.example", "organizer", True),
        ("kim@contoso.example", "declined", False),
    ]
    assert event.organizer_email == "sam@ruby-demo.example"


def test_unknown_response_and_type_fall_back_to_none_and_required():
    attendee = person("kim@contoso.example", response="maybe", kind="vip")

    event = normalize_event(graph_event(attendees=[attendee]))

    assert (event.attendees[1].response, event.attendees[1].attendee_type) == ("none", "required")


def test_emails_are_lowercased():
    event = normalize_event(graph_event(attendees=[person("Kim@Contoso.EXAMPLE")]))

    assert event.attendees[1].email == "kim@contoso.example"


def test_series_occurrence_all_day_cancelled_and_sensitivity_are_kept():
    raw = graph_event(sensitivity="confidential", type="occurrence", seriesMasterId="master-1")
    raw.update(isAllDay=True, isCancelled=True, showAs="oof")

    event = normalize_event(raw)

    assert (event.event_type, event.series_master_id, event.is_all_day, event.is_cancelled) == (
        "occurrence",
        "master-1",
        True,
        True,
    )
    assert event.sensitivity == "confidential" and event.is_private and event.show_as == "oof"


def test_content_hash_changes_with_content_and_not_otherwise():
    a = normalize_event(graph_event(id="x", subject="One"))
    b = normalize_event(graph_event(id="x", subject="One"))
    c = normalize_event(graph_event(id="x", subject="Two"))

    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_content_hash_changes_when_internal_domains_change():
    event = normalize_event(graph_event(attendees=[person("kim@contoso.example")]))

    assert event.content_hash(internal_domains=frozenset()) != event.content_hash(
        internal_domains=frozenset({"contoso.example"})
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "the event has no id"),
        ({"start": None}, "missing start time"),
        ({"end": {"dateTime": "yesterday", "timeZone": "UTC"}}, "unreadable end time"),
        ({"start": {"dateTime": "2026-11-24T09:00:00", "timeZone": "Mars/Olympus"}}, "unknown time zone"),
        ({"attendees": "everyone"}, "the attendee list is not a list"),
        ({"attendees": ["kim@contoso.example"]}, "an attendee is not an object"),
        ({"subject": 42}, "a field has an unexpected type"),
    ],
)
def test_malformed_event_raises_with_a_reason(change, reason):
    raw = graph_event(id="bad-1")
    raw.update(change)

    with pytest.raises(MalformedEvent, match=reason):
        normalize_event(raw)


def test_event_ending_before_it_starts_is_malformed():
    raw = graph_event()
    raw["start"], raw["end"] = raw["end"], raw["start"]

    with pytest.raises(MalformedEvent, match="ends before it starts"):
        normalize_event(raw)
