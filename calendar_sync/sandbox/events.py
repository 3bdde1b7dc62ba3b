"""The sandbox calendar. Minimal placeholder; the sync work replaces it with a realistic week."""

from __future__ import annotations


def calendar_view(identity: dict, url: str) -> tuple[int, dict, dict]:
    """Answer GET {graph}/v1.0/me/calendarView* for `identity`: (status, JSON body, headers)."""
    return 200, {"value": []}, {}
