"""Source settings: only sources of the registry can be enabled."""

import pytest

from ruby_site.errors import UserFacingError
from transcripts.models import TranscriptSource
from transcripts.services.sources import UnknownSourceError, transcript_source_enable


def test_enabling_a_registered_source_creates_its_settings(workspace):
    config = transcript_source_enable(workspace=workspace, source="gong")
    assert (config.source, config.enabled) == ("gong", True)


def test_enabling_an_unknown_source_is_refused(workspace):
    with pytest.raises(UnknownSourceError) as refused:
        transcript_source_enable(workspace=workspace, source="webex")
    assert str(refused.value) == "Unknown transcript source 'webex'."
    assert isinstance(refused.value, UserFacingError)
    assert not TranscriptSource.objects.exists()
