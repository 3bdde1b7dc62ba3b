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
# Receivers return how many of their rows they changed (the purge reports the sum as "transcripts_detached").
events_deleting = Signal()

# A deletion request erases a person (an attendee email) from a workspace, or from every workspace when
# workspace is None. Receivers answer with what they hold of that person or change in their own rows.

# kwargs: email (lower-cased), workspace. Receivers return an iterable of the names the person went by.
person_names_requested = Signal()

# kwargs: email, workspace, anonymise (False = purge), scrub (calendar_sync.services.erasure.Scrubber, the one
# routine that rewrites text and JSON), related_event_ids (set[int], events the person attended or organised).
# Receivers scrub their rows with `scrub` and return a dict of counts, merged into the request's result.
person_erasing = Signal()
