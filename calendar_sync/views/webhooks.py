"""calendar_sync views: Microsoft Graph's change-notification webhooks (issue 12), /webhooks/microsoft/….

Acknowledge, then work (design.md §7.14): Graph resends anything not answered with a 2xx within 3 seconds, and
flags slow endpoints. So these views validate, store one row (services.subscriptions.push_notifications_accept)
and answer 202; the worker does the rest. No login (Graph calls them), no CSRF (a machine POST); what authenticates
a notification is its subscription id and clientState, checked before anything is written.
"""

from __future__ import annotations

import json

from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from calendar_sync.services.subscriptions import push_notifications_accept

# Graph's validation tokens are short opaque strings; anything far longer is not Graph.
MAX_VALIDATION_TOKEN = 4096


def _plain(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"  # never sniffed as HTML, whatever the token holds
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@csrf_exempt
@never_cache
def microsoft_notifications(request):
    """Both the notificationUrl and the lifecycleNotificationUrl (Graph allows them to be one endpoint; items
    carrying `lifecycleEvent` are lifecycle notifications)."""
    token = request.GET.get("validationToken")
    if token is not None:
        # Endpoint validation: echo the URL-decoded token as plain text within 10 s, writing nothing.
        if request.method not in ("POST", "GET") or len(token) > MAX_VALIDATION_TOKEN:
            return _plain("Not a validation request Ruby answers.", 400)
        return _plain(token, 200)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        document = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _plain("The body is not JSON.", 400)
    items = document.get("value") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return _plain('The body has no list of notifications ("value").', 400)
    push_notifications_accept(items=items)
    # The same answer whether or not anything matched: it tells a sender nothing about which subscriptions exist.
    return HttpResponse(status=202)
