"""exchangelib CalendarItem objects -> NormalizedEvent (providers/ews_map.py)."""

from datetime import UTC, datetime

import pytest
from exchangelib import CalendarItem, EWSDate, EWSDateTime
from exchangelib.errors import ErrorItemNotFound
from exchangelib.ewsdatetime import UTC as EWS_UTC
from exchangelib.properties import Attendee, Mailbox

from calendar_sync.normalize import MalformedEvent
from calendar_sync.providers.ews_map import normalize_item


def _item(**fields):
    defaults = {
        "id": "AAMkItem1",
        "subject": "Northwind — discovery call",
        "start": EWSDateTime(2026, 11, 24, 17, 0, tzinfo=EWS_UTC),
        "end": EWSDateTime(2026, 11, 24, 17, 45, tzinfo=EWS_UTC),
        "organizer": Mailbox(name="Sam Seller", email_address="Sam@Ruby-Demo.example"),
        "required_attendees": [
            Attendee(
                mailbox=Mailbox(name="Dana Whitfield", email_address="dana@northwind.example"), response_type="Accept"
            ),
        ],
        "uid": "040000008200E00074C5B7101A82E008AB",
        "type": "Single",
    }
    return CalendarItem(**{**defaults, **fields})


def test_times_become_aware_utc_datetimes():
    event = normalize_item(_item())

    assert (event.starts_at, event.ends_at) == (
        datetime(2026, 11, 24, 17, 0, tzinfo=UTC),
        datetime(2026, 11, 24, 17, 45, tzinfo=UTC),
    )


def test_the_organizer_comes_first_and_attendees_keep_their_response():
    event = normalize_item(
        _item(
            optional_attendees=[
                Attendee(mailbox=Mailbox(name="Lee", email_address="lee@northwind.example"), response_type="Tentative")
            ],
            resources=[Attendee(mailbox=Mailbox(name="Room 4.01", email_address="room@ruby-demo.example"))],
        )
    )

    assert [(a.email, a.response, a.attendee_type, a.is_organizer) for a in event.attendees] == [
        ("sam@ruby-demo.example", "organizer", "required", True),
        ("dana@northwind.example", "accepted", "required", False),
        ("lee@northwind.example", "tentativelyAccepted", "optional", False),
        ("room@ruby-demo.example", "none", "resource", False),
    ]
    assert (event.organizer_name, event.organizer_email) == ("Sam Seller", "sam@ruby-demo.example")


def test_private_sensitivity_free_busy_and_item_type_use_the_stored_values():
    event = normalize_item(_item(sensitivity="Private", legacy_free_busy_status="OOF", type="Occurrence"))

    assert (event.sensitivity, event.show_as, event.event_type) == ("private", "oof", "occurrence")
    assert event.is_private and event.series_master_id == "040000008200E00074C5B7101A82E008AB"


def test_a_join_link_in_the_body_makes_an_online_meeting_and_the_preview_is_capped():
    body = "Agenda " + "x" * 400 + " https://us02web.zoom.us/j/81234567890 "
    event = normalize_item(_item(text_body=body))

    assert event.join_url == "https://us02web.zoom.us/j/81234567890"
    assert (event.online_provider, event.is_online) == ("zoom", True)
    assert len(event.body_preview) == 255


def test_an_all_day_item_spans_midnight_to_midnight_utc():
    # exchangelib states all-day items as dates, the last day included.
    event = normalize_item(_item(is_all_day=True, start=EWSDate(2026, 11, 27), end=EWSDate(2026, 11, 27)))

    assert event.is_all_day
    assert (event.starts_at, event.ends_at) == (
        datetime(2026, 11, 27, tzinfo=UTC),
        datetime(2026, 11, 28, tzinfo=UTC),
    )


def test_an_item_without_a_start_is_malformed_with_its_reason():
    with pytest.raises(MalformedEvent) as caught:
        normalize_item(_item(start=None))

    assert (caught.value.reason, caught.value.event_id) == ("missing start time", "AAMkItem1")


def test_an_item_the_server_could_not_return_is_malformed():
    with pytest.raises(MalformedEvent) as caught:
        normalize_item(ErrorItemNotFound("The specified object was not found in the store."))

    assert caught.value.reason == "the server could not return this item (ErrorItemNotFound)"


def test_cancelled_and_location_are_kept():
    event = normalize_item(_item(is_cancelled=True, location="Blue Door Café"))

    assert (event.is_cancelled, event.location) == (True, "Blue Door Café")
