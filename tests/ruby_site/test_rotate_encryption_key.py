"""Issue 16: `rotate_encryption_key` re-encrypts every encrypted column with the newest key; an unreadable
token cache marks its connection "needs attention" alone."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db_connection

from calendar_sync.models import CalendarConnection
from tests.factories import ConnectionFactory, TranscriptSourceFactory, UserFactory
from transcripts.models import TranscriptSource

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(table: str, column: str, pk: int) -> str:
    with db_connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotation_re_encrypts_every_encrypted_column_with_the_newest_key(settings, workspace):
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    conn = ConnectionFactory(user=UserFactory(workspace=workspace))
    CalendarConnection.objects.filter(pk=conn.pk).update(token_cache="")
    conn.token_cache = '{"AccessToken": {}}'
    conn.save(update_fields=["token_cache"])
    source = TranscriptSourceFactory(workspace=workspace, source="zoom", secret="whsec_a", previous_secret="whsec_b")

    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)

    assert "calendar_sync.CalendarConnection.token_cache: 1 re-encrypted, 0 already current, 0 unreadable." in (
        out.getvalue()
    )
    assert "transcripts.TranscriptSource.secret: 1 re-encrypted" in out.getvalue()
    assert "transcripts.TranscriptSource.previous_secret: 1 re-encrypted" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEY = [NEW]  # the old key can go now
    assert Fernet(NEW).decrypt(raw("calendar_sync_calendarconnection", "token_cache", conn.pk).encode())
    assert CalendarConnection.objects.get(pk=conn.pk).token_cache == '{"AccessToken": {}}'
    assert TranscriptSource.objects.get(pk=source.pk).secret == "whsec_a"

    again = StringIO()
    call_command("rotate_encryption_key", stdout=again)
    assert "Done: 0 re-encrypted, 3 already current, 0 unreadable." in again.getvalue()


@pytest.mark.django_db
def test_a_row_no_key_can_read_is_reported_and_the_rest_rotated(settings, workspace):
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    good = ConnectionFactory(user=UserFactory(workspace=workspace))
    bad = ConnectionFactory(user=UserFactory(workspace=workspace))
    CalendarConnection.objects.filter(pk=bad.pk).update(token_cache="")
    with db_connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "calendar_sync_calendarconnection" SET token_cache = %s WHERE id = %s',
            [Fernet(Fernet.generate_key()).encrypt(b"lost").decode(), bad.pk],
        )
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    out, err = StringIO(), StringIO()
    call_command("rotate_encryption_key", stdout=out, stderr=err)
    assert f"calendar_sync_calendarconnection.token_cache id={bad.pk}: no configured key can read it" in err.getvalue()
    assert "unreadable" in out.getvalue()
    assert CalendarConnection.objects.get(pk=good.pk).token_cache is not None
