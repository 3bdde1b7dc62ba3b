"""The sync engine's writes: one window of normalised events stored in bulk (design.md §3.2), and the internal
marks of stored attendees.

The number of SQL queries does not depend on the number of events: existing rows are read in one query, new and
changed events are upserted with one bulk_create(update_conflicts=True), their attendees replaced with one delete
and one insert (COPY on PostgreSQL).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calendar_sync.models import CalendarConnection, CalendarEvent, EventActivity, EventAttendee, SyncRun
from calendar_sync.normalize import NormalizedEvent
from ruby_site.domains import is_free_mail
from ruby_site.selectors import email_domain

# The CalendarEvent columns a sync owns. Never state/discarded_*, account, deal or processed_at:
# those belong to the user and to linking, and a re-sync must not undo them.
SYNCED_FIELDS = [
    "ical_uid",
    "series_master_id",
    "event_type",
    "subject",
    "starts_at",
    "ends_at",
    "is_all_day",
    "location",
    "body_preview",
    "organizer_name",
    "organizer_email",
    "is_online",
    "join_url",
    "online_provider",
    "sensitivity",
    "show_as",
    "is_cancelled",
    "web_link",
]
UPSERT_UPDATE_FIELDS = [*SYNCED_FIELDS, "content_hash", "removed_at", "last_sync_run", "updated_at"]


@dataclass
class Plan:
    """What a fetch kept, by provider event id, with content hashes and why the rest was skipped."""

    kept: dict[str, NormalizedEvent]
    hashes: dict[str, str]
    skip_reasons: Counter


def internal_domains_for(connection: CalendarConnection) -> frozenset[str]:
    """Who counts as internal for this connection: the workspace's internal domains and the owner's domain (the
    Ruby and the Microsoft address) — except free-mail domains, which never are (an outlook.com owner's other
    outlook.com attendees are customers, not colleagues; issue 12). The owner's own addresses are always internal,
    so the set also holds them, whole (entries with "@"; domains never contain one)."""
    domains = {d.strip().lower().lstrip("@") for d in (connection.workspace.internal_domains or []) if d}
    addresses = set()
    for email in (connection.user.email, connection.email):
        if email and "@" in email:
            domains.add(email_domain(email))
            addresses.add(email.strip().lower())
    domains.discard("")
    return frozenset({d for d in domains if not is_free_mail(d)} | addresses)


def is_internal_address(email: str, internal: frozenset[str]) -> bool:
    """The one rule for an attendee's internal mark: an internal domain, or the owner's own address."""
    email = (email or "").strip().lower()
    return bool(email) and (email_domain(email) in internal or email in internal)


def attendees_reflag_internal(*, workspace) -> int:
    """Re-derive every stored attendee's internal mark after the workspace's internal domains change,
    by the same rule the sync uses — so readers can trust `is_internal` instead of re-checking domains.
    (A sync only re-flags the events of its own window.) Returns how many rows changed."""
    changed = 0
    for connection in CalendarConnection.objects.filter(workspace=workspace).select_related("user", "workspace"):
        internal = internal_domains_for(connection)
        flips = {True: [], False: []}
        rows = EventAttendee.objects.filter(event__connection=connection).values_list("pk", "email", "is_internal")
        for pk, email, is_internal in rows.iterator(chunk_size=2000):
            flag = is_internal_address(email, internal)
            if flag != is_internal:
                flips[flag].append(pk)
        for flag, pks in flips.items():
            for start in range(0, len(pks), 500):
                changed += EventAttendee.objects.filter(pk__in=pks[start : start + 500]).update(is_internal=flag)
    return changed


def store_plan(
    run: SyncRun, connection: CalendarConnection, plan: Plan, internal: frozenset[str]
) -> tuple[list[int], list[int]]:
    """Write the plan; returns the ids of (new and changed events, every event in the window)."""
    now = timezone.now()
    window = Q(starts_at__lt=run.window_end, ends_at__gt=run.window_start, removed_at__isnull=True)
    existing = {
        row["provider_event_id"]: row
        for row in CalendarEvent.objects.filter(
            window | Q(provider_event_id__in=list(plan.kept)), connection=connection
        ).values("id", "provider_event_id", "content_hash", "removed_at")
    }

    to_write: list[CalendarEvent] = []
    unchanged_ids: list[int] = []
    # Counted here, put on the run only once written: a failed write must not report what it did not store.
    counts = Counter()
    for pid, event in plan.kept.items():
        row = existing.get(pid)
        if row and row["content_hash"] == plan.hashes[pid] and row["removed_at"] is None:
            counts["unchanged"] += 1
            unchanged_ids.append(row["id"])
            continue
        counts["updated" if row else "created"] += 1
        to_write.append(
            CalendarEvent(
                workspace_id=connection.workspace_id,
                connection_id=connection.pk,
                owner_id=connection.user_id,
                provider_event_id=pid,
                content_hash=plan.hashes[pid],
                removed_at=None,
                first_sync_run_id=run.pk,
                last_sync_run_id=run.pk,
                created_at=now,
                updated_at=now,
                **{name: getattr(event, name) for name in SYNCED_FIELDS},
            )
        )
    gone_ids = [row["id"] for pid, row in existing.items() if pid not in plan.kept and row["removed_at"] is None]

    with transaction.atomic():
        changed_ids: list[int] = []
        if to_write:
            CalendarEvent.objects.bulk_create(
                to_write,
                update_conflicts=True,
                unique_fields=["connection", "provider_event_id"],
                update_fields=UPSERT_UPDATE_FIELDS,
            )
            # SQLite ≥ 3.35 and PostgreSQL return the ids of upserted rows, so every obj.pk is set here.
            changed_ids = [obj.pk for obj in to_write]
            replaced = [obj.pk for obj in to_write if obj.provider_event_id in existing]
            if replaced:
                EventAttendee.objects.filter(event_id__in=replaced).delete()
            _insert_attendees(
                [
                    (
                        obj.pk,
                        a.email,
                        a.name,
                        a.response,
                        a.attendee_type,
                        a.is_organizer,
                        is_internal_address(a.email, internal),
                    )
                    for obj in to_write
                    for a in plan.kept[obj.provider_event_id].attendees
                ]
            )
        if gone_ids:
            # Deleted at the source, moved out of the week, or now filtered: hidden, not deleted. State
            # (discarded or not) is left alone; events already in the past never reach this list.
            counts["removed"] = CalendarEvent.objects.filter(pk__in=gone_ids).update(removed_at=now)
            EventActivity.objects.bulk_create(
                [EventActivity(event_id=pk, action=EventActivity.Action.REMOVED, created_at=now) for pk in gone_ids]
            )
    for name in ("created", "updated", "unchanged", "removed"):
        setattr(run, name, getattr(run, name) + counts[name])
    return changed_ids, changed_ids + unchanged_ids


ATTENDEE_COLUMNS = ("event_id", "email", "name", "response", "attendee_type", "is_organizer", "is_internal")


def _insert_attendees(rows: list[tuple]) -> None:
    """Insert attendee rows (ATTENDEE_COLUMNS order) in one statement.

    PostgreSQL: COPY, several times faster than an INSERT of tens of thousands of rows built through
    the ORM (a week of a busy mailbox has ~4 attendees per meeting). Elsewhere: bulk_create."""
    if not rows:
        return
    if db_connection.vendor == "postgresql":
        table = EventAttendee._meta.db_table
        columns = ", ".join(f'"{name}"' for name in ATTENDEE_COLUMNS)
        with db_connection.cursor() as cursor, cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    EventAttendee.objects.bulk_create([EventAttendee(**dict(zip(ATTENDEE_COLUMNS, row, strict=True))) for row in rows])
