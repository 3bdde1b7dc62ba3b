"""The database cache's table (settings.CACHES), so `migrate` alone gives every process one shared cache:
login rate limits count across gunicorn workers and machines (issue 16)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # createcachetable does nothing for a non-database cache (Redis) and skips a table that exists.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("ruby_site", "0004_user_calendar_layout")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
