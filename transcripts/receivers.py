"""What transcripts does when calendar_sync says its events changed (calendar_sync/signals.py).

Connected in TranscriptsConfig.ready(). Each receiver returns a count, so a sender that reports one to the user
(Process again, the purge) reads it from Signal.send()'s answers.
"""

from __future__ import annotations

from transcripts.services.matching import (
    transcripts_detach_events,
    transcripts_rematch_for_events,
    transcripts_rematch_without_event,
)


def rematch_after_events_changed(sender, *, workspace, event_ids, **kwargs) -> int:
    return transcripts_rematch_for_events(workspace=workspace, event_ids=event_ids)


def rematch_after_event_discarded(sender, *, event, **kwargs) -> int:
    return transcripts_rematch_without_event(event=event)


def rematch_after_event_restored(sender, *, event, **kwargs) -> int:
    # Transcripts that lost this meeting at the discard find it again.
    return transcripts_rematch_for_events(workspace=event.workspace, event_ids=[event.pk])


def detach_before_events_deleted(sender, *, event_ids, **kwargs) -> int:
    return transcripts_detach_events(event_ids=list(event_ids))
