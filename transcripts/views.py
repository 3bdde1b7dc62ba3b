from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from deals.models import Deal
from ruby_site.access import admin_required, member_required
from transcripts import samples, selectors, signing, sources
from transcripts.forms import AssignDealForm, ChangeMatchForm
from transcripts.matching import explain
from transcripts.models import Transcript
from transcripts.services import corrections, ingest
from transcripts.services import sources as source_settings
from transcripts.services.corrections import CorrectionError
from transcripts.sources import Source
from transcripts.sources.base import AdapterError

log = logging.getLogger(__name__)

PAGE_SIZE = 25
MAX_BODY_BYTES = 5 * 1024 * 1024


# --------------------------------------------------------------------------- transcripts


@member_required
def transcript_list(request):
    workspace = request.workspace
    filters = {
        "source": request.GET.get("source", "") if sources.is_known(request.GET.get("source")) else "",
        "status": request.GET.get("status", "") if request.GET.get("status") in Transcript.MatchStatus else "",
        "deal": request.GET.get("deal", ""),
        "query": request.GET.get("q", "").strip(),
    }
    page = Paginator(selectors.transcripts_in(workspace, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    openable = selectors.openable_events(request.user, [t.event_id for t in page])
    for transcript in page:
        transcript.explanation = explain(transcript.match_detail)
        # Transcripts are the workspace's; the meeting's subject is only for those who may see it.
        transcript.event_visible = transcript.event_id in openable
        transcript.event_inactive = not openable.get(transcript.event_id, True)
    return render(
        request,
        "transcripts/transcript_list.html",
        {
            "page": page,
            "filters": filters,
            "sources": Source.choices,
            "statuses": Transcript.MatchStatus.choices,
            "deals": Deal.objects.filter(workspace=workspace).order_by("name"),
        },
    )


@member_required
def transcript_detail(request, pk: int):
    workspace = request.workspace
    transcript = selectors.transcript_get(workspace, pk)
    nearby = list(selectors.events_near_transcript(transcript, request.user).select_related("owner"))
    candidate_ids = [c["event_id"] for c in transcript.match_candidates or []]
    openable = selectors.openable_events(request.user, [transcript.event_id, *candidate_ids])
    candidates = [
        {
            **c,
            "starts": parse_datetime(c.get("starts_at") or ""),
            "explanation": explain(c.get("detail", {})),
            "visible": c["event_id"] in openable,
            "inactive": not openable.get(c["event_id"], True),
        }
        for c in transcript.match_candidates or []
    ]
    attendee_emails = set()
    if transcript.event_id in openable:
        attendee_emails = {e.lower() for e in transcript.event.attendees.values_list("email", flat=True) if e}
        attendee_emails.add((transcript.event.organizer_email or "").lower())
    participants = [{**p, "attended": (p.get("email") or "") in attendee_emails} for p in transcript.participants]
    return render(
        request,
        "transcripts/transcript_detail.html",
        {
            "transcript": transcript,
            "explanation": explain(transcript.match_detail),
            "event_visible": transcript.event_id in openable,
            "event_inactive": not openable.get(transcript.event_id, True),
            "candidates": candidates,
            "nearby": nearby,
            "participants": participants,
            "deal_form": AssignDealForm(workspace=workspace, initial={"deal": transcript.deal_id}),
        },
    )


def _back(transcript):
    return redirect("transcript_detail", pk=transcript.pk)


@member_required
@require_POST
def transcript_confirm(request, pk: int):
    transcript = selectors.transcript_get(request.workspace, pk)
    try:
        corrections.transcript_match_confirm(transcript=transcript, user=request.user)
    except CorrectionError as exc:
        messages.error(request, str(exc))
        return _back(transcript)
    messages.success(request, "Match confirmed. Ruby will keep it as it is.")
    return _back(transcript)


@member_required
@require_POST
def transcript_change(request, pk: int):
    transcript = selectors.transcript_get(request.workspace, pk)
    form = ChangeMatchForm(request.POST, events=selectors.events_near_transcript(transcript, request.user))
    if not form.is_valid():
        messages.error(request, form.errors["event"][0])
        return _back(transcript)
    corrections.transcript_match_change(transcript=transcript, event=form.cleaned_data["event"], user=request.user)
    messages.success(request, f"Matched to “{form.cleaned_data['event'].subject or '(no subject)'}”.")
    return _back(transcript)


@member_required
@require_POST
def transcript_clear(request, pk: int):
    transcript = selectors.transcript_get(request.workspace, pk)
    corrections.transcript_match_clear(transcript=transcript, user=request.user)
    messages.success(request, "Match cleared. Ruby will not match this transcript again on its own.")
    return _back(transcript)


@member_required
@require_POST
def transcript_auto(request, pk: int):
    transcript = selectors.transcript_get(request.workspace, pk)
    transcript = corrections.transcript_match_reset(transcript=transcript)
    outcomes = {
        Transcript.MatchStatus.MATCHED: "Ruby matched it to a meeting on its own again.",
        Transcript.MatchStatus.AMBIGUOUS: (
            "Ruby tried again: more than one meeting fits about equally well, so choose one below."
        ),
    }
    messages.success(
        request, outcomes.get(transcript.match_status, "Ruby tried again: no meeting fits well enough yet.")
    )
    return _back(transcript)


@member_required
@require_POST
def transcript_deal(request, pk: int):
    workspace = request.workspace
    transcript = selectors.transcript_get(workspace, pk)
    form = AssignDealForm(request.POST, workspace=workspace)
    if not form.is_valid():
        messages.error(request, form.errors["deal"][0])
        return _back(transcript)
    deal = form.cleaned_data["deal"]
    corrections.transcript_deal_assign(transcript=transcript, deal=deal, user=request.user)
    messages.success(request, f"Assigned to “{deal.name}”." if deal else "No longer assigned to a deal.")
    return _back(transcript)


# --------------------------------------------------------------------------- sources (admins)


def _webhook_url(request, config) -> str:
    path = reverse("transcript_webhook", kwargs={"source": config.source, "token": config.webhook_token})
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def _sources_page(request, workspace, *, new_secret_for: str = "", new_secret: str = ""):
    configs = selectors.source_configs(workspace)
    meeting = samples.sample_meeting(request.user, workspace)
    rows = []
    for source, label in Source.choices:
        config = configs.get(source)
        rows.append(
            {
                "source": source,
                "label": label,
                "config": config,
                "url": _webhook_url(request, config) if config else "",
                "has_secret": bool(config and config.secret),
                "has_previous": bool(config and config.previous_secret),
                "new_secret": new_secret if source == new_secret_for else "",
                "sample_body": samples.sample_body(source, meeting) if config and config.enabled else "",
            }
        )
    response = render(
        request,
        "transcripts/sources.html",
        {
            "section": "transcript_sources",
            "rows": rows,
            "signature_header": signing.SIGNATURE_HEADER,
            "timestamp_header": signing.TIMESTAMP_HEADER,
            "sample_meeting": meeting,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def transcript_sources(request):
    return _sources_page(request, request.workspace)


def _source_or_404(source: str) -> str:
    if not sources.is_known(source):
        raise Http404("Unknown transcript source.")
    return source


@admin_required
@require_POST
def transcript_source_enable(request, source: str):
    source_settings.transcript_source_enable(workspace=request.workspace, source=_source_or_404(source))
    label = sources.label(source)
    messages.success(request, f"{label} enabled. Generate a signing secret to start receiving deliveries.")
    return redirect("transcript_sources")


@admin_required
@require_POST
def transcript_source_disable(request, source: str):
    config = selectors.source_config_get(request.workspace, _source_or_404(source))
    source_settings.transcript_source_disable(source_config=config)
    messages.success(request, f"{sources.label(source)} disabled; its deliveries are refused.")
    return redirect("transcript_sources")


@admin_required
@require_POST
def transcript_source_secret(request, source: str):
    workspace = request.workspace
    config = selectors.source_config_get(workspace, _source_or_404(source))
    rotated = bool(config.secret)
    secret = source_settings.transcript_source_rotate_secret(source_config=config)
    if rotated:
        messages.success(request, "New secret generated. The old one keeps working until you stop accepting it.")
    # Rendered, not redirected: the secret is shown this once and never stored in the session.
    return _sources_page(request, workspace, new_secret_for=source, new_secret=secret)


@admin_required
@require_POST
def transcript_source_stop_old(request, source: str):
    config = selectors.source_config_get(request.workspace, _source_or_404(source))
    source_settings.transcript_source_stop_old_secret(source_config=config)
    messages.success(request, f"{sources.label(source)}: the old secret is no longer accepted.")
    return redirect("transcript_sources")


# --------------------------------------------------------------------------- webhook


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
def transcript_webhook(request, source: str, token: str):
    """Authenticate, check, store, enqueue, answer 202 — the work happens in the worker.

    An unknown token, a disabled source and a token of another source all answer 404, so the
    answer does not tell which tokens exist.
    """
    if request.method != "POST":
        response = _error(405, "Use POST to deliver a transcript.")
        response["Allow"] = "POST"
        return response
    if not sources.is_known(source):
        return _error(400, f"Unknown transcript source “{source}”. Known: {', '.join(sources.REGISTRY)}.")
    # Django reads a body by its Content-Length only: a chunked one would arrive empty (and fail its
    # signature), so it is refused with the status that says what to send instead.
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() or not request.META.get("CONTENT_LENGTH"):
        return _error(411, "Send the body with a Content-Length header (chunked transfer encoding is not accepted).")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "The Content-Length header is not a number.")
    if declared > MAX_BODY_BYTES:
        return _error(413, "The body is larger than 5 MB.")
    config = selectors.source_for_webhook(source, token)
    if config is None:
        return _error(404, "No enabled transcript source at this address.")
    # Read the stream ourselves (one byte past the limit): request.body would apply Django's
    # smaller upload limit and raise, and Content-Length may lie.
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "The body is larger than 5 MB.")
    try:
        signing.verify(
            body=body,
            signature=request.headers.get(signing.SIGNATURE_HEADER),
            timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
            secrets_=[config.secret, config.previous_secret],
        )
    except signing.SignatureError as exc:
        return _error(401, str(exc))
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "The body is not valid JSON.")
    try:
        records = sources.split_records(source, document)
        if not records:
            return _error(400, "The body holds no transcript.")
        for record in records:
            sources.normalize(source, record)
    except AdapterError as exc:
        return _error(400, f"The {sources.label(source)} transcript cannot be read: {exc}.")
    delivery, is_new = ingest.transcript_delivery_receive(source_config=config, body=body)
    return JsonResponse({"status": "accepted" if is_new else "duplicate", "delivery": delivery.pk}, status=202)
