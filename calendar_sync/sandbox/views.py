"""The sandbox's browser leg: Microsoft's consent page and "revoke access", served by Ruby itself.

Only answers with MICROSOFT_SANDBOX on (refused with DEBUG off by settings); 404 otherwise.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calendar_sync.models import CalendarConnection, SandboxEventChange
from calendar_sync.sandbox import push, tokens
from calendar_sync.sandbox.events import week_for
from calendar_sync.sandbox.identities import identities_for, identity_for
from calendar_sync.selectors.connection import connection_for
from ruby_site.access import member_required

FLOW_PARAMS = ("client_id", "redirect_uri", "state", "scope", "nonce", "code_challenge", "code_challenge_method")
SCOPE_LINES = {
    "Calendars.Read": "Read your calendars",
    "User.Read": "Sign you in and read your profile",
    "openid": "Sign you in",
    "profile": "View your basic profile",
    "email": "View your email address",
    "offline_access": "Maintain access to data you have given it access to",
    "OnlineMeetings.Read": "Read your online meetings",
    "OnlineMeetingTranscript.Read.All": "Read all transcripts of your online meetings",
}


def _require_sandbox(request):
    if not settings.MICROSOFT_SANDBOX:
        raise Http404("The Microsoft sandbox is off.")


def _flow_params(source, request) -> tuple[dict, str]:
    """The authorize request's parameters, and a problem in plain words ("" when valid)."""
    params = {name: source.get(name, "") for name in FLOW_PARAMS}
    if params["client_id"] != settings.MICROSOFT_CLIENT_ID:
        return params, "The application asking for access is not Ruby (unknown client_id)."
    if not params["redirect_uri"] or not url_has_allowed_host_and_scheme(
        params["redirect_uri"], allowed_hosts={request.get_host()}, require_https=False
    ):
        return params, "The redirect address is not on this Ruby server."
    if not params["state"] or not params["nonce"]:
        return params, "The request has no state or nonce."
    if params["code_challenge_method"] != "S256" or not params["code_challenge"]:
        return params, "The request has no PKCE (S256) code challenge."
    return params, ""


@member_required
@require_GET
def sandbox_authorize(request):
    _require_sandbox(request)
    params, problem = _flow_params(request.GET, request)
    if problem:
        return render(request, "calendar_sync/sandbox_authorize.html", {"problem": problem}, status=400)
    scopes = params["scope"].split()
    return render(
        request,
        "calendar_sync/sandbox_authorize.html",
        {
            "params": params,
            "scopes": [(scope, SCOPE_LINES.get(scope, scope)) for scope in scopes],
            "identities": identities_for(request.user),
        },
    )


def _back(redirect_uri: str, **query) -> HttpResponseRedirect:
    separator = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode(query)}")


@member_required
@require_POST
def sandbox_consent(request):
    _require_sandbox(request)
    params, problem = _flow_params(request.POST, request)
    if problem:
        return render(request, "calendar_sync/sandbox_authorize.html", {"problem": problem}, status=400)
    action = request.POST.get("action")
    if action == "cancel":
        return _back(
            params["redirect_uri"],
            error="access_denied",
            error_description="AADSTS65004: User declined to consent to access the app.",
            state=params["state"],
        )
    if action == "admin":
        return _back(
            params["redirect_uri"],
            error="consent_required",
            error_description="AADSTS65001: The user or administrator has not consented to use the application.",
            state=params["state"],
        )
    chosen = {i["key"]: i for i in identities_for(request.user)}.get(request.POST.get("identity", ""))
    if action != "accept" or chosen is None:
        return render(
            request, "calendar_sync/sandbox_authorize.html", {"problem": "Choose an account to sign in."}, status=400
        )
    code = tokens.issue_code(
        chosen,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        nonce=params["nonce"],
        code_challenge=params["code_challenge"],
        scope=params["scope"],
    )
    return _back(params["redirect_uri"], code=code, state=params["state"])


def _current_identity(user) -> dict:
    connection = connection_for(user, CalendarConnection.Provider.MICROSOFT)
    identity = identity_for(user.email)
    if connection is not None and connection.object_id:
        identity = {**identity, "tid": connection.tenant_id, "oid": connection.object_id}
    return identity


@member_required
@require_http_methods(["GET", "POST"])
def sandbox_revoke(request):
    _require_sandbox(request)
    identity = _current_identity(request.user)
    if request.method == "POST":
        if tokens.revoke(identity):
            messages.success(
                request,
                "Sandbox: Ruby's access was revoked. The next time Ruby uses its stored access, "
                "Microsoft will refuse it.",
            )
        else:
            messages.info(request, "Sandbox: this account has not granted Ruby access, so there was nothing to revoke.")
        return redirect("sandbox_revoke")
    return render(
        request,
        "calendar_sync/sandbox_revoke.html",
        {
            "identity": identity,
            "grant": tokens.grant_for(identity),
            "meetings": [(e["id"], e["subject"]) for e in week_for(identity) if e["attendees"]],
            "lifecycle_events": push_lifecycle_events(),
        },
    )


def push_lifecycle_events() -> list[str]:
    return ["missed", "reauthorizationRequired", "subscriptionRemoved"]


def _delivery_words(statuses: list) -> str:
    if not statuses:
        return "Ruby has no change-notification subscription here (live updates are off), so nothing was sent."
    answers = ", ".join(f"HTTP {s}" if s else "no answer" for s in statuses)
    return f"Microsoft notified Ruby ({answers})."


@member_required
@require_POST
def sandbox_change_meeting(request):
    """Change a sandbox meeting's subject as its organiser would, then notify Ruby like Graph does (DEBUG only)."""
    _require_sandbox(request)
    identity = _current_identity(request.user)
    event_id = request.POST.get("event_id", "")
    subject = " ".join(request.POST.get("subject", "").split())[:200]
    if event_id not in {e["id"] for e in week_for(identity)} or not subject:
        messages.error(request, "Sandbox: choose a meeting of this week and type its new subject.")
        return redirect("sandbox_revoke")
    SandboxEventChange.objects.update_or_create(
        tenant_id=identity["tid"], object_id=identity["oid"], event_id=event_id, defaults={"subject": subject}
    )
    statuses = push.notify_change(identity, event_id=event_id)
    messages.success(request, f"Sandbox: the meeting is now “{subject}”. {_delivery_words(statuses)}")
    return redirect("sandbox_revoke")


@member_required
@require_POST
def sandbox_lifecycle(request):
    """Send a lifecycle notification to Ruby, as Graph would (DEBUG only)."""
    _require_sandbox(request)
    event = request.POST.get("event", "")
    if event not in push_lifecycle_events():
        messages.error(request, "Sandbox: unknown lifecycle event.")
        return redirect("sandbox_revoke")
    statuses = push.notify_lifecycle(_current_identity(request.user), event=event)
    messages.success(request, f"Sandbox: sent “{event}”. {_delivery_words(statuses)}")
    return redirect("sandbox_revoke")
