"""calendar_sync services: retention — the daily close-out of what a stopped connection no longer needs."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q

from calendar_sync.models import CalendarConnection
from calendar_sync.services.deletion_requests import deletion_requests_overdue
from calendar_sync.services.lifecycle import (
    SUBSCRIPTION_FIELDS,
    subscription_delete_best_effort,
    subscription_fields_clear,
)

log = logging.getLogger(__name__)

Status = CalendarConnection.Status


def retention_close_out() -> dict:
    """What "retention" means here (privacy page, product doc §4, §10, §11):

    - a connection that is not connected or is disabled keeps no sync state: its delta link and
      subscription are cleared (and the subscription removed at Microsoft when we still can), so
      nothing can be fetched for it and no notification can trigger a sync;
    - a connection that Microsoft no longer accepts (not connected) keeps no token cache: the
      refresh token is useless and is deleted; a disabled connection keeps its tokens until support
      re-enables it or the user disconnects;
    - synced events are kept as history (product doc §11) until a deletion request or the user's
      "delete my synced data"; nothing outside the sync window is ever fetched (the sync engine);
    - open deletion requests past their 30-day due date are logged for support every run.
    """
    counts = {"sync_state_cleared": 0, "token_caches_deleted": 0, "subscriptions_removed": 0, "overdue_requests": 0}
    stale = CalendarConnection.objects.exclude(status=Status.CONNECTED).filter(
        ~Q(delta_link="") | ~Q(subscription_id="") | ~Q(subscription_client_state="")
    )
    for connection in stale:
        error = subscription_delete_best_effort(connection=connection)
        with transaction.atomic():
            conn = CalendarConnection.objects.select_for_update().get(pk=connection.pk)
            if conn.status == Status.CONNECTED:  # reconnected meanwhile: its state is live again
                continue
            counts["subscriptions_removed"] += int(bool(conn.subscription_id) and not error)
            conn.delta_link = ""
            subscription_fields_clear(conn)
            conn.save(update_fields=["delta_link", *SUBSCRIPTION_FIELDS, "updated_at"])
            counts["sync_state_cleared"] += 1
    for conn in CalendarConnection.objects.filter(status=Status.NOT_CONNECTED).exclude(token_cache=""):
        with transaction.atomic():
            locked = CalendarConnection.objects.select_for_update().get(pk=conn.pk)
            if locked.status != Status.NOT_CONNECTED:
                continue
            locked.token_cache = ""
            locked.save(update_fields=["token_cache", "updated_at"])
            counts["token_caches_deleted"] += 1
    overdue = list(deletion_requests_overdue().values_list("pk", flat=True))
    counts["overdue_requests"] = len(overdue)
    if overdue:
        log.warning("deletion requests past their 30-day due date: %s", ", ".join(f"#{pk}" for pk in overdue))
    log.info("retention close-out %s", counts)
    return counts
