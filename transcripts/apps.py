from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self) -> None:
        from calendar_sync import signals as calendar_signals
        from transcripts import erasure

        # calendar_sync's erasure (disconnect with purge, deletion requests) reaches transcripts only here.
        calendar_signals.events_deleting.connect(erasure.transcripts_detach, dispatch_uid="transcripts_erasure_detach")
        calendar_signals.person_names_requested.connect(erasure.person_names, dispatch_uid="transcripts_erasure_names")
        calendar_signals.person_erasing.connect(erasure.person_erase, dispatch_uid="transcripts_erasure_scrub")
