"""Issue 16: erasure leaves no email, full name or first name in any text column of any table."""

import pytest

from calendar_sync.models import DataDeletionRequest
from calendar_sync.services.deletion_requests import deletion_request_open, deletion_request_run
from calendar_sync.services.erasure import REMOVED, pseudonym_for
from tests.calendar_sync.privacy_data import find_everywhere
from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory, TranscriptFactory

DANA = "dana@northwind.example"
NEEDLES = [DANA, "Dana Whitfield", "Dana"]


def dana_meeting(user):
    connection = ConnectionFactory(user=user)
    event = EventFactory(
        connection=connection,
        subject="Dana intro",
        body_preview="Hi Dana, here is the agenda.",
        location="Dana's office",
    )
    AttendeeFactory(event=event, email=DANA, name="Dana Whitfield")
    TranscriptFactory(
        workspace=connection.workspace,
        title="Dana sync",
        participants=[{"name": "Dana Whitfield", "email": DANA}],
        text="Dana: hello.\nSam: hi Dana.",
    )
    return event


@pytest.mark.parametrize("kind", [DataDeletionRequest.Kind.PURGE, DataDeletionRequest.Kind.ANONYMISE])
def test_erasure_leaves_no_email_full_name_or_first_name_anywhere(user, kind):
    event = dana_meeting(user)
    request = deletion_request_open(
        by=None,
        requester=DANA,
        subject_email=DANA,
        kind=kind,
        scope="Dana Whitfield asks us to delete everything about Dana.",
    )
    assert find_everywhere(NEEDLES)

    deletion_request_run(deletion_request_id=request.pk)

    assert find_everywhere(NEEDLES) == []
    event.refresh_from_db()
    replacement = REMOVED if kind == DataDeletionRequest.Kind.PURGE else pseudonym_for(DANA)[1]
    assert event.subject == f"{replacement} intro"
    assert event.body_preview == f"Hi {replacement}, here is the agenda."


def test_deletion_request_of_a_purged_user_keeps_no_email_or_name(user, django_user_model):
    colleague = django_user_model.objects.create_user(
        email="morgan.lee@ruby-demo.example", first_name="Morgan", last_name="Lee"
    )
    request = deletion_request_open(
        by=None,
        requester="morgan.lee@ruby-demo.example",
        subject_user=colleague,
        scope="Morgan Lee wants Morgan's calendar data gone.",
    )

    deletion_request_run(deletion_request_id=request.pk)

    request.refresh_from_db()
    assert request.status == DataDeletionRequest.Status.DONE
    assert request.requester == pseudonym_for("morgan.lee@ruby-demo.example")[0]
    assert "Morgan" not in request.scope and "Lee" not in request.scope
    assert request.subject_user_id == colleague.pk  # the pseudonymous reference
