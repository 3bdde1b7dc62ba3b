"""calendar_sync views: the Integrations page and connecting Outlook Calendar (issue 3)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from calendar_sync import auth
from calendar_sync.auth import AuthFlowError
from calendar_sync.selectors.connection import integrations_context
from calendar_sync.services.connection import ConnectFailed, ConnectRefused, connection_begin, connection_complete
from ruby_site.access import member_required
from ruby_site.domains import is_free_mail
from ruby_site.selectors import email_domain

FLOW_SESSION_KEY = "outlook_connect_flow"
# Long enough to sign in and approve; short enough that an abandoned flow is not reusable later.
FLOW_MAX_AGE_SECONDS = 15 * 60


RESULT_SESSION_KEY = "outlook_connect_result"


@member_required
def settings_integrations(request):
    context = integrations_context(user=request.user, workspace=request.workspace)
    context["section"] = "integrations"
    return render(request, "calendar_sync/settings_integrations.html", context)


def _admin_consent_link(request, kind: str) -> str:
    # Only a work or school account has an admin to ask; a free-mail (personal) address never does.
    if kind != AuthFlowError.ADMIN_CONSENT or is_free_mail(email_domain(request.user.email)):
        return ""
    return auth.admin_consent_url(redirect_uri=request.build_absolute_uri(reverse("outlook_callback")))


def _show_result(request, *, message: str, kind: str, refused: bool = False, microsoft_code: str = ""):
    # Shown on a page of its own after a redirect, so the callback URL (with Microsoft's code) leaves
    # the address bar and a reload does not re-run the callback.
    request.session[RESULT_SESSION_KEY] = {
        "message": message,
        "kind": kind,
        "refused": refused,
        "microsoft_code": microsoft_code,
        "admin_consent_url": _admin_consent_link(request, kind),
    }
    return redirect("outlook_connect_result")


@member_required
@require_POST
def outlook_connect(request):
    if not settings.MICROSOFT_ENABLED:
        messages.error(request, "Outlook Calendar is not configured on this server.")
        return redirect("settings_integrations")
    try:
        flow = connection_begin(user=request.user, redirect_uri=request.build_absolute_uri(reverse("outlook_callback")))
    except ConnectRefused as exc:
        messages.error(request, str(exc))
        return redirect("settings_integrations")
    except ConnectFailed as exc:
        return _show_result(request, message=str(exc), kind=exc.code)
    # Bound to this user and this moment: a flow started in another login, or long ago, is refused.
    request.session[FLOW_SESSION_KEY] = {"user_id": request.user.pk, "started": time.time(), "flow": flow}
    return redirect(flow["browser_url"])


def _pop_flow(request) -> dict | None:
    stored = request.session.pop(FLOW_SESSION_KEY, None)  # popped: a replayed callback finds nothing
    if not isinstance(stored, dict) or stored.get("user_id") != request.user.pk:
        return None
    if time.time() - float(stored.get("started") or 0) > FLOW_MAX_AGE_SECONDS:
        return None
    return stored.get("flow")


@member_required
@require_GET
def outlook_callback(request):
    if request.GET.get("admin_consent") == "True" and not request.GET.get("error"):
        # An admin came back from the admin-consent link (it returns here, the app's registered address).
        messages.success(request, "Microsoft recorded the administrator's approval of Ruby. You can connect now.")
        return redirect("settings_integrations")
    flow = _pop_flow(request)
    try:
        connection = connection_complete(
            user=request.user, workspace=request.workspace, flow=flow, auth_response=request.GET.dict()
        )
    except ConnectRefused as exc:
        return _show_result(request, message=str(exc), kind=exc.code, refused=True)
    except ConnectFailed as exc:
        return _show_result(request, message=str(exc), kind=exc.code, microsoft_code=exc.microsoft_code)
    messages.success(request, f"Outlook Calendar is connected as {connection.email}.")
    return redirect("settings_integrations")


@member_required
@require_GET
def outlook_connect_result(request):
    result = request.session.pop(RESULT_SESSION_KEY, None)
    if not isinstance(result, dict):
        return redirect("settings_integrations")
    template = "calendar_sync/connect_refused.html" if result.get("refused") else "calendar_sync/connect_error.html"
    return render(request, template, result)
