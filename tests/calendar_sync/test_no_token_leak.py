"""No token string in any log record, audit entry or admin page across a full connect + sync + disconnect,
run end to end through the real views, services, MSAL and the built-in Microsoft sandbox (no mocks)."""

from __future__ import annotations

import logging

import pytest
from django.contrib import admin
from django.db import connection as db
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from calendar_sync.models import CalendarConnection, CalendarEvent, SyncRun
from calendar_sync.sandbox import tokens
from ruby_site.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENT_SECRET = "ruby-sandbox-secret-7c1e"
SANDBOX = override_settings(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET=CLIENT_SECRET,
    MICROSOFT_ENABLED=True,
)


@pytest.fixture
def issued(monkeypatch):
    """Every token the sandbox's token endpoint hands out (code grant and refreshes)."""
    seen: list[str] = []
    real = tokens.issue_tokens

    def spy(*args, **kwargs):
        answer = real(*args, **kwargs)
        seen.extend(answer[k] for k in ("access_token", "refresh_token", "id_token"))
        return answer

    monkeypatch.setattr(tokens, "issue_tokens", spy)
    return seen


@pytest.fixture
def every_log_record(caplog):
    """DEBUG for every logger, including those the settings quiet (msal, urllib3) or keep to themselves."""
    names = ["", *logging.root.manager.loggerDict]
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    for name in names:
        logger = logging.getLogger(name)
        if name and not logger.propagate:
            logger.addHandler(caplog.handler)
    yield caplog
    for name in names[1:]:
        logging.getLogger(name).removeHandler(caplog.handler)


def _raw_token_cache(connection_id: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT token_cache FROM calendar_sync_calendarconnection WHERE id = %s", [connection_id])
        return cursor.fetchone()[0] or ""


def _admin_pages(client, connection: CalendarConnection) -> str:
    """The HTML of every admin list page, plus the change and history pages of every row of the
    models that describe a connection (connections, sync runs, audit entries, the user)."""
    html = []
    for model in admin.site._registry:
        opts = model._meta
        try:
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        response = client.get(changelist)
        assert response.status_code == 200, changelist
        html.append(response.content.decode())
    rows = [
        ("calendar_sync", "calendarconnection", [connection.pk]),
        ("calendar_sync", "syncrun", list(SyncRun.objects.values_list("pk", flat=True))),
        ("ruby_site", "auditentry", list(AuditEntry.objects.values_list("pk", flat=True))),
        ("ruby_site", "user", [connection.user_id]),
    ]
    for app, model, pks in rows:
        for pk in pks:
            for view in ("change", "history"):
                response = client.get(reverse(f"admin:{app}_{model}_{view}", args=[pk]))
                assert response.status_code == 200
                html.append(response.content.decode())
    return "\n".join(html)


def _logged(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info or record.exc_text:
            parts.append(logging.Formatter().formatException(record.exc_info) if record.exc_info else record.exc_text)
        parts.append(repr({k: v for k, v in vars(record).items() if k not in ("msg", "args", "exc_info")}))
    return "\n".join(parts)


def test_no_token_in_admin_logs_or_audit_during_connect_sync_and_disconnect(
    client, user, issued, every_log_record, django_capture_on_commit_callbacks
):
    staff = UserFactory(email="root@ruby-support.example", is_staff=True, is_superuser=True)
    with SANDBOX:
        client.force_login(user)
        started = client.post(reverse("outlook_connect"))
        assert started.status_code == 302 and started.url.startswith("/sandbox/microsoft/authorize?")
        consent = client.get(started.url)
        params = consent.context["params"]
        back = client.post(reverse("sandbox_consent"), {**params, "action": "accept", "identity": "match"})
        assert back.status_code == 302
        with django_capture_on_commit_callbacks(execute=True):  # Connect queues the first sync
            assert client.get(back.url, follow=True).status_code == 200
        connection = CalendarConnection.objects.get(user=user)
        assert connection.is_connected and issued, "the connect went through the sandbox's token endpoint"

        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("sync_now", args=[connection.pk]))
        assert list(SyncRun.objects.filter(connection=connection).values_list("status", flat=True)) == [
            SyncRun.Status.SUCCEEDED,
            SyncRun.Status.SUCCEEDED,
        ]
        assert CalendarEvent.objects.filter(connection=connection).exists()

        secrets = {*issued, CLIENT_SECRET}
        cache_plain = CalendarConnection.objects.get(pk=connection.pk).token_cache
        cache_stored = _raw_token_cache(connection.pk)
        assert cache_plain and cache_stored and cache_plain != cache_stored, "the token cache is stored encrypted"
        assert not any(secret in cache_stored for secret in issued)
        secrets |= {cache_plain, cache_stored}

        client.force_login(staff)
        admin_while_connected = _admin_pages(client, connection)

        client.force_login(user)
        response = client.post(reverse("connection_disconnect"), {})
        assert response.status_code == 302
        connection.refresh_from_db()
        assert connection.status == CalendarConnection.Status.NOT_CONNECTED and not connection.token_cache

        client.force_login(staff)
        admin_after = _admin_pages(client, connection)

    logged = _logged(every_log_record)
    assert len(every_log_record.records) > 0
    audit = "\n".join(
        f"{e.action} {e.object_type} {e.object_id} {e.reason} {e.counts} {e.actor_label}"
        for e in AuditEntry.objects.all()
    )
    assert {"connect", "disconnect"} <= set(AuditEntry.objects.values_list("action", flat=True))
    for secret in secrets:
        assert secret not in logged, "a token reached a log record"
        assert secret not in audit, "a token reached the audit trail"
        assert secret not in admin_while_connected, "a token reached an admin page"
        assert secret not in admin_after, "a token reached an admin page"
