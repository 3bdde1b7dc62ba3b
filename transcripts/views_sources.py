"""Settings -> Transcript sources (admins): one card per source of the registry."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_POST

from ruby_site.access import admin_required
from ruby_site.templatetags.ruby_dates import format_named
from transcripts import samples, selectors, signing, sources
from transcripts.forms import credentials_form_class
from transcripts.services import pulls
from transcripts.services import sources as source_settings
from transcripts.sources.protocol import Mode
from transcripts.sources.sandbox import deliveries as sandbox


def _webhook_url(request, config) -> str:
    path = reverse("transcript_webhook", kwargs={"source": config.source, "token": config.webhook_token})
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def _card(request, entry, config, counts, last, meeting, *, form=None, new_secret="", note=None):
    saved = set(config.credential_values()) if config else set()
    is_custom = entry.value == "custom"
    return {
        "entry": entry,
        "source": entry.value,
        "label": entry.label,
        "mode": entry.mode.value if entry.mode else "",
        "config": config,
        "on": bool(config and config.enabled),
        "url": _webhook_url(request, config) if config and entry.mode == Mode.PUSH else "",
        "fields": [{"spec": f, "saved": f.name in saved} for f in entry.credential_fields],
        "form": form
        or (credentials_form_class(entry.credential_fields, saved=saved)() if entry.credential_fields else None),
        "counts": counts.get(entry.value, {}),
        "last": last.get(entry.value),
        "testable": entry.implements("test_connection"),
        "pull": entry.mode == Mode.PULL,
        "sandbox": settings.TRANSCRIPT_SANDBOX and entry.value in sandbox.SUPPORTED and bool(config and config.enabled),
        "custom": is_custom,
        "has_secret": bool(config and config.secret),
        "has_previous": bool(config and config.previous_secret),
        "new_secret": new_secret,
        "sample_body": samples.sample_body("custom", meeting) if is_custom and config and config.enabled else "",
        "note": note,
        # A module may add its own part to the card (e.g. a per-user consent button): a template name.
        "card_template": getattr(entry.module, "CARD_TEMPLATE", ""),
    }


def _page(request, *, source: str = "", form=None, new_secret: str = "", note=None, status: int = 200):
    workspace = request.workspace
    configs = selectors.source_configs(workspace)
    counts, last = selectors.source_counts(workspace), selectors.last_deliveries(workspace)
    meeting = samples.sample_meeting(request.user, workspace)
    cards = []
    for entry in sources.entries():
        mine = entry.value == source
        cards.append(
            _card(
                request,
                entry,
                configs.get(entry.value),
                counts,
                last,
                meeting,
                form=form if mine else None,
                new_secret=new_secret if mine else "",
                note=note if mine else None,
            )
        )
    response = render(
        request,
        "transcripts/sources.html",
        {
            "section": "transcript_sources",
            "cards": cards,
            "signature_header": signing.SIGNATURE_HEADER,
            "timestamp_header": signing.TIMESTAMP_HEADER,
            "sample_meeting": meeting,
            "sandbox_on": settings.TRANSCRIPT_SANDBOX,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _entry_or_404(source: str):
    if not sources.is_known(source):
        raise Http404("Unknown transcript source.")
    return sources.entry_for(source)


def _back(source: str):
    return redirect(f"{reverse('transcript_sources')}#source-{source}")


@admin_required
def transcript_sources(request):
    return _page(request)


@admin_required
@require_POST
def transcript_source_save(request, source: str):
    entry = _entry_or_404(source)
    if not entry.credential_fields:
        raise Http404("This source has no credentials to save.")
    config = selectors.source_configs(request.workspace).get(source)
    saved = set(config.credential_values()) if config else set()
    form = credentials_form_class(entry.credential_fields, saved=saved)(request.POST)
    if not form.is_valid():
        return _page(request, source=source, form=form, status=400)
    source_settings.transcript_source_save_credentials(
        workspace=request.workspace, source=source, values=form.cleaned_data
    )
    where = " Paste the webhook address below into the vendor." if entry.mode == Mode.PUSH else ""
    messages.success(request, f"{entry.label}: credentials saved.{where} Then use Test connection.")
    return _back(source)


@admin_required
@require_POST
def transcript_source_test(request, source: str):
    entry = _entry_or_404(source)
    config = selectors.source_config_get(request.workspace, source)
    worked, what = source_settings.transcript_source_test(source_config=config)
    (messages.success if worked else messages.error)(request, f"{entry.label}: {what}")
    return _back(source)


@admin_required
@require_POST
def transcript_source_fetch(request, source: str):
    entry = _entry_or_404(source)
    config = selectors.source_config_get(request.workspace, source)
    if entry.mode != Mode.PULL or not config.enabled:
        raise Http404("Nothing to fetch for this source.")
    waiting = pulls.pull_waiting_until(config)
    if waiting is not None:
        until = dateformat.format(timezone.localtime(waiting), format_named("TIME_SECONDS_FORMAT"))
        messages.error(request, f"{entry.label} asked Ruby to wait (rate limit): the next fetch can run after {until}.")
        return _back(source)
    transaction.on_commit(partial(source_settings.enqueue_pull, config.pk))
    messages.success(request, f"{entry.label}: fetching now. New meetings appear under Transcripts in a minute.")
    return _back(source)


@admin_required
@require_POST
def transcript_source_sandbox(request, source: str):
    if not settings.TRANSCRIPT_SANDBOX or source not in sandbox.SUPPORTED:
        raise Http404("The sandbox is off.")
    entry = _entry_or_404(source)
    config = selectors.source_config_get(request.workspace, source)
    meeting = samples.sample_meeting(request.user, request.workspace)
    if meeting is None:
        messages.error(request, f"{entry.label}: you have no synced meeting without a transcript to send one for.")
        return _back(source)
    url = request.build_absolute_uri(
        reverse("transcript_webhook", kwargs={"source": source, "token": config.webhook_token})
    )
    status, answer = sandbox.send(
        source=source, event=meeting, credentials=selectors.source_credentials(config), url=url
    )
    said = f"{entry.label} sandbox delivery for “{meeting.subject or '(no subject)'}”: Ruby's webhook answered {status}"
    if status in (200, 202):
        messages.success(request, f"{said} ({answer.get('status', '')}). Its transcript is on the meeting's page.")
    else:
        messages.error(request, f"{said}: {answer.get('error', '')}")
    return _back(source)


@admin_required
@require_POST
def transcript_source_enable(request, source: str):
    entry = _entry_or_404(source)
    if entry.credential_fields:
        raise Http404("Save this source's credentials to turn it on.")
    source_settings.transcript_source_enable(workspace=request.workspace, source=source)
    messages.success(request, f"{entry.label} turned on. Generate a signing secret to start receiving deliveries.")
    return _back(source)


@admin_required
@require_POST
def transcript_source_disable(request, source: str):
    entry = _entry_or_404(source)
    config = selectors.source_config_get(request.workspace, source)
    source_settings.transcript_source_disable(source_config=config)
    messages.success(request, f"{entry.label} turned off; its deliveries are refused.")
    return _back(source)


@admin_required
@require_POST
def transcript_source_secret(request, source: str):
    entry = _entry_or_404(source)
    if entry.value != "custom":
        raise Http404("Only the Custom source has a Ruby signing secret.")
    config = selectors.source_config_get(request.workspace, source)
    rotated = bool(config.secret)
    secret = source_settings.transcript_source_rotate_secret(source_config=config)
    if rotated:
        messages.success(request, "New secret generated. The old one keeps working until you stop accepting it.")
    # Rendered, not redirected: the secret is shown this once and never stored in the session.
    return _page(request, source=source, new_secret=secret)


@admin_required
@require_POST
def transcript_source_stop_old(request, source: str):
    entry = _entry_or_404(source)
    config = selectors.source_config_get(request.workspace, source)
    source_settings.transcript_source_stop_old_secret(source_config=config)
    messages.success(request, f"{entry.label}: the old secret is no longer accepted.")
    return _back(source)
