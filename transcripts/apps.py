from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"
    verbose_name = "Transcripts"

    def ready(self) -> None:
        from calendar_sync import signals
        from transcripts import erasure, receivers

        signals.events_changed.connect(
            receivers.rematch_after_events_changed, dispatch_uid="transcripts_rematch_after_sync"
        )
        signals.event_discarded.connect(
            receivers.rematch_after_event_discarded, dispatch_uid="transcripts_rematch_after_discard"
        )
        signals.event_restored.connect(
            receivers.rematch_after_event_restored, dispatch_uid="transcripts_rematch_after_restore"
        )
        signals.events_deleting.connect(
            receivers.detach_before_events_deleted, dispatch_uid="transcripts_detach_before_delete"
        )
        # calendar_sync's erasure (deletion requests) reaches transcripts only here.
        signals.person_names_requested.connect(erasure.person_names, dispatch_uid="transcripts_erasure_names")
        signals.person_erasing.connect(erasure.person_erase, dispatch_uid="transcripts_erasure_scrub")
