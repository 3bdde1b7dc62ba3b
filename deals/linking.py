"""Linking calendar attendees to contacts and events to accounts. Written in the sync work (issue 4).

Contract used elsewhere:
    link_events(*, workspace, event_ids) -> LinkSummary
        attendee email -> Contact; external attendee domains -> Account; event.account only when
        exactly one account is indicated; never assigns a deal; skips discarded events.
"""
