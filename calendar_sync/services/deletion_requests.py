"""calendar_sync services: deletion requests — record, queue, run and close a request to purge or anonymise
a person's data, due within 30 days (product doc §11; design.md §3.6).

Audit entries name the subject by type and id only: the request row is the one place the subject is named,
and a done attendee request keeps only the pseudonym.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from calendar_sync.models import DataDeletionRequest
from calendar_sync.services.erasure import (
    PrivacyError,
    Scrubber,
    attendee_anonymise,
    attendee_purge,
    pseudonym_for,
    scrubber_for,
)
from calendar_sync.services.lifecycle import user_calendar_purge
from ruby_site.models import AuditEntry, User, Workspace
from ruby_site.services import audit_record

log = logging.getLogger(__name__)


def _subject_label(request: DataDeletionRequest) -> str:
    if request.subject_user_id:
        return f"Ruby user #{request.subject_user_id}"
    return "an attendee email address"


def deletion_request_open(
    *,
    by: User | None,
    requester: str,
    subject_user: User | None = None,
    subject_email: str = "",
    workspace: Workspace | None = None,
    kind: str = DataDeletionRequest.Kind.PURGE,
    scope: str = "",
    received_on: date | None = None,
) -> DataDeletionRequest:
    subject_email = (subject_email or "").strip().lower()
    if (subject_user is None) == (not subject_email):
        raise PrivacyError("A deletion request is about either a Ruby user or an attendee email address.")
    if kind == DataDeletionRequest.Kind.ANONYMISE and subject_user is not None:
        raise PrivacyError("Anonymise applies to an attendee email address; use Purge for a Ruby user.")
    with transaction.atomic():
        request = DataDeletionRequest.objects.create(
            requester=requester.strip(),
            subject_user=subject_user,
            subject_email=subject_email,
            workspace=workspace,
            kind=kind,
            scope=scope,
            received_on=received_on or timezone.localdate(),
            created_by=by,
        )
        audit_record(
            action=AuditEntry.Action.DELETION_OPENED,
            actor=by,
            actor_label="support",
            workspace=workspace,
            obj=request,
            reason=f"{request.get_kind_display()}; subject: {_subject_label(request)}; due {request.due_on}.",
        )
    return request


def deletion_request_queue(*, deletion_request: DataDeletionRequest, kind: str, by: User) -> DataDeletionRequest:
    """Support chose Purge or Anonymise: validate, mark queued, run in the worker after commit."""
    if deletion_request.status == DataDeletionRequest.Status.DONE:
        raise PrivacyError(f"Request {deletion_request.pk} is already done.")
    if kind == DataDeletionRequest.Kind.ANONYMISE and not deletion_request.subject_email:
        raise PrivacyError(
            f"Request {deletion_request.pk}: Anonymise applies to an attendee email address; use Purge for a user."
        )
    if not deletion_request.subject_email and deletion_request.subject_user_id is None:
        raise PrivacyError(f"Request {deletion_request.pk} names no subject (the user may have been deleted).")
    with transaction.atomic():
        DataDeletionRequest.objects.filter(pk=deletion_request.pk).update(
            kind=kind, status=DataDeletionRequest.Status.QUEUED
        )
        request_id, by_id = deletion_request.pk, by.pk if by else None
        transaction.on_commit(
            lambda: async_task(
                "calendar_sync.tasks.deletion_request_run_task",
                request_id,
                by_id,
                task_name=f"deletion-{request_id}",
            )
        )
    deletion_request.refresh_from_db()
    return deletion_request


def _erase(request: DataDeletionRequest) -> tuple[str, dict]:
    if request.kind == DataDeletionRequest.Kind.ANONYMISE:
        return AuditEntry.Action.ANONYMISE, attendee_anonymise(email=request.subject_email, workspace=request.workspace)
    if request.subject_user_id:
        return AuditEntry.Action.PURGE, user_calendar_purge(user=request.subject_user, workspace=request.workspace)
    if request.subject_email:
        return AuditEntry.Action.PURGE, attendee_purge(email=request.subject_email, workspace=request.workspace)
    raise PrivacyError("Give either a Ruby user or an attendee email address.")


def deletion_request_run(*, deletion_request_id: int, by: User | None = None) -> DataDeletionRequest:
    """Carry out a request and close it with the counts. Safe to run twice: a done request is left as is."""
    try:
        with transaction.atomic():
            request = DataDeletionRequest.objects.select_for_update().get(pk=deletion_request_id)
            if request.status == DataDeletionRequest.Status.DONE:
                return request
            scrub = None
            if request.subject_email:
                # Names are read before the run removes them, to scrub the request row afterwards.
                scrub = scrubber_for(
                    email=request.subject_email.strip().lower(), workspace=request.workspace, anonymise=True
                )
            elif request.subject_user is not None:
                scrub = _user_scrubber(request.subject_user)
            action, counts = _erase(request)
            if scrub is not None:
                # The closed request keeps only the pseudonym (or, for a user, the account's id): support
                # can still find it by the email (the admin search hashes the term the same way), but the
                # row no longer names anyone.
                if request.subject_email:
                    request.subject_email = scrub.new_email
                request.requester = scrub.text(request.requester)
                request.scope = scrub.text(request.scope)
                request.save(update_fields=["subject_email", "requester", "scope"])
            return deletion_request_close(deletion_request=request, action=action, counts=counts, by=by)
    except PrivacyError:
        log.warning("deletion request %s cannot run: its subject is missing or unusable", deletion_request_id)
        DataDeletionRequest.objects.filter(pk=deletion_request_id).update(status=DataDeletionRequest.Status.FAILED)
        raise


def _user_scrubber(user: User) -> Scrubber:
    email = user.email.strip().lower()
    names = {n.strip() for n in (user.get_full_name(), user.first_name, user.last_name) if n and n.strip()}
    names |= scrubber_for(email=email, workspace=None, anonymise=True).names_lower
    new_email, new_name = pseudonym_for(email)
    return Scrubber(email=email, names=names, new_email=new_email, new_name=new_name)


def deletion_request_close(
    *, deletion_request: DataDeletionRequest, action: str, counts: dict, by: User | None = None
) -> DataDeletionRequest:
    request = deletion_request
    now = timezone.now()
    request.status = DataDeletionRequest.Status.DONE
    request.completed_at = now
    request.result = {**counts, "action": action, "completed_at": now.isoformat()}
    request.save(update_fields=["status", "completed_at", "result"])
    audit_record(
        action=action,
        actor=by,
        actor_label="support" if by else "system",
        workspace=request.workspace,
        obj=request,
        reason=f"Subject: {_subject_label(request)}.",
        counts=counts,
    )
    audit_record(
        action=AuditEntry.Action.DELETION_CLOSED,
        actor=by,
        actor_label="support" if by else "system",
        workspace=request.workspace,
        obj=request,
        reason=(
            f"Done {timezone.localdate(now)}, due {request.due_on}"
            + (" (late)." if timezone.localdate(now) > request.due_on else ".")
        ),
        counts=counts,
    )
    return request


def deletion_requests_overdue() -> QuerySet[DataDeletionRequest]:
    return DataDeletionRequest.objects.exclude(status=DataDeletionRequest.Status.DONE).filter(
        due_on__lt=timezone.localdate()
    )
