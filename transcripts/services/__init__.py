"""Writes for transcripts, by sub-domain: ingest (deliveries in, transcripts stored), matching (to calendar
events), corrections (a person's decisions), sources (a workspace's source settings)."""
