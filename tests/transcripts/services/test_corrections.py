"""A person's corrections refuse what cannot be done, in words shown as they are (UserFacingError)."""

import pytest

from ruby_site.errors import UserFacingError
from tests.factories import DealFactory, TranscriptFactory
from tests.transcripts.helpers import meeting
from transcripts.services.corrections import (
    CorrectionError,
    transcript_deal_assign,
    transcript_match_change,
    transcript_match_confirm,
)


def test_correction_errors_are_shown_to_users():
    assert issubclass(CorrectionError, UserFacingError)


def test_confirming_without_a_match_is_refused(workspace, user):
    transcript = TranscriptFactory(workspace=workspace)
    with pytest.raises(CorrectionError) as refused:
        transcript_match_confirm(transcript=transcript, user=user)
    assert str(refused.value) == "There is no match to confirm; choose a meeting instead."


def test_matching_to_a_meeting_of_another_workspace_is_refused(workspace, user, outsider):
    transcript = TranscriptFactory(workspace=workspace)
    with pytest.raises(CorrectionError) as refused:
        transcript_match_change(transcript=transcript, event=meeting(outsider), user=user)
    assert str(refused.value) == "That meeting is not in this workspace."
    transcript.refresh_from_db()
    assert transcript.event is None


def test_assigning_a_deal_of_another_workspace_is_refused(workspace, user, other_workspace):
    transcript = TranscriptFactory(workspace=workspace)
    with pytest.raises(CorrectionError) as refused:
        transcript_deal_assign(transcript=transcript, deal=DealFactory(workspace=other_workspace), user=user)
    assert str(refused.value) == "That deal is not in this workspace."
