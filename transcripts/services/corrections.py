"""A person's decisions about a transcript: confirm, change or clear its match, hand it back to Ruby, assign
it to a deal (product doc §14.5: never automatic). Manual matches are left alone by later re-matching."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from calendar_sync.models import CalendarEvent, EventActivity
from deals.models import Deal
from ruby_site.errors import UserFacingError
from transcripts.models import Transcript
from transcripts.services.matching import score_against, transcripts_match


class CorrectionError(UserFacingError):
    """A correction that cannot be made; the message is shown as it is."""


def _set_manual(transcript: Transcript, user, **values) -> Transcript:
    values.update(match_how=Transcript.MatchHow.MANUAL, matched_by=user, matched_at=timezone.now())
    for name, value in values.items():
        setattr(transcript, name, value)
    transcript.save(update_fields=[*values, "updated_at"])
    return transcript


@transaction.atomic
def transcript_match_confirm(*, transcript: Transcript, user) -> Transcript:
    """Make the automatic match a person's decision, so later re-matching leaves it alone."""
    if transcript.event_id is None:
        raise CorrectionError("There is no match to confirm; choose a meeting instead.")
    return _set_manual(transcript, user)


@transaction.atomic
def transcript_match_change(*, transcript: Transcript, event: CalendarEvent, user) -> Transcript:
    if event.workspace_id != transcript.workspace_id:
        raise CorrectionError("That meeting is not in this workspace.")
    scored = score_against(transcript=transcript, event=event)
    EventActivity.objects.create(
        event=event,
        actor=user,
        action=EventActivity.Action.TRANSCRIPT,
        detail=f"{transcript.get_source_display()} transcript “{transcript.title[:200]}” matched by hand",
    )
    return _set_manual(
        transcript,
        user,
        event=event,
        match_status=Transcript.MatchStatus.MATCHED,
        match_score=scored.score,
        match_detail=scored.detail,
    )


@transaction.atomic
def transcript_match_clear(*, transcript: Transcript, user) -> Transcript:
    """No meeting, on purpose: stays unmatched through later syncs until matched by hand."""
    return _set_manual(
        transcript, user, event=None, match_status=Transcript.MatchStatus.UNMATCHED, match_score=None, match_detail={}
    )


@transaction.atomic
def transcript_match_reset(*, transcript: Transcript) -> Transcript:
    """Hand the transcript back to automatic matching."""
    transcript.match_how = Transcript.MatchHow.AUTO
    transcript.save(update_fields=["match_how", "updated_at"])
    transcripts_match(transcripts=[transcript])
    transcript.refresh_from_db()
    return transcript


@transaction.atomic
def transcript_deal_assign(*, transcript: Transcript, deal: Deal | None, user) -> Transcript:
    """Assigning to a deal is always a person's step (product doc §14.5); None unassigns."""
    if deal is not None and deal.workspace_id != transcript.workspace_id:
        raise CorrectionError("That deal is not in this workspace.")
    transcript.deal = deal
    transcript.save(update_fields=["deal", "updated_at"])
    return transcript
