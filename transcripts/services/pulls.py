"""Pull sources (Gong, Granola, …): on the source's interval and on "Fetch now", ask the vendor for meetings created
since the last run, page by page from the saved cursor; the first run backfills BACKFILL_DAYS.

Generic over modules with MODE = Mode.PULL and `pull(*, credentials, since, cursor) -> PullPage` (protocol.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from transcripts import sources
from transcripts.models import TranscriptSource
from transcripts.selectors import source_credentials
from transcripts.services.ingest import transcript_ingest
from transcripts.services.sources import transcript_source_record_error, transcript_source_report
from transcripts.sources.base import AdapterError, parse_datetime
from transcripts.sources.protocol import Mode, SourceError

BACKFILL_DAYS = 14
MAX_PAGES = 20  # per run; a longer history continues from the saved cursor on the next run
# A 429 without Retry-After (Granola documents none) still waits this long before the next pull.
THROTTLED_WAIT_SECONDS = 60


def pull_waiting_until(config: TranscriptSource, *, now: datetime | None = None) -> datetime | None:
    """When the vendor asked Ruby to wait (429 Retry-After) and that time has not come: until when; else None."""
    not_before = config.pull_not_before
    return not_before if not_before is not None and not_before > (now or timezone.now()) else None


def _wait_after(exc: SourceError) -> float | None:
    if exc.retry_after is not None:
        return exc.retry_after
    return THROTTLED_WAIT_SECONDS if exc.kind == "throttled" else None


def pull_sources_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    pull_sources = [entry.value for entry in sources.entries(Mode.PULL)]
    due = []
    configs = TranscriptSource.objects.filter(source__in=pull_sources, state=TranscriptSource.State.CONNECTED)
    for config in configs.only("pk", "last_pulled_at", "pull_interval_minutes", "pull_cursor", "pull_not_before"):
        if pull_waiting_until(config, now=now):
            continue
        interval = timedelta(minutes=max(config.pull_interval_minutes, 1))
        if config.pull_cursor or config.last_pulled_at is None or config.last_pulled_at + interval <= now:
            due.append(config.pk)
    return due


def transcript_source_pull(*, source_config_id: int, max_pages: int = MAX_PAGES) -> int:
    """One run; returns the number of records stored (new or changed). Vendor errors become state or last_error."""
    config = TranscriptSource.objects.select_related("workspace").filter(pk=source_config_id).first()
    if config is None or config.state != TranscriptSource.State.CONNECTED:
        return 0
    entry = sources.entry_for(config.source)
    if entry.mode != Mode.PULL:
        return 0
    now = timezone.now()
    if pull_waiting_until(config, now=now):
        return 0  # the vendor asked Ruby to wait: the schedule asks again after that time
    since = config.pulled_through or (now - timedelta(days=BACKFILL_DAYS))
    newest, cursor, stored, unreadable = since, config.pull_cursor, 0, []
    credentials = source_credentials(config)
    for _ in range(max_pages):
        try:
            page = entry.module.pull(credentials=credentials, since=since, cursor=cursor)
        except SourceError as exc:
            transcript_source_report(source_config=config, exc=exc)
            wait = _wait_after(exc)
            if wait is not None and not exc.permanent:
                not_before = timezone.now() + timedelta(seconds=wait)
                TranscriptSource.objects.filter(pk=config.pk).update(pull_not_before=not_before)
            return stored
        for record in page.records:
            try:
                result = transcript_ingest(
                    workspace=config.workspace, source=config.source, payload=record, require_text=True
                )
                stored += result.changed
            except AdapterError as exc:
                unreadable.append(str(exc))
        if page.newest:
            try:
                newest = max(newest, parse_datetime(page.newest, "newest"))
            except AdapterError:
                pass
        cursor = page.cursor
        TranscriptSource.objects.filter(pk=config.pk).update(pull_cursor=cursor)
        if not cursor:
            break
    finished = {"pull_not_before": None}
    if not cursor:
        finished.update(pulled_through=newest, last_pulled_at=timezone.now())
        if not unreadable:  # a whole run went through: an earlier vendor error is no longer the card's news
            finished.update(last_error="", last_error_at=None)
    TranscriptSource.objects.filter(pk=config.pk).update(**finished)
    if unreadable:
        label = entry.label
        transcript_source_record_error(
            source_config=config,
            reason=f"{len(unreadable)} {label} meeting(s) could not be read: {unreadable[0]}.",
        )
    return stored
