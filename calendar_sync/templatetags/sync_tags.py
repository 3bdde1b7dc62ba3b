from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from calendar_sync.selectors.sync import sync_status_for

register = template.Library()


@register.inclusion_tag("calendar_sync/_sync_status_line.html", takes_context=True)
def sync_status(context, connection):
    """{% load sync_tags %}{% sync_status connection %}: the sync line, Sync now and the sync options."""
    request = context.get("request")
    back = ""
    if request is not None:
        # When htmx re-renders this from the status endpoint, "back" is the page the user is on.
        htmx = getattr(request, "htmx", None)
        back = (htmx.current_url if htmx else None) or request.get_full_path()
    return {
        "connection": connection,
        "csrf_token": context.get("csrf_token"),
        "request": request,
        "back": back,
        "notice": context.get("sync_notice", ""),
        "notice_ok": context.get("sync_ok", True),
        **sync_status_for(connection),
    }


@register.filter
def ago(value) -> str:
    """ "just now" under a minute ("0 minutes ago" reads like a bug), else Django's timesince + " ago"."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value)} ago"
