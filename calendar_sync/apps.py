from django.apps import AppConfig


class CalendarSyncConfig(AppConfig):
    name = "calendar_sync"
    verbose_name = "Calendar sync"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from calendar_sync.db import raise_sqlite_parameter_limit

        connection_created.connect(raise_sqlite_parameter_limit, dispatch_uid="calendar_sync_sqlite_params")
