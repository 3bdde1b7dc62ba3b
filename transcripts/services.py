"""Transcript ingest and matching. Written in the transcripts work (issue 6).

Contract used elsewhere:
    transcripts_rematch_for_events(*, workspace, event_ids) -> int
        re-runs matching for unmatched/ambiguous (never manual) transcripts whose time overlaps
        these events; returns how many transcripts became matched. Called after a sync and on
        "Process again".
"""


def transcripts_rematch_for_events(*, workspace, event_ids) -> int:
    return 0
