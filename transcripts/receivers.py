"""What transcripts does when calendar_sync announces a change (connected in TranscriptsConfig.ready())."""

from __future__ import annotations

from transcripts import services


def rematch_after_sync(sender, workspace, event_ids, **kwargs):
    """calendar_sync.signals.events_changed: match transcripts again against the new and changed events."""
    return services.transcripts_rematch_for_events(workspace=workspace, event_ids=event_ids)
