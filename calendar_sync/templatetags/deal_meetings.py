"""{% load deal_meetings %}{% deal_meetings deal %}: the deal page's Meetings section, read here so that deals
renders it without importing calendar_sync."""

from __future__ import annotations

from django import template

from calendar_sync.selectors.events import deal_meetings as meetings_of_deal

register = template.Library()


@register.inclusion_tag("calendar_sync/_deal_meetings.html", takes_context=True)
def deal_meetings(context, deal):
    return {"meetings": list(meetings_of_deal(deal, context["request"].user))}
