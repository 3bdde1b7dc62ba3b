"""calendar_sync services: live updates by change notifications (issue 12) — the provider's subscription for a
connection (create, renew, recreate), the webhook's one write (the push inbox), and the worker that turns a burst
of notifications into one sync a few seconds later.

Provider-neutral: a provider that can push says so (`supports_push`, providers/base.PushProvider); for any other
(Exchange on-premise) live updates are simply not offered and the scheduled sync does the work. Push is off unless
PUBLIC_BASE_URL is set (https; http only with DEBUG=1, for local stand-ins). The scheduled sync stays either way:
it rolls the one-week window forward and catches anything a lost notification missed.

Facts (graph_ews.md A.1–A.4): Graph validates both URLs before it answers the create; the expiry to renew before is
the expirationDateTime Graph returns, never a maximum assumed here; clientState is ours, ≤128 characters, checked
on every notification; `reauthorizationRequired` -> renew (renewing also reauthorizes), `subscriptionRemoved` ->
create a new one then sync, `missed` -> sync.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django_q import tasks as q_tasks

from calendar_sync.models import CalendarConnection, PushNotification, SyncRun
from calendar_sync.providers import ProviderError, provider_for
from calendar_sync.providers.base import PushSubscription, push_capable
from calendar_sync.services.lifecycle import connection_mark_access_lost, subscription_fields_clear
from calendar_sync.services.sync import SyncAlreadyRunning, SyncNotPossible, sync_request
from calendar_sync.services.tokens import AccessLost, ReconnectRequired

log = logging.getLogger(__name__)

Kind = PushNotification.Kind
Status = CalendarConnection.Status

# What Ruby asks for. Microsoft documents 4,230 minutes for Outlook events (subscription.md, "Maximum length of
# subscription per resource type"); Graph's answer is what is stored and renewed against, so a shorter grant (or a
# longer future maximum) changes nothing here.
REQUESTED_LIFETIME = timedelta(minutes=4230)
# Renew half-way through what Graph granted: a missed schedule run or two still leaves time.
RENEW_AT_FRACTION = 0.5
# "A few seconds later": notifications of one burst arriving within this many seconds cause one sync.
DEFAULT_DEBOUNCE_SECONDS = 3.0
# A coalescing worker that died (killed with its worker) is taken over after this.
CLAIM_STALE_AFTER = timedelta(seconds=60)
# A sync already running may have read the week before the change: wait for it (bounded), then sync again.
RUNNING_SYNC_WAIT_SECONDS = 30
LIFECYCLE_EVENTS = {Kind.MISSED, Kind.REAUTHORIZE, Kind.REMOVED}

# Tests swap the sleeper so coalescing costs no wall time.
sleep: Callable[[float], None] = time.sleep


def debounce_seconds() -> float:
    return float(getattr(settings, "CALENDAR_PUSH_DEBOUNCE_SECONDS", DEFAULT_DEBOUNCE_SECONDS))


def push_base_url() -> str:
    """PUBLIC_BASE_URL when it can receive Graph's calls: https, or http with DEBUG=1 (local stand-ins)."""
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    if base.startswith("https://") or (settings.DEBUG and base.startswith("http://")):
        return base
    return ""


def push_enabled_for(connection: CalendarConnection) -> bool:
    return bool(push_base_url()) and push_capable(provider_for(connection))


def _update(connection: CalendarConnection, **fields) -> None:
    CalendarConnection.objects.filter(pk=connection.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(connection, name, value)


def _store(connection: CalendarConnection, made: PushSubscription, *, client_state: str | None = None) -> None:
    now = timezone.now()
    fields = {
        "subscription_id": made.id,
        "subscription_expires_at": made.expires_at,
        "subscription_renew_at": now + max(made.expires_at - now, timedelta(0)) * RENEW_AT_FRACTION,
        "push_paused_reason": "",
    }
    if client_state is not None:
        fields["subscription_client_state"] = client_state
    _update(connection, **fields)


def _failed(connection: CalendarConnection, provider, exc: ProviderError) -> str:
    if isinstance(exc, AccessLost):
        connection_mark_access_lost(connection=connection, microsoft_error=exc.code)
        return "access_lost"
    if isinstance(exc, ReconnectRequired):
        return "not_connected"
    reason = provider.describe_push(exc)
    log.warning("push subscription connection=%s failed: %s", connection.pk, exc)
    _update(connection, push_paused_reason=reason)
    return "paused"


def subscription_create(*, connection: CalendarConnection) -> str:
    """Create the provider subscription with a new random clientState (stored encrypted). Returns the outcome:
    created / paused (reason on the connection) / access_lost / not_connected / off."""
    base = push_base_url()
    provider = provider_for(connection)
    if not base or not push_capable(provider):
        return "off"
    notify_name, lifecycle_name = provider.push_url_names
    client_state = secrets.token_urlsafe(48)  # 64 characters; Graph allows 128
    try:
        made = provider.push_subscribe(
            connection,
            notification_url=base + reverse(notify_name),
            lifecycle_url=base + reverse(lifecycle_name),
            client_state=client_state,
            expires_at=timezone.now() + REQUESTED_LIFETIME,
        )
    except ProviderError as exc:
        return _failed(connection, provider, exc)
    _store(connection, made, client_state=client_state)
    return "created"


def subscription_renew(*, connection: CalendarConnection) -> str:
    """Extend (and so reauthorize) the subscription; one that no longer exists is created anew."""
    provider = provider_for(connection)
    if not connection.subscription_id:
        return subscription_create(connection=connection)
    try:
        made = provider.push_renew(
            connection, subscription_id=connection.subscription_id, expires_at=timezone.now() + REQUESTED_LIFETIME
        )
    except ProviderError as exc:
        if not provider.push_error_is_gone(exc):
            return _failed(connection, provider, exc)
        return subscription_recreate(connection=connection)
    _store(connection, made)
    return "renewed"


def subscription_recreate(*, connection: CalendarConnection) -> str:
    """The provider removed the subscription: forget it and create a new one (new clientState too)."""
    subscription_fields_clear(connection)
    _update(connection, subscription_id="", subscription_expires_at=None, subscription_client_state="")
    return subscription_create(connection=connection)


def subscription_ensure(*, connection_id: int, now: datetime | None = None) -> str:
    """What the connect flow and the schedule call: create a missing subscription, renew one that is due, else
    leave it. Never changes whether the connection is connected (except when the provider refused the access)."""
    now = now or timezone.now()
    connection = CalendarConnection.objects.select_related("workspace", "user").filter(pk=connection_id).first()
    if connection is None or connection.status != Status.CONNECTED:
        return "not_connected"
    if not push_enabled_for(connection):
        return "off"
    if not connection.subscription_id:
        return subscription_create(connection=connection)
    due = connection.subscription_renew_at or connection.subscription_expires_at
    if due is None or due <= now:
        return subscription_renew(connection=connection)
    return "current"


def subscriptions_renew_due(*, now: datetime | None = None) -> dict:
    """The schedule: every connected connection whose subscription is missing or due gets it renewed or
    recreated. Returns counts by outcome."""
    now = now or timezone.now()
    connected = CalendarConnection.objects.filter(status=Status.CONNECTED)
    due = (connected if push_base_url() else connected.none()).filter(
        Q(subscription_id="") | Q(subscription_renew_at__isnull=True) | Q(subscription_renew_at__lte=now)
    )
    outcomes: Counter = Counter()
    for connection_id in due.values_list("pk", flat=True):
        outcomes[subscription_ensure(connection_id=connection_id, now=now)] += 1
    # Notifications nobody took within a minute (a worker died, a race at a burst's end): process them now.
    strays = PushNotification.objects.filter(received_at__lt=now - CLAIM_STALE_AFTER).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER)
    )
    for connection_id in set(strays.values_list("connection_id", flat=True)):
        _enqueue(connection_id)
        outcomes["strays_requeued"] += 1
    return dict(outcomes)


# --- the webhook's one write --------------------------------------------------------------------


def _kind_of(item: dict) -> str | None:
    event = item.get("lifecycleEvent")
    if event is None:
        return Kind.CHANGE
    return event if event in LIFECYCLE_EVENTS else None


def push_notifications_accept(*, items: list) -> list[int]:
    """Keep what a notification delivery says, for the worker: one row per connection and kind, only for items
    whose subscription id is a connected connection's and whose clientState matches it (else ignored: nothing is
    written, nothing called). Enqueues the worker on commit. Returns the connections concerned."""
    items = [item for item in items if isinstance(item, dict) and isinstance(item.get("subscriptionId"), str)]
    ids = {item["subscriptionId"] for item in items if item["subscriptionId"]}
    if not ids:
        return []
    known = {
        c.subscription_id: c
        for c in CalendarConnection.objects.filter(subscription_id__in=ids, status=Status.CONNECTED).only(
            "pk", "subscription_id", "subscription_client_state"
        )
    }
    rows: dict[tuple[int, str], PushNotification] = {}
    for item in items:
        connection = known.get(item["subscriptionId"])
        state = item.get("clientState")
        kind = _kind_of(item)
        if connection is None or kind is None or not isinstance(state, str) or not connection.subscription_client_state:
            continue
        if not hmac.compare_digest(state.encode(), connection.subscription_client_state.encode()):
            continue
        rows[(connection.pk, kind)] = PushNotification(connection_id=connection.pk, kind=kind)
    connection_ids = sorted({pk for pk, _kind in rows})
    if rows:
        with transaction.atomic():
            # An older row nobody has taken yet has its task still to run, and that task handles every row of
            # the connection: enqueue only when there is none (1,000 notifications, one task). A row arriving
            # as a leader finishes is caught by the leader's last look, and the renew schedule sweeps strays.
            waiting = set(
                PushNotification.objects.filter(connection_id__in=connection_ids, claimed_at__isnull=True)
                .values_list("connection_id", flat=True)
                .distinct()
            )
            PushNotification.objects.bulk_create(list(rows.values()))
            for pk in connection_ids:
                if pk not in waiting:
                    transaction.on_commit(lambda pk=pk: _enqueue(pk))
    return connection_ids


def _enqueue(connection_id: int) -> None:
    q_tasks.async_task("calendar_sync.tasks.push_notifications_task", connection_id, task_name=f"push-{connection_id}")


# --- the worker: coalesce, then act ---------------------------------------------------------------


def _lock(connection_id: int) -> None:
    qs = CalendarConnection.objects.filter(pk=connection_id)
    if db_connection.features.has_select_for_update:
        qs = qs.select_for_update()
    list(qs.values_list("pk", flat=True))  # SQLite: BEGIN IMMEDIATE already serialises the transaction


def push_notifications_process(*, connection_id: int, now: datetime | None = None) -> str:
    """Run for every accepted delivery; the first of a burst becomes its leader, waits until the burst's first
    notification is a few seconds old, then takes every row that arrived meanwhile and acts once: renew on
    reauthorizationRequired, recreate on subscriptionRemoved, one sync for changes, missed and removed. The
    others find the leader and return ("coalesced"), so 1,000 notifications in a second cause one sync."""
    now = now or timezone.now()
    pending = PushNotification.objects.filter(connection_id=connection_id)
    with transaction.atomic():
        _lock(connection_id)
        first = pending.aggregate(first=Min("received_at"))["first"]
        if first is None:
            return "nothing"
        if pending.filter(claimed_at__gt=now - CLAIM_STALE_AFTER).exists():
            return "coalesced"
        pending.update(claimed_at=now)
    wait = (first + timedelta(seconds=debounce_seconds()) - now).total_seconds()
    if wait > 0:
        sleep(min(wait, debounce_seconds()))
    with transaction.atomic():
        _lock(connection_id)
        rows = list(pending.values_list("pk", "kind", "received_at"))
        PushNotification.objects.filter(pk__in=[pk for pk, _kind, _at in rows]).delete()
    kinds = {kind for _pk, kind, _at in rows}
    changes = [at for _pk, kind, at in rows if kind == Kind.CHANGE]
    connection = CalendarConnection.objects.select_related("workspace", "user").get(pk=connection_id)
    if changes:
        _update(connection, push_last_change_at=max(changes))
    outcome = "nothing"
    if Kind.REMOVED in kinds:
        outcome = subscription_recreate(connection=connection)
    elif Kind.REAUTHORIZE in kinds:
        outcome = subscription_renew(connection=connection)
    if kinds & {Kind.CHANGE, Kind.MISSED, Kind.REMOVED}:
        outcome = _sync_after_push(connection)
    if pending.exists():  # arrived after the rows were taken, while its own task saw this leader: go again
        _enqueue(connection_id)
    return outcome


def _sync_after_push(connection: CalendarConnection) -> str:
    for _second in range(RUNNING_SYNC_WAIT_SECONDS):
        try:
            sync_request(connection=connection, trigger=SyncRun.Trigger.WEBHOOK)
            return "synced"
        except SyncAlreadyRunning:
            # A queued run has not read the week yet, so it will see the change; a running one may not have.
            if not SyncRun.objects.filter(connection=connection, status=SyncRun.Status.RUNNING).exists():
                return "covered"
            sleep(1)
        except SyncNotPossible:
            return "not_connected"
    return "busy"
