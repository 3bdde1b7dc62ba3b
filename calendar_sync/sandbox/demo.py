"""Connect a user in the sandbox without a browser, for `demo_data`: the same code path as a person
pressing Connect and Accept (MSAL's flow, the sandbox's consent code, the callback's checks)."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from calendar_sync.models import CalendarConnection, SyncRun
from calendar_sync.sandbox import tokens
from calendar_sync.sandbox.identities import identity_for
from calendar_sync.services.connection import connection_begin, connection_complete
from calendar_sync.services.sync import sync_connection


def demo_base_url() -> str:
    """Where `make run` serves Ruby: HOST and PORT from the environment (the Makefile passes them)."""
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("PORT", "").strip() or "8000"
    return f"http://{host}:{port}"


def connect_in_sandbox(*, user, workspace) -> CalendarConnection:
    if not settings.MICROSOFT_SANDBOX:
        raise RuntimeError("connect_in_sandbox only works with MICROSOFT_SANDBOX=1.")
    redirect_uri = demo_base_url() + reverse("outlook_callback")
    flow = connection_begin(user=user, redirect_uri=redirect_uri)
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    code = tokens.issue_code(
        identity_for(user.email, user.get_full_name()),
        client_id=settings.MICROSOFT_CLIENT_ID,
        redirect_uri=redirect_uri,
        nonce=query["nonce"][0],
        code_challenge=query["code_challenge"][0],
    )
    return connection_complete(
        user=user, workspace=workspace, flow=flow, auth_response={"code": code, "state": flow["state"]}
    )


def load_demo_calendar(*, user, workspace) -> dict:
    """The demo user's sandbox week: connected and synced once. Idempotent: a second call connects and syncs
    nothing new (the worker's schedule keeps the week current afterwards)."""
    connection = CalendarConnection.objects.filter(user=user, status=CalendarConnection.Status.CONNECTED).first()
    connected = connection is None
    if connected:
        connection = connect_in_sandbox(user=user, workspace=workspace)
    synced = not connection.sync_runs.filter(status=SyncRun.Status.SUCCEEDED).exists()
    if synced:
        # Once from yesterday, so the demo has an ended Teams meeting (the sandbox's "pilot recap") whose
        # transcript "Connect Teams transcripts" can fetch; then the coming week as every sync sees it.
        yesterday = (timezone.now() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.COMMAND, now=yesterday)
        sync_connection(connection_id=connection.pk, trigger=SyncRun.Trigger.COMMAND)
    return {
        "connected": connected,
        "synced": synced,
        "events": connection.events.filter(removed_at__isnull=True).count(),
    }
