"""manage.py rotate_encryption_key — re-encrypt every encrypted column with the newest FIELD_ENCRYPTION_KEY.

Rotation: put the new key first in FIELD_ENCRYPTION_KEY (comma-separated, newest first), restart, run this,
then drop the old key. Rows already under the newest key are left alone; a row no configured key can read
is reported (by table, column and id) and left as it is. Safe to run twice.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from ruby_site.fields import StrictEncryptedTextField, crypter

BATCH = 500


def _keys() -> list[str]:
    keys = settings.FIELD_ENCRYPTION_KEY
    return [keys] if isinstance(keys, str) else list(keys)


def encrypted_columns():
    """(model, field) for every StrictEncryptedTextField of every installed app."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, StrictEncryptedTextField):
                yield model, field


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the newest FIELD_ENCRYPTION_KEY and report the counts."

    def handle(self, *args, **options):
        newest = Fernet(_keys()[0])
        every = crypter()
        totals = {"rotated": 0, "current": 0, "unreadable": 0}
        for model, field in encrypted_columns():
            counts = {"rotated": 0, "current": 0, "unreadable": 0}
            table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                # Raw SQL: the field would decrypt on load, and a row to report must not stop the others.
                cursor.execute(
                    f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} IS NOT NULL "
                    f"AND {qn(column)} <> ''"
                )
                rows = cursor.fetchall()
            updates = []
            for row_id, token in rows:
                raw = token.encode("ascii", "replace")
                try:
                    newest.decrypt(raw)
                    counts["current"] += 1
                    continue
                except InvalidToken:
                    pass
                try:
                    updates.append((every.rotate(raw).decode("ascii"), row_id))
                    counts["rotated"] += 1
                except InvalidToken:
                    counts["unreadable"] += 1
                    self.stderr.write(f"{table}.{column} id={row_id}: no configured key can read it; left as is.")
            for start in range(0, len(updates), BATCH):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s", updates[start : start + BATCH]
                    )
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {counts['rotated']} re-encrypted, {counts['current']} already "
                f"current, {counts['unreadable']} unreadable."
            )
            for key, value in counts.items():
                totals[key] += value
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {totals['rotated']} re-encrypted, {totals['current']} already current, "
                f"{totals['unreadable']} unreadable."
            )
        )
