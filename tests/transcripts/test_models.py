"""What a transcript row may hold: "matched" always names its meeting."""

import pytest
from django.db import IntegrityError

from tests.factories import TranscriptFactory
from tests.transcripts.helpers import meeting
from transcripts.models import Transcript


def test_a_matched_transcript_without_a_meeting_is_refused(workspace):
    with pytest.raises(IntegrityError):
        TranscriptFactory(workspace=workspace, match_status="matched", event=None)


def test_deleting_a_meeting_unmatches_its_transcript(workspace, user):
    event = meeting(user)
    transcript = TranscriptFactory(workspace=workspace, event=event, match_status="matched", match_how="auto")

    event.delete()

    transcript.refresh_from_db()
    assert (transcript.event, transcript.match_status) == (None, "unmatched")


def test_deleting_a_user_with_matched_meetings_keeps_the_workspaces_transcripts(workspace, user):
    transcript = TranscriptFactory(workspace=workspace, event=meeting(user), match_status="matched")

    user.delete()

    assert Transcript.objects.get(pk=transcript.pk).match_status == "unmatched"


def test_deleting_a_workspace_deletes_its_matched_transcripts(workspace, user):
    TranscriptFactory(workspace=workspace, event=meeting(user), match_status="matched")

    workspace.delete()

    assert Transcript.objects.count() == 0
