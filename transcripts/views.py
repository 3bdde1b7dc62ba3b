from __future__ import annotations

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from deals.models import Deal
from ruby_site.access import member_required
from transcripts import selectors, sources
from transcripts.forms import AssignDealForm, ChangeMatchForm
from transcripts.matching import explain
from transcripts.models import Transcript
from transcripts.services import corrections
from transcripts.services.corrections import CorrectionError
from transcripts.sources import Source

log = logging.getLogger(__name__)

PAGE_SIZE = 25


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
