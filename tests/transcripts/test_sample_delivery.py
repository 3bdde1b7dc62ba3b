"""The Custom source's sample curl on the Transcript sources page delivers a transcript that matches the admin's own
meeting (the vendors' cards have the sandbox delivery instead)."""

import html
import re
import time
from datetime import datetime, timedelta

from django.urls import reverse

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import meeting
from transcripts import signing, sources
from transcripts.models import Transcript

SECRET = "whsec_sample_secret"
NOW = datetime.fromisoformat("2026-03-09T12:00:00+00:00")


def sample_body_on_page(client, source: str) -> bytes:
    page = client.get(reverse("transcript_sources")).content.decode()
    section = page.split(f'id="source-{source}"', 1)[1]
    return html.unescape(re.search(r"BODY='(.*?)'\n", section).group(1)).encode()


def test_sample_delivery_matches_the_next_meeting(
    user_client, user, workspace, time_machine, django_capture_on_commit_callbacks
):
    source = "custom"
    time_machine.move_to(NOW)
    config = TranscriptSourceFactory(workspace=workspace, source=source, secret=SECRET)
    event = meeting(user, start=NOW + timedelta(days=1), subject="Northwind discovery")
    body = sample_body_on_page(user_client, source)
    stamp = str(int(time.time()))
    url = reverse("transcript_webhook", kwargs={"source": source, "token": config.webhook_token})
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(
            url,
            data=body,
            content_type="application/json",
            HTTP_X_RUBY_SIGNATURE=signing.sign(body, SECRET, stamp),
            HTTP_X_RUBY_TIMESTAMP=stamp,
        )
    assert response.status_code == 202, response.content
    transcript = Transcript.objects.get(source=source)
    assert transcript.event == event
    assert transcript.match_status == "matched"


def test_sample_names_the_meeting_it_will_match(user_client, user, workspace, time_machine):
    time_machine.move_to(NOW)
    TranscriptSourceFactory(workspace=workspace, source="custom", secret=SECRET)
    meeting(user, start=NOW + timedelta(days=1), subject="Northwind discovery")
    page = user_client.get(reverse("transcript_sources")).content.decode()
    assert "Northwind discovery" in page
    assert "2025-03-04" not in page


def test_sample_body_keeps_shell_quotes_closed(user_client, user, workspace, time_machine):
    time_machine.move_to(NOW)
    TranscriptSourceFactory(workspace=workspace, source="custom", secret=SECRET)
    meeting(user, start=NOW + timedelta(days=1), subject="O'Brien's kickoff")
    body = sample_body_on_page(user_client, "custom").decode()
    assert "'" not in body
    assert sources.normalize("custom", __import__("json").loads(body)).title == "O'Brien's kickoff"
