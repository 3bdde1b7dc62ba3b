"""A workspace's transcript sources: enable, disable, rotate the signing secret, stop accepting the old one."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ruby_site.errors import UserFacingError
from ruby_site.models import Workspace
from transcripts import signing, sources
from transcripts.models import TranscriptSource


class UnknownSourceError(UserFacingError):
    code = "unknown_source"


@transaction.atomic
def transcript_source_enable(*, workspace: Workspace, source: str) -> TranscriptSource:
    if not sources.is_known(source):
        raise UnknownSourceError(f"Unknown transcript source {source!r}.")
    config, _ = TranscriptSource.objects.get_or_create(workspace=workspace, source=source)
    if not config.enabled:
        config.enabled = True
        config.save(update_fields=["enabled"])
    return config


@transaction.atomic
def transcript_source_disable(*, source_config: TranscriptSource) -> TranscriptSource:
    source_config.enabled = False
    source_config.save(update_fields=["enabled"])
    return source_config


@transaction.atomic
def transcript_source_rotate_secret(*, source_config: TranscriptSource) -> str:
    """A new signing secret; the current one stays valid as the previous one until stopped.

    Returns the new secret for showing once; it is stored encrypted and never shown again.
    """
    new = signing.new_secret()
    if source_config.secret:
        source_config.previous_secret = source_config.secret
    source_config.secret = new
    source_config.secret_rotated_at = timezone.now()
    source_config.save(update_fields=["secret", "previous_secret", "secret_rotated_at"])
    return new


@transaction.atomic
def transcript_source_stop_old_secret(*, source_config: TranscriptSource) -> TranscriptSource:
    source_config.previous_secret = ""
    source_config.save(update_fields=["previous_secret"])
    return source_config
