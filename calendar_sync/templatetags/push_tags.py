from django import template

from calendar_sync.selectors.push import live_updates_for

register = template.Library()


@register.inclusion_tag("calendar_sync/_live_updates.html")
def live_updates(connection):
    """{% load push_tags %}{% live_updates connection %}: the card's "Live updates: …" line."""
    return {"connection": connection, **live_updates_for(connection)}
