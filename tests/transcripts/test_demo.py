"""transcripts.demo.load_demo_transcripts: derived from the meetings present in the workspace."""

from datetime import timedelta

from tests.transcripts.helpers import BASE, meeting
from transcripts.demo import load_demo_transcripts
from transcripts.models import Transcript


def sandbox_week(user):
    meeting(user, start=BASE, minutes=30, guests=["dana@northwind.example", "lee@northwind.example"])
    meeting(user, start=BASE + timedelta(hours=2), minutes=30, guests=["kim@contoso.example"])
    meeting(user, start=BASE + timedelta(days=1), minutes=45, guests=["ravi@fabrikam.example"])
    meeting(user, start=BASE + timedelta(days=1, hours=1), minutes=45, guests=["ravi@fabrikam.example"])


def test_demo_gives_two_matched_sources_and_one_ambiguous(workspace, user):
    sandbox_week(user)
    assert load_demo_transcripts(workspace=workspace) == 3
    statuses = sorted(Transcript.objects.values_list("source", "match_status"))
    assert statuses == [("fireflies", "ambiguous"), ("fireflies", "matched"), ("zoom", "matched")]


def test_demo_is_idempotent(workspace, user):
    sandbox_week(user)
    load_demo_transcripts(workspace=workspace)
    before = list(Transcript.objects.values("id", "updated_at"))
    load_demo_transcripts(workspace=workspace)
    assert list(Transcript.objects.values("id", "updated_at")) == before


def test_demo_without_meetings_stores_nothing(workspace):
    assert load_demo_transcripts(workspace=workspace) == 0
    assert not Transcript.objects.exists()
