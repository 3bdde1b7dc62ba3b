"""Meeting activity on deal, account and contact pages (filled in by the transcripts/insights work)."""

from __future__ import annotations


def account_insights(*, account, user) -> dict:
    return {}


def deal_insights(*, deal, user) -> dict:
    return {}


def contact_meetings(*, contact, user) -> list:
    return []
