"""Transcript pages and actions; the sources settings page."""

from datetime import timedelta

import pytest
from django.urls import reverse

from calendar_sync.models import CalendarEvent
from ruby_site.models import Workspace
from tests.factories import DealFactory, TranscriptFactory, TranscriptSourceFactory
from tests.transcripts.helpers import BASE, meeting, zoom_payload
from transcripts.models import Transcript, TranscriptSource
from transcripts.services.ingest import transcript_ingest

DANA = ("Dana", "dana@northwind.example")


@pytest.fixture
def matched(workspace, user):
    event = meeting(user, subject="Northwind discovery")
    transcript = transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(people=[DANA])).transcript
    assert transcript.event == event
    return transcript


def post(client, name, transcript, data=None):
    return client.post(reverse(name, args=[transcript.pk]), data or {})


# --------------------------------------------------------------------------- list


def test_list_shows_workspace_transcripts(user_client, matched):
    response = user_client.get(reverse("transcript_list"))
    assert response.status_code == 200
    assert "Discovery call" in response.content.decode()
    assert "100% — 30 of 30 min overlap, 1 of 1 participants" in response.content.decode()


def test_list_filters_by_status_and_source(user_client, workspace, matched):
    TranscriptFactory(workspace=workspace, source="gong", title="Gong call")
    page = user_client.get(reverse("transcript_list"), {"status": "unmatched"}).content.decode()
    assert "Gong call" in page and "Discovery call" not in page
    page = user_client.get(reverse("transcript_list"), {"source": "zoom"}).content.decode()
    assert "Gong call" not in page and "Discovery call" in page


def test_list_filters_by_deal(user_client, workspace, matched):
    deal = DealFactory(workspace=workspace)
    TranscriptFactory(workspace=workspace, title="Deal call", deal=deal)
    page = user_client.get(reverse("transcript_list"), {"deal": str(deal.pk)}).content.decode()
    assert "Deal call" in page and "Discovery call" not in page


def test_list_paginates(user_client, workspace):
    for _ in range(30):
        TranscriptFactory(workspace=workspace)
    page = user_client.get(reverse("transcript_list"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in page


def test_list_hides_other_workspaces_transcripts(outsider_client, matched):
    assert "Discovery call" not in outsider_client.get(reverse("transcript_list")).content.decode()


# --------------------------------------------------------------------------- detail and actions


def test_detail_explains_the_match(user_client, matched):
    page = user_client.get(reverse("transcript_detail", args=[matched.pk])).content.decode()
    assert "Northwind discovery" in page
    assert "100% — 30 of 30 min overlap" in page
    assert "Sam: Hello there." in page


def test_member_sees_transcript_but_not_a_meeting_they_may_not_see(member_client, matched):
    page = member_client.get(reverse("transcript_detail", args=[matched.pk])).content.decode()
    assert "Sam: Hello there." in page
    assert "Northwind discovery" not in page
    assert "a colleague" in page


@pytest.mark.parametrize("name", ["transcript_detail"])
def test_detail_of_another_workspace_is_404(outsider_client, matched, name):
    assert outsider_client.get(reverse(name, args=[matched.pk])).status_code == 404


@pytest.mark.parametrize(
    "name", ["transcript_confirm", "transcript_change", "transcript_clear", "transcript_auto", "transcript_deal"]
)
def test_actions_on_another_workspace_are_404(outsider_client, matched, name):
    assert post(outsider_client, name, matched, {"event": matched.event_id}).status_code == 404
    matched.refresh_from_db()
    assert matched.match_how == "auto"


@pytest.mark.parametrize("name", ["transcript_confirm", "transcript_clear", "transcript_deal"])
def test_actions_refuse_get(user_client, matched, name):
    assert user_client.get(reverse(name, args=[matched.pk])).status_code == 405


def test_confirm_makes_the_match_manual(user_client, user, matched):
    post(user_client, "transcript_confirm", matched)
    matched.refresh_from_db()
    assert (matched.match_how, matched.matched_by) == ("manual", user)


def test_change_to_a_candidate(user_client, user, workspace):
    first = meeting(user, guests=["dana@northwind.example"])
    second = meeting(user, guests=["dana@northwind.example"], start=BASE + timedelta(minutes=5))
    transcript = transcript_ingest(
        workspace=workspace, source="zoom", payload=zoom_payload(start=BASE + timedelta(minutes=2), people=[DANA])
    ).transcript
    assert transcript.match_status == "ambiguous"
    response = post(user_client, "transcript_change", transcript, {"event": second.pk})
    assert response.status_code == 302
    transcript.refresh_from_db()
    assert (transcript.event, transcript.match_status, transcript.match_how) == (second, "matched", "manual")
    assert first.transcripts.count() == 0


def test_change_to_a_meeting_outside_the_window_is_refused(user_client, user, matched):
    far = meeting(user, start=BASE + timedelta(days=2))
    response = post(user_client, "transcript_change", matched, {"event": far.pk})
    assert response.status_code == 302
    matched.refresh_from_db()
    assert matched.event != far


def test_change_to_a_meeting_the_user_cannot_see_is_refused(member_client, user, matched):
    response = post(member_client, "transcript_change", matched, {"event": matched.event_id})
    assert response.status_code == 302
    matched.refresh_from_db()
    assert matched.match_how == "auto"


def test_change_to_a_discarded_meeting_is_refused(user_client, user, matched):
    discarded = meeting(user, state=CalendarEvent.State.DISCARDED)
    post(user_client, "transcript_change", matched, {"event": discarded.pk})
    matched.refresh_from_db()
    assert matched.event != discarded


def test_clear_removes_the_match_for_good(user_client, matched):
    post(user_client, "transcript_clear", matched)
    matched.refresh_from_db()
    assert (matched.event, matched.match_status, matched.match_how) == (None, "unmatched", "manual")


def test_let_ruby_match_again(user_client, user, matched):
    event = matched.event
    post(user_client, "transcript_clear", matched)
    post(user_client, "transcript_auto", matched)
    matched.refresh_from_db()
    assert (matched.event, matched.match_how) == (event, "auto")


def test_assign_and_unassign_deal(user_client, workspace, matched):
    deal = DealFactory(workspace=workspace)
    post(user_client, "transcript_deal", matched, {"deal": deal.pk})
    matched.refresh_from_db()
    assert matched.deal == deal
    post(user_client, "transcript_deal", matched, {"deal": ""})
    matched.refresh_from_db()
    assert matched.deal is None


def test_assign_deal_of_another_workspace_is_refused(user_client, other_workspace, matched):
    foreign = DealFactory(workspace=other_workspace)
    post(user_client, "transcript_deal", matched, {"deal": foreign.pk})
    matched.refresh_from_db()
    assert matched.deal is None


def test_matching_never_assigns_a_deal(workspace, user):
    deal = DealFactory(workspace=workspace)
    meeting(user, deal=deal)
    transcript = transcript_ingest(workspace=workspace, source="zoom", payload=zoom_payload(people=[DANA])).transcript
    assert transcript.match_status == "matched"
    assert transcript.deal is None


def test_workspace_visibility_lets_members_see_the_meeting(member_client, workspace, matched):
    Workspace.objects.filter(pk=workspace.pk).update(event_visibility="workspace")
    page = member_client.get(reverse("transcript_detail", args=[matched.pk])).content.decode()
    assert "Northwind discovery" in page


# --------------------------------------------------------------------------- sources settings


def test_sources_page_is_for_admins_only(member_client):
    assert member_client.get(reverse("transcript_sources")).status_code == 403


def test_member_cannot_rotate_a_secret(member_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="custom", secret="whsec_keep")
    assert member_client.post(reverse("transcript_source_secret", args=["custom"])).status_code == 403
    config.refresh_from_db()
    assert config.secret == "whsec_keep"


def test_enable_source(user_client, workspace):
    user_client.post(reverse("transcript_source_enable", args=["custom"]))
    assert TranscriptSource.objects.get(workspace=workspace).source == "custom"


def test_enable_unknown_source_is_404(user_client):
    assert user_client.post(reverse("transcript_source_enable", args=["webex"])).status_code == 404


def test_sources_page_shows_webhook_url_and_headers(user_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="custom")
    page = user_client.get(reverse("transcript_sources")).content.decode()
    assert f"http://testserver/webhooks/transcripts/custom/{config.webhook_token}/" in page
    assert "X-Ruby-Signature" in page and "X-Ruby-Timestamp" in page
    assert config.secret not in page


def test_webhook_url_uses_public_base_url(user_client, workspace, settings):
    settings.PUBLIC_BASE_URL = "https://ruby.example.com"
    config = TranscriptSourceFactory(workspace=workspace)
    page = user_client.get(reverse("transcript_sources")).content.decode()
    assert f"https://ruby.example.com/webhooks/transcripts/zoom/{config.webhook_token}/" in page


def test_generated_secret_is_shown_once_and_encrypted(user_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="custom", secret="")
    response = user_client.post(reverse("transcript_source_secret", args=["custom"]))
    config.refresh_from_db()
    assert config.secret.startswith("whsec_")
    assert config.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert config.secret not in user_client.get(reverse("transcript_sources")).content.decode()
    raw = TranscriptSource.objects.filter(pk=config.pk).values_list("secret", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM transcripts_transcriptsource WHERE id = %s", [config.pk])
        assert config.secret not in cursor.fetchone()[0]
    assert list(raw) == [config.secret]


def test_rotation_keeps_the_old_secret_until_stopped(user_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="custom", secret="whsec_old")
    user_client.post(reverse("transcript_source_secret", args=["custom"]))
    config.refresh_from_db()
    assert config.previous_secret == "whsec_old" and config.secret != "whsec_old"
    user_client.post(reverse("transcript_source_stop_old", args=["custom"]))
    config.refresh_from_db()
    assert config.previous_secret == ""


def test_disable_source(user_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace)
    user_client.post(reverse("transcript_source_disable", args=["zoom"]))
    config.refresh_from_db()
    assert not config.enabled


def test_admin_of_another_workspace_cannot_touch_our_source(outsider_client, workspace):
    config = TranscriptSourceFactory(workspace=workspace, source="custom", secret="whsec_keep")
    for name in ["transcript_source_secret", "transcript_source_disable", "transcript_source_stop_old"]:
        assert outsider_client.post(reverse(name, args=["custom"])).status_code == 404
    config.refresh_from_db()
    assert (config.secret, config.enabled) == ("whsec_keep", True)
    assert config.webhook_token not in outsider_client.get(reverse("transcript_sources")).content.decode()


def test_transcript_count_unchanged_by_page_views(user_client, matched):
    user_client.get(reverse("transcript_detail", args=[matched.pk]))
    assert Transcript.objects.count() == 1


def test_list_hides_the_subject_of_a_meeting_the_member_may_not_see(member_client, matched):
    page = member_client.get(reverse("transcript_list")).content.decode()
    assert "Discovery call" in page
    assert "Northwind discovery" not in page


def test_let_ruby_match_again_says_when_the_match_is_still_ambiguous(user_client, user, workspace):
    meeting(user, start=BASE)
    meeting(user, start=BASE + timedelta(minutes=30))
    payload = zoom_payload(start=BASE + timedelta(minutes=15), people=[DANA])
    transcript = transcript_ingest(workspace=workspace, source="zoom", payload=payload).transcript
    post(user_client, "transcript_clear", transcript)
    page = user_client.post(reverse("transcript_auto", args=[transcript.pk]), follow=True).content.decode()
    assert "more than one meeting fits about equally well, so choose one below" in page
