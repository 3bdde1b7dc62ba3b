"""{% load calendar_suggestions %}{% calendar_suggestions_banner %}: "5 companies from your calendar are not accounts
yet — review", shown on the accounts, contacts and home pages without deals importing calendar_sync."""

from __future__ import annotations

from django import template

from calendar_sync.selectors.events import events_visible_to
from calendar_sync.selectors.suggestions import suggestions_from

register = template.Library()


@register.inclusion_tag("calendar_sync/_suggestions_banner.html", takes_context=True)
def calendar_suggestions_banner(context):
    request = context["request"]
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"suggestions": None}
    found = suggestions_from(events_visible_to(request.user, membership=membership), workspace=membership.workspace)
    return {"suggestions": found, "top": found.accounts[:3]}
