"""The generic pull platform, with a tiny fake pull module in the registry: cursor pages, 14-day backfill,
resuming from the newest time seen, errors as state, the schedule and "Fetch now"."""

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import custom_payload
from transcripts import sources, tasks
from transcripts.models import Transcript, TranscriptSource
from transcripts.services import pulls
from transcripts.sources import Source, SourceEntry, custom
from transcripts.sources.protocol import CredentialField, Mode, PullPage, auth_error, unavailable

NOW = datetime.fromisoformat("2026-03-20T12:00:00+00:00")


class FakeVendor:
    """Two pages joined by a cursor; records in the Custom format; remembers what it was asked."""

    MODE = Mode.PULL
    CREDENTIAL_FIELDS = (CredentialField("api_key", "API key"),)

    def __init__(self):
        self.calls, self.error = [], None
        self.parse, self.split = custom.parse, custom.split

    def pull(self, *, credentials, since, cursor):
        self.calls.append((credentials, since, cursor))
        if self.error:
            raise self.error
        if cursor == "":
            return PullPage([custom_payload(id="a")], cursor="page-2", newest="2026-03-19T10:00:00Z")
        return PullPage([custom_payload(id="b")], cursor="", newest="2026-03-19T11:00:00Z")

    def test_connection(self, *, credentials):
        return "fake ok"


@pytest.fixture
def vendor(monkeypatch):
    fake = FakeVendor()
    monkeypatch.setitem(
        sources.REGISTRY,
        "gong",
        SourceEntry(
            Source.GONG,
            SimpleNamespace(
                **{
                    name: getattr(fake, name)
                    for name in ("MODE", "CREDENTIAL_FIELDS", "pull", "test_connection", "parse", "split")
                }
            ),
        ),
    )
    return fake


@pytest.fixture
def config(workspace):
    return TranscriptSourceFactory(
        workspace=workspace, source="gong", secret="", credentials=json.dumps({"api_key": "k"})
    )


def test_first_run_backfills_14_days_and_follows_the_cursor(vendor, config, time_machine):
    time_machine.move_to(NOW, tick=False)
    assert pulls.transcript_source_pull(source_config_id=config.pk) == 2
    assert vendor.calls == [
        ({"api_key": "k"}, NOW - timedelta(days=14), ""),
        ({"api_key": "k"}, NOW - timedelta(days=14), "page-2"),
    ]
    assert sorted(Transcript.objects.values_list("external_id", flat=True)) == ["a", "b"]
    config.refresh_from_db()
    assert (config.pull_cursor, config.pulled_through.isoformat(), config.last_pulled_at) == (
        "",
        "2026-03-19T11:00:00+00:00",
        NOW,
    )


def test_next_run_asks_from_the_newest_time_seen(vendor, config, time_machine):
    time_machine.move_to(NOW)
    pulls.transcript_source_pull(source_config_id=config.pk)
    vendor.calls.clear()
    assert pulls.transcript_source_pull(source_config_id=config.pk) == 0  # the same two: nothing changed
    assert vendor.calls[0][1].isoformat() == "2026-03-19T11:00:00+00:00"


def test_a_run_cut_short_resumes_from_the_saved_cursor(vendor, config):
    pulls.transcript_source_pull(source_config_id=config.pk, max_pages=1)
    config.refresh_from_db()
    assert (config.pull_cursor, config.last_pulled_at) == ("page-2", None)
    vendor.calls.clear()
    pulls.transcript_source_pull(source_config_id=config.pk)
    assert vendor.calls[0][2] == "page-2"


def test_vendor_401_puts_the_pull_source_in_needs_attention(vendor, config):
    vendor.error = auth_error(401, "Access denied")
    pulls.transcript_source_pull(source_config_id=config.pk)
    config.refresh_from_db()
    assert (config.state, config.state_reason) == (
        "needs_attention",
        "Gong refused the credentials (401): “Access denied”. Save new ones, then Test connection.",
    )
    assert pulls.pull_sources_due() == []  # not asked again until new credentials


def test_vendor_5xx_is_the_last_error_and_tried_again_next_time(vendor, config):
    vendor.error = unavailable(503, "maintenance")
    pulls.transcript_source_pull(source_config_id=config.pk)
    config.refresh_from_db()
    assert (config.state, config.last_error) == ("connected", "Gong did not answer properly (503): “maintenance”.")
    assert pulls.pull_sources_due() == [config.pk]


def test_the_schedule_pulls_when_the_interval_has_passed(vendor, config, time_machine):
    time_machine.move_to(NOW)
    assert tasks.sources_due() == "0 delivery(ies), 1 pull(s)"  # sync test cluster: it ran
    assert Transcript.objects.count() == 2
    time_machine.move_to(NOW + timedelta(minutes=29))
    assert pulls.pull_sources_due() == []
    time_machine.move_to(NOW + timedelta(minutes=31))
    assert pulls.pull_sources_due() == [config.pk]


def test_fetch_now_pulls(vendor, config, user_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(reverse("transcript_source_fetch", args=["gong"]))
    assert response.status_code == 302
    assert Transcript.objects.count() == 2


def test_fetch_now_is_not_for_members(vendor, config, member_client):
    assert member_client.post(reverse("transcript_source_fetch", args=["gong"])).status_code == 403


def test_fetch_now_of_a_push_source_is_404(user_client, workspace):
    TranscriptSourceFactory(workspace=workspace, source="zoom")
    assert user_client.post(reverse("transcript_source_fetch", args=["zoom"])).status_code == 404


def test_pull_card_renders_from_the_modules_credential_fields(vendor, config, user_client):
    page = user_client.get(reverse("transcript_sources")).content.decode()
    card = page.split('id="source-gong"', 1)[1].split("</section>", 1)[0]
    assert 'name="api_key"' in card and "Fetch now" in card and "Test connection" in card
    assert "not yet (the first fetch looks back 14 days)" in card
    assert "Last delivery" not in card  # a pull source has no deliveries: its "Last fetched" says it


def test_turned_off_pull_source_is_not_pulled(vendor, config):
    TranscriptSource.objects.filter(pk=config.pk).update(state="off")
    assert pulls.pull_sources_due() == []
    assert pulls.transcript_source_pull(source_config_id=config.pk) == 0


def test_a_pulled_meeting_without_text_is_not_stored_and_said(vendor, config, monkeypatch):
    monkeypatch.setattr(
        sources.REGISTRY["gong"].module, "pull", lambda **kw: PullPage([custom_payload(id="silent", text="")])
    )
    assert pulls.transcript_source_pull(source_config_id=config.pk) == 0
    config.refresh_from_db()
    assert not Transcript.objects.exists()
    assert config.last_error == (
        "1 Gong meeting(s) could not be read: it has no transcript text (no spoken words), "
        "so there is nothing to match."
    )


def test_a_429_retry_after_makes_the_next_pull_wait_at_least_that_long(vendor, config, time_machine):
    time_machine.move_to(NOW, tick=False)
    vendor.error = unavailable(429, "Too many requests", retry_after=600)
    pulls.transcript_source_pull(source_config_id=config.pk)
    config.refresh_from_db()
    assert config.pull_not_before == NOW + timedelta(seconds=600)
    assert config.last_error == "Gong is rate-limiting Ruby (429): “Too many requests”. It asked Ruby to wait 600 s."
    vendor.error, vendor.calls = None, []
    time_machine.move_to(NOW + timedelta(seconds=599), tick=False)
    assert pulls.pull_sources_due() == []
    assert pulls.transcript_source_pull(source_config_id=config.pk) == 0 and vendor.calls == []
    time_machine.move_to(NOW + timedelta(seconds=601), tick=False)
    assert pulls.pull_sources_due() == [config.pk]
    assert pulls.transcript_source_pull(source_config_id=config.pk) == 2
    config.refresh_from_db()
    assert config.pull_not_before is None


def test_a_429_without_retry_after_still_waits_a_minute(vendor, config, time_machine):
    time_machine.move_to(NOW, tick=False)
    vendor.error = unavailable(429, "Too Many Requests")
    pulls.transcript_source_pull(source_config_id=config.pk)
    config.refresh_from_db()
    assert config.pull_not_before == NOW + timedelta(seconds=pulls.THROTTLED_WAIT_SECONDS)


def test_fetch_now_while_the_vendor_asked_to_wait_says_until_when(vendor, config, user_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    TranscriptSource.objects.filter(pk=config.pk).update(pull_not_before=NOW + timedelta(minutes=5))
    response = user_client.post(reverse("transcript_source_fetch", args=["gong"]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Gong asked Ruby to wait (rate limit): the next fetch can run after 12:05:00 PM."
    ]
    assert vendor.calls == []


def test_a_run_that_goes_through_clears_the_last_error(vendor, config):
    vendor.error = unavailable(503, "maintenance")
    pulls.transcript_source_pull(source_config_id=config.pk)
    vendor.error = None
    pulls.transcript_source_pull(source_config_id=config.pk)
    config.refresh_from_db()
    assert (config.last_error, config.last_error_at) == ("", None)
