from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self) -> None:
        from calendar_sync.signals import events_changed
        from transcripts.receivers import rematch_after_sync

        events_changed.connect(rematch_after_sync, dispatch_uid="transcripts_rematch_after_sync")
