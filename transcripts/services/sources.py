"""A workspace's transcript sources: save credentials, test the connection, turn off, the Custom source's secret,
and the state a vendor's answer puts a source in (design.md §7.10: a permanent error becomes state)."""

from __future__ import annotations

import json
import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from ruby_site.errors import UserFacingError
from ruby_site.models import Workspace
from transcripts import signing, sources
from transcripts.models import TranscriptDelivery, TranscriptSource
from transcripts.selectors import source_credentials
from transcripts.sources.protocol import SourceError

log = logging.getLogger(__name__)


class UnknownSourceError(UserFacingError):
    code = "unknown_source"


def describe(label: str, exc: SourceError) -> str:
    """A vendor error in plain words (the client gives the kind and the vendor's own message; we word it)."""
    said = f": “{exc.vendor_message}”" if exc.vendor_message else ""
    status = f" ({exc.status})" if exc.status else ""
    if exc.kind == "auth":
        return f"{label} refused the credentials{status}{said}. Save new ones, then Test connection."
    if exc.kind == "throttled":
        wait = f" It asked Ruby to wait {round(exc.retry_after)} s." if exc.retry_after is not None else ""
        return f"{label} is rate-limiting Ruby (429){said}.{wait}"
    if exc.kind == "unavailable":
        return f"{label} did not answer properly{status or ' in time'}{said}."
    if exc.kind == "refused":
        return f"Ruby refused to follow a link from {label}: the {exc.vendor_message}."
    if exc.kind == "not_found":
        return f"{label} has no such item{status}{said}."
    return f"{label} answered something Ruby cannot use{status}{said}."


@transaction.atomic
def transcript_source_enable(*, workspace: Workspace, source: str) -> TranscriptSource:
    if not sources.is_known(source):
        raise UnknownSourceError(f"Unknown transcript source {source!r}.")
    config, _ = TranscriptSource.objects.get_or_create(workspace=workspace, source=source)
    if config.state == TranscriptSource.State.OFF:
        config.state = TranscriptSource.State.CONNECTED
        config.state_reason = ""
        config.save(update_fields=["state", "state_reason"])
    return config


@transaction.atomic
def transcript_source_disable(*, source_config: TranscriptSource) -> TranscriptSource:
    source_config.state = TranscriptSource.State.OFF
    source_config.state_reason = ""
    source_config.save(update_fields=["state", "state_reason"])
    return source_config


@transaction.atomic
def transcript_source_save_credentials(*, workspace: Workspace, source: str, values: dict) -> TranscriptSource:
    """Store the typed credentials (empty fields keep what was saved) and turn the source on.

    Deliveries that failed because the vendor refused the old credentials are queued again.
    """
    config = transcript_source_enable(workspace=workspace, source=source)
    merged = {**config.credential_values(), **{k: v for k, v in values.items() if v}}
    config.credentials = json.dumps(merged)
    config.state = TranscriptSource.State.CONNECTED
    config.state_reason = ""
    config.credentials_saved_at = timezone.now()
    config.save(update_fields=["credentials", "state", "state_reason", "credentials_saved_at"])
    waiting = TranscriptDelivery.objects.filter(
        workspace=workspace, source=source, status=TranscriptDelivery.Status.FAILED, error_kind="auth"
    )
    for delivery_id in list(waiting.values_list("pk", flat=True)):
        TranscriptDelivery.objects.filter(pk=delivery_id).update(
            status=TranscriptDelivery.Status.PENDING, error_kind="", next_attempt_at=None, attempts=0
        )
        transaction.on_commit(partial(enqueue_delivery, delivery_id))
    log.info("transcript source %s saved for workspace %s (%d field(s))", source, workspace.pk, len(merged))
    return config


def transcript_source_needs_attention(*, source_config: TranscriptSource, reason: str) -> None:
    now = timezone.now()
    TranscriptSource.objects.filter(pk=source_config.pk).exclude(state=TranscriptSource.State.OFF).update(
        state=TranscriptSource.State.NEEDS_ATTENTION,
        state_reason=reason[:500],
        last_error=reason[:500],
        last_error_at=now,
    )


def transcript_source_record_error(*, source_config: TranscriptSource, reason: str) -> None:
    TranscriptSource.objects.filter(pk=source_config.pk).update(last_error=reason[:500], last_error_at=timezone.now())


def transcript_source_report(*, source_config: TranscriptSource, exc: SourceError) -> str:
    """Put a vendor error where it belongs: a refused credential is state, anything else the last error."""
    reason = describe(sources.label(source_config.source), exc)
    if exc.kind == "auth":
        transcript_source_needs_attention(source_config=source_config, reason=reason)
    else:
        transcript_source_record_error(source_config=source_config, reason=reason)
    return reason


def transcript_source_test(*, source_config: TranscriptSource) -> tuple[bool, str]:
    """Call the vendor once with the saved credentials; (worked, what happened in plain words)."""
    entry = sources.entry_for(source_config.source)
    label = entry.label
    if not entry.implements("test_connection"):
        return False, f"{label} has no connection to test."
    now = timezone.now()
    try:
        summary = entry.module.test_connection(credentials=source_credentials(source_config))
    except (SourceError, ValueError) as exc:
        said = (
            transcript_source_report(source_config=source_config, exc=exc)
            if isinstance(exc, SourceError)
            else f"{label}: {exc}."
        )
        TranscriptSource.objects.filter(pk=source_config.pk).update(tested_at=now, test_result=f"Failed: {said}"[:500])
        return False, said
    TranscriptSource.objects.filter(pk=source_config.pk).exclude(state=TranscriptSource.State.OFF).update(
        state=TranscriptSource.State.CONNECTED, state_reason="", tested_at=now, test_result=summary[:500]
    )
    return True, f"Connected. {summary}"


@transaction.atomic
def transcript_source_rotate_secret(*, source_config: TranscriptSource) -> str:
    """A new signing secret; the current one stays valid as the previous one until stopped.

    Returns the new secret for showing once; it is stored encrypted and never shown again.
    """
    new = signing.new_secret()
    if source_config.secret:
        source_config.previous_secret = source_config.secret
    source_config.secret = new
    source_config.secret_rotated_at = timezone.now()
    source_config.save(update_fields=["secret", "previous_secret", "secret_rotated_at"])
    return new


@transaction.atomic
def transcript_source_stop_old_secret(*, source_config: TranscriptSource) -> TranscriptSource:
    source_config.previous_secret = ""
    source_config.save(update_fields=["previous_secret"])
    return source_config


def enqueue_delivery(delivery_id: int) -> None:
    """Run from transaction.on_commit, so the worker never looks for a row not yet committed."""
    async_task("transcripts.tasks.process_delivery", delivery_id, task_name=f"transcript-delivery-{delivery_id}")


def enqueue_pull(source_config_id: int) -> None:
    async_task("transcripts.tasks.pull_source", source_config_id, task_name=f"transcript-pull-{source_config_id}")
