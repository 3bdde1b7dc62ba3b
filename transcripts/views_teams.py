"""Connect Teams transcripts (Settings → Integrations): the extra, optional Microsoft consent for one user, its
callback, Disconnect and "Look for transcripts now". Thin: the work is in transcripts.services.teams."""

from __future__ import annotations

import time
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from calendar_sync import auth
from calendar_sync.auth import AuthFlowError
from calendar_sync.services.connection import ConnectFailed
from ruby_site.access import member_required
from transcripts.models import TeamsTranscriptGrant
from transcripts.services import teams as teams_service
from transcripts.services.teams import TeamsGrantError

FLOW_SESSION_KEY = "teams_transcripts_flow"
FLOW_MAX_AGE_SECONDS = 15 * 60
BACK = "settings_integrations"


@member_required
@require_POST
def teams_connect(request):
    if not settings.MICROSOFT_ENABLED:
        messages.error(request, "Microsoft is not configured on this server.")
        return redirect(BACK)
    redirect_uri = request.build_absolute_uri(reverse("teams_transcripts_callback"))
    try:
        flow = teams_service.teams_grant_begin(user=request.user, redirect_uri=redirect_uri)
    except (TeamsGrantError, ConnectFailed) as exc:
        messages.error(request, str(exc))
        return redirect(BACK)
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
def teams_callback(request):
    flow = _pop_flow(request)
    try:
        grant = teams_service.teams_grant_complete(
            user=request.user, workspace=request.workspace, flow=flow, auth_response=request.GET.dict()
        )
    except (TeamsGrantError, ConnectFailed) as exc:
        message = str(exc)
        if exc.code == AuthFlowError.ADMIN_CONSENT:
            message += f" Approval link: {auth.admin_consent_url()}"
        messages.error(request, f"Teams transcripts were not connected. {message}")
        return redirect(BACK)
    if grant.status == TeamsTranscriptGrant.Status.PERSONAL_ACCOUNT:
        messages.info(request, grant.status_reason)
    else:
        messages.success(request, "Teams transcripts are connected: Ruby looks for them after your Teams meetings end.")
        transaction.on_commit(partial(async_task, "transcripts.tasks.teams_fetch", grant.pk))
    return redirect(BACK)


@member_required
@require_POST
def teams_disconnect(request):
    if teams_service.teams_grant_disconnect(user=request.user):
        messages.success(request, "Teams transcripts are disconnected; the transcripts already in Ruby stay.")
    return redirect(BACK)


@member_required
@require_POST
def teams_fetch_now(request):
    grant = TeamsTranscriptGrant.objects.filter(
        user=request.user, workspace=request.workspace, status=TeamsTranscriptGrant.Status.CONNECTED
    ).first()
    if grant is None:
        messages.error(request, "Teams transcripts are not connected.")
    else:
        async_task("transcripts.tasks.teams_fetch", grant.pk, task_name=f"teams-fetch-{grant.pk}")
        messages.success(request, "Ruby is looking for the transcripts of your ended Teams meetings.")
    return redirect(BACK)
