"""calendar_sync services: erasure — delete or pseudonymise what Ruby holds about a person (product doc §11).

One scrub routine serves every erasure: a `Scrubber` says how a value is rewritten (the person's email and
names, in text and JSON) and `rows_scrub` walks rows and saves those that changed. Rows of the apps above
(transcripts) are scrubbed by their own receivers of `person_erasing`, with the same routine.

Audit entries describe objects by type and id and carry counts only: after a purge, nothing in the trail
points back to the person whose data was removed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q

from calendar_sync.models import CalendarConnection, CalendarEvent, EventActivity, EventAttendee, SyncRun
from calendar_sync.signals import events_deleting, person_erasing, person_names_requested
from deals.models import Contact
from ruby_site.errors import UserFacingError
from ruby_site.models import Workspace

REMOVED = "[removed]"
# Names shorter than this are not replaced inside free text ("Al" would eat "Also").
MIN_NAME_LENGTH_FOR_TEXT = 3
EVENT_TEXT_FIELDS = ["subject", "body_preview", "location", "organizer_name", "organizer_email"]


class PrivacyError(UserFacingError):
    """A privacy operation was asked for with unusable input. The message is safe to show."""

    code = "privacy"


def counts_add(total: dict, part: dict) -> dict:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value
    return total


# --- the scrub routine ---------------------------------------------------------------------------


class Scrubber:
    """Replaces an email and the names it went by inside free text and JSON, case-insensitively.

    The email and full names ("Alice Moreau") are specific enough to replace everywhere. A one-word
    name ("Alice") is replaced only in rows that concern the person (events they attend, transcripts
    they took part in), or a purge of one Alice would rewrite every other Alice in the database.
    """

    def __init__(self, *, email: str, names: set[str], new_email: str, new_name: str):
        self.email = email
        self.new_email = new_email
        self.new_name = new_name
        self.strong = [(re.compile(re.escape(email), re.IGNORECASE), new_email)]
        self.weak = []
        # "Hi Dana," in the preview of Dana Whitfield's meeting: the first name of a full name is one of
        # the names too (weak: only in the rows that concern the person).
        names = set(names) | {name.split()[0] for name in names if len(name.split()) > 1}
        # Longest first, so "Alice Smith" is replaced whole before "Alice" could split it.
        for name in sorted(names, key=len, reverse=True):
            if len(name) < MIN_NAME_LENGTH_FOR_TEXT:
                continue
            pattern = (re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE), new_name)
            (self.strong if len(name.split()) > 1 else self.weak).append(pattern)
        self.strong_names = [n for n in names if len(n.split()) > 1 and len(n) >= MIN_NAME_LENGTH_FOR_TEXT]
        self.names_lower = {n.lower() for n in names}

    def text(self, value: str, *, related: bool = True) -> str:
        if not value:
            return value
        for pattern, replacement in self.strong + (self.weak if related else []):
            value = pattern.sub(replacement, value)
        return value

    def json(self, value, *, related: bool = True):
        if isinstance(value, str):
            return self.text(value, related=related)
        if isinstance(value, list):
            return [self.json(v, related=related) for v in value]
        if isinstance(value, dict):
            return {
                self.text(k, related=related) if isinstance(k, str) else k: self.json(v, related=related)
                for k, v in value.items()
            }
        return value

    def json_text(self, body: str, *, related: bool = True) -> str:
        """Text that is usually JSON (raw webhook bodies): the decoded value is rewritten, so escaped
        non-ASCII names match too; the text is left byte for byte when nothing changed."""
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            return self.text(body, related=related)
        scrubbed = self.json(data, related=related)
        if scrubbed == data:
            return body
        return json.dumps(scrubbed, ensure_ascii=False)

    def is_name(self, value: str) -> bool:
        return (value or "").strip().lower() in self.names_lower

    def is_subject(self, participant) -> bool:
        """A participant entry ({"email": ...}) that is the person."""
        return isinstance(participant, dict) and str(participant.get("email", "")).strip().lower() == self.email

    def mentions(self, *fields: str) -> Q:
        """Rows whose text holds the email or a full name (the one-word names are matched by relation)."""
        q = Q(pk__in=[])
        for field in fields:
            q |= Q(**{f"{field}__icontains": self.email})
            for name in self.strong_names:
                q |= Q(**{f"{field}__icontains": name})
        return q


def rows_scrub(
    rows: models.QuerySet,
    fields: list[str],
    rewrite: Callable[[models.Model], None],
    *,
    also: Iterable[str] = (),
    batch_size: int = 500,
) -> int:
    """Load `fields` (and the read-only `also`) of each row, let `rewrite` change the row in place, and save
    the rows that changed in bulk. Returns how many changed."""
    changed = []
    for row in rows.only(*also, *fields).iterator(chunk_size=batch_size):
        before = [getattr(row, f) for f in fields]
        rewrite(row)
        if [getattr(row, f) for f in fields] != before:
            changed.append(row)
    if changed:
        rows.model.objects.bulk_update(changed, fields, batch_size=batch_size)
    return len(changed)


def pseudonym_for(email: str) -> tuple[str, str]:
    """A stable (email, name) pseudonym: the same person gets the same one everywhere and on every run,
    so attendee counts and transcript matching still line up, and nothing of the original remains."""
    digest = hmac.new(settings.SECRET_KEY.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()[:10]
    return f"anon-{digest}@anonymised.invalid", f"Anonymised attendee {digest}"


def person_names(*, email: str, workspace: Workspace | None) -> set[str]:
    """Every name the (lower-cased) email went by: in attendee rows, as organizer, and in the apps above."""
    attendees = EventAttendee.objects.filter(email__iexact=email)
    organised = CalendarEvent.objects.filter(organizer_email__iexact=email)
    if workspace is not None:
        attendees = attendees.filter(event__workspace=workspace)
        organised = organised.filter(workspace=workspace)
    names = set(attendees.exclude(name="").values_list("name", flat=True))
    names |= set(organised.exclude(organizer_name="").values_list("organizer_name", flat=True))
    for _receiver, answer in person_names_requested.send(sender=EventAttendee, email=email, workspace=workspace):
        names |= set(answer or ())
    return {n.strip() for n in names if n and n.strip()}


def scrubber_for(*, email: str, workspace: Workspace | None, anonymise: bool) -> Scrubber:
    """The scrubber for one person: their pseudonym when anonymising, "[removed]" when purging."""
    new_email, new_name = pseudonym_for(email) if anonymise else (REMOVED, REMOVED)
    return Scrubber(
        email=email, names=person_names(email=email, workspace=workspace), new_email=new_email, new_name=new_name
    )


# --- deleting events -------------------------------------------------------------------------------


def events_delete(events: models.QuerySet) -> dict:
    """Delete events with their attendees and activities; the apps above first let go of them."""
    event_ids = list(events.values_list("pk", flat=True))
    detached = 0
    if event_ids:
        answers = events_deleting.send(sender=CalendarEvent, event_ids=event_ids)
        detached = sum(answer or 0 for _receiver, answer in answers)
    counts = {"events": 0, "attendees": 0, "activities": 0, "transcripts_detached": detached}
    # Chunked so a mailbox with years of history does not build one enormous IN clause; the counts
    # come from what each delete removed.
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        counts["activities"] += EventActivity.objects.filter(event_id__in=chunk).delete()[0]
        counts["attendees"] += EventAttendee.objects.filter(event_id__in=chunk).delete()[0]
        counts["events"] += CalendarEvent.objects.filter(pk__in=chunk).delete()[1].get(CalendarEvent._meta.label, 0)
    return counts


def connection_history_delete(*, connection: CalendarConnection) -> dict:
    """Delete one connection's synced events and its sync runs. The connection row is lifecycle's."""
    counts = events_delete(CalendarEvent.objects.filter(connection=connection))
    runs = SyncRun.objects.filter(connection=connection)
    counts["sync_runs"] = runs.count()
    runs.delete()
    return counts


# --- an attendee email: purge and anonymise ---------------------------------------------------------


def attendee_purge(*, email: str, workspace: Workspace | None = None) -> dict:
    """Delete an attendee's rows and every mention of them in events and the apps above. Idempotent: a
    second run finds nothing and returns zeros."""
    return _person_erase(email=email, workspace=workspace, anonymise=False)


def attendee_anonymise(*, email: str, workspace: Workspace | None = None) -> dict:
    """Replace an attendee's name and email everywhere in calendar and transcript data with a stable
    pseudonym. Idempotent."""
    if not (email or "").strip() or "@" not in email:
        raise PrivacyError("Give the attendee's email address.")
    return _person_erase(email=email, workspace=workspace, anonymise=True)


def _person_erase(*, email: str, workspace: Workspace | None, anonymise: bool) -> dict:
    email = (email or "").strip().lower()
    if "@" not in email:
        raise PrivacyError("Give the attendee's email address.")
    scrub = scrubber_for(email=email, workspace=workspace, anonymise=anonymise)
    # Exact fields (organizer, attendee rows) are rewritten to the pseudonym, or emptied by a purge.
    exact_email, exact_name = (scrub.new_email, scrub.new_name) if anonymise else ("", "")
    counts = {
        "attendees": 0,
        "events_changed": 0,
        "activities_changed": 0,
        "transcripts_changed": 0,
        "deliveries_changed": 0,
    }

    with transaction.atomic():
        attendees = EventAttendee.objects.filter(email__iexact=email)
        organised = CalendarEvent.objects.filter(organizer_email__iexact=email)
        events = CalendarEvent.objects.all()
        activities = EventActivity.objects.all()
        contacts = Contact.objects.filter(email__iexact=email)
        if workspace is not None:
            attendees = attendees.filter(event__workspace=workspace)
            organised = organised.filter(workspace=workspace)
            events = events.filter(workspace=workspace)
            activities = activities.filter(event__workspace=workspace)
            contacts = contacts.filter(workspace=workspace)
        related_events = set(attendees.values_list("event_id", flat=True)) | set(organised.values_list("pk", flat=True))

        # Attendee rows: anonymise rewrites them (counts survive); purge deletes them.
        if anonymise:
            # The contact link would lead straight back to the person.
            counts["attendees"] = attendees.update(email=scrub.new_email, name=scrub.new_name, contact=None)
        else:
            counts["attendees"] = attendees.count()
            attendees.delete()

        def event_rewrite(event: CalendarEvent) -> None:
            related = event.pk in related_events
            if event.organizer_email.strip().lower() == email:
                event.organizer_email, event.organizer_name = exact_email, exact_name
            elif related and scrub.is_name(event.organizer_name):
                event.organizer_name = exact_name
            else:
                event.organizer_name = scrub.text(event.organizer_name, related=related)[:255]
            event.subject = scrub.text(event.subject, related=related)[:500]
            event.body_preview = scrub.text(event.body_preview, related=related)[:255]
            event.location = scrub.text(event.location, related=related)[:500]

        def activity_rewrite(activity: EventActivity) -> None:
            activity.detail = scrub.text(activity.detail, related=activity.event_id in related_events)[:500]

        candidates = Q(pk__in=related_events) | scrub.mentions("subject", "body_preview", "location", "organizer_name")
        counts["events_changed"] = rows_scrub(events.filter(candidates), EVENT_TEXT_FIELDS, event_rewrite)
        counts["activities_changed"] = rows_scrub(
            activities.filter(Q(event_id__in=related_events) | scrub.mentions("detail")),
            ["detail"],
            activity_rewrite,
            also=["event_id"],
        )
        for _receiver, answer in person_erasing.send(
            sender=EventAttendee,
            email=email,
            workspace=workspace,
            anonymise=anonymise,
            scrub=scrub,
            related_event_ids=related_events,
        ):
            counts_add(counts, answer or {})

        # The person asked to be removed from Ruby, so a CRM contact with their address goes too:
        # purge deletes it (attendee rows and deals simply lose the link), anonymise gives it the same
        # pseudonym as their attendee rows, so the contact's history and deal links survive.
        if anonymise:
            counts["crm_contacts_anonymised"] = contacts.update(email=scrub.new_email, name=scrub.new_name, title="")
        else:
            counts["crm_contacts_deleted"] = contacts.delete()[1].get(Contact._meta.label, 0)
    return counts
