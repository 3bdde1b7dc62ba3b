from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CalendarSyncConfig(AppConfig):
    name = "calendar_sync"
    verbose_name = "Calendar sync"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from calendar_sync import receivers, signals
        from calendar_sync.db import raise_sqlite_parameter_limit
        from calendar_sync.services.support import support_group_after_migrate
        from deals.signals import directory_changed
        from ruby_site.signals import internal_domains_changed, internal_domains_previewing

        post_migrate.connect(support_group_after_migrate, sender=self, dispatch_uid="calendar_sync_support_group")
        connection_created.connect(raise_sqlite_parameter_limit, dispatch_uid="calendar_sync_sqlite_params")
        directory_changed.connect(
            receivers.relink_after_directory_changed, dispatch_uid="calendar_sync_relink_after_directory"
        )
        signals.events_changed.connect(
            receivers.suggestions_after_events_changed, dispatch_uid="calendar_sync_auto_create_suggestions"
        )
        internal_domains_changed.connect(
            receivers.internal_after_domains_changed, dispatch_uid="calendar_sync_internal_after_domains"
        )
        internal_domains_previewing.connect(
            receivers.internal_count_before_domains_change, dispatch_uid="calendar_sync_internal_preview"
        )
