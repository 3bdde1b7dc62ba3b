"""What calendar_sync tells the apps above it (transcripts). calendar_sync never imports transcripts; the
transcripts app connects its receivers in TranscriptsConfig.ready(). Receivers may return a value: senders that
need one (e.g. a count for the user's message) read it from Signal.send()'s answers.
"""

from django.dispatch import Signal

# Events were stored, changed or re-linked (a sync, "process again"). kwargs: workspace, event_ids (list[int]).
events_changed = Signal()

# One event left (discarded) or came back (restored). kwargs: event.
event_discarded = Signal()
event_restored = Signal()

# These events are about to be deleted (disconnect with purge, erasure). kwargs: event_ids (list[int]).
events_deleting = Signal()
