"""The "Teams transcripts" card on Settings → Integrations ({% load teams_transcripts %}{% teams_transcripts_card %}):
ruby_site renders the page without importing transcripts; the card's data is read here, in the top app. Also the
workspace's summary of Teams grants for the Teams card on Settings → Transcript sources."""

from __future__ import annotations

from django import template

from transcripts import selectors

register = template.Library()


@register.inclusion_tag("transcripts/_teams_card.html", takes_context=True)
def teams_transcripts_card(context):
    return {
        **selectors.teams_card(context["request"].user),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def teams_grants_summary(context) -> dict:
    """{% teams_grants_summary as grants %} on the Transcript sources page (the Teams source's CARD_TEMPLATE)."""
    return selectors.teams_grants_summary(context["request"].workspace)
