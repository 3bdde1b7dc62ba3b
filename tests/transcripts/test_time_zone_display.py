"""Transcript pages, the home week and the insights show times in the viewer's own time zone, like the calendar."""

from datetime import datetime

from django.urls import reverse

from tests.factories import AccountFactory
from tests.transcripts.helpers import meeting, zoom_payload
from transcripts.services.ingest import transcript_ingest

DANA = ("Dana", "dana@northwind.example")
# 15:00 UTC on 10 March 2026 is 11:00 in Toronto (EDT since 8 March) and 16:00 in Berlin.
START = datetime.fromisoformat("2026-03-10T15:00:00+00:00")


def _toronto(user):
    user.time_zone = "America/Toronto"
    user.save(update_fields=["time_zone"])


def test_transcript_list_shows_start_in_viewer_time_zone(user_client, user, workspace):
    _toronto(user)
    meeting(user, start=START)
    transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(start=START, people=[DANA]))
    page = user_client.get(reverse("transcript_list")).content.decode()
    assert "Tue 10 Mar, 11:00 AM" in page
    assert "America/Toronto" in page


def test_transcript_page_shows_times_in_viewer_time_zone(user_client, user, workspace):
    _toronto(user)
    meeting(user, start=START)
    transcript = transcript_ingest(
        workspace=workspace, source="zoom", payload=zoom_payload(start=START, people=[DANA])
    ).transcript
    page = user_client.get(reverse("transcript_detail", args=[transcript.pk])).content.decode()
    assert "Tue 10 Mar 2026, 11:00 AM – 11:30 AM EDT" in page
    assert "15:00" not in page


def test_home_week_shows_meetings_in_viewer_time_zone(user_client, user, time_machine):
    time_machine.move_to(datetime.fromisoformat("2026-03-09T12:00:00+00:00"))
    _toronto(user)
    meeting(user, start=START, subject="Northwind discovery")
    page = user_client.get(reverse("home")).content.decode()
    assert "Tue 10 Mar, 11:00 AM" in page


def test_home_week_says_all_day_instead_of_midnight(user_client, user, time_machine):
    time_machine.move_to(datetime.fromisoformat("2026-03-09T12:00:00+00:00"))
    _toronto(user)
    day = datetime.fromisoformat("2026-03-11T00:00:00+00:00")
    meeting(user, start=day, minutes=24 * 60, is_all_day=True, subject="On-site visit")
    page = user_client.get(reverse("home")).content.decode()
    assert "Wed 11 Mar, all day" in page


def test_account_insights_list_past_meetings_in_viewer_time_zone(user_client, user, workspace, time_machine):
    time_machine.move_to(datetime.fromisoformat("2026-03-12T12:00:00+00:00"))
    _toronto(user)
    account = AccountFactory(workspace=workspace, domain="northwind.example")
    meeting(user, start=START, account=account, subject="Northwind discovery")
    page = user_client.get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "Tue 10 Mar, 11:00 AM" in page


def test_sources_page_shows_secret_date_in_viewer_time_zone(user_client, user, workspace, time_machine):
    from tests.factories import TranscriptSourceFactory

    time_machine.move_to(START)
    _toronto(user)
    TranscriptSourceFactory(workspace=workspace, source="custom", secret="whsec_x", secret_rotated_at=START)
    page = user_client.get(reverse("transcript_sources")).content.decode()
    assert "10 Mar 2026, 11:00 AM EDT" in page
