"""Meeting activity on the pages of lower apps: {% load insights %} then {% deal_insights deal %},
{% account_insights account %} or {% contact_meetings contact %}. deals renders these without importing
calendar_sync or transcripts: the data is read here, in the top app."""

from __future__ import annotations

from django import template

from transcripts import insights

register = template.Library()


def _viewer(context):
    return context["request"].user


@register.inclusion_tag("transcripts/_insights.html", takes_context=True)
def deal_insights(context, deal):
    return {"insights": insights.deal_insights(deal=deal, user=_viewer(context))}


@register.inclusion_tag("transcripts/_insights.html", takes_context=True)
def account_insights(context, account):
    return {"insights": insights.account_insights(account=account, user=_viewer(context))}


@register.inclusion_tag("transcripts/_contact_meetings.html", takes_context=True)
def contact_meetings(context, contact):
    return {"contact": contact, "meetings": insights.contact_meetings(contact=contact, user=_viewer(context))}
