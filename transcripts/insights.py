"""Meeting activity on deal, account and contact pages, from calendar and transcript data.

Only events the viewer may see count (product doc §14.3), through transcripts.selectors.visible_events.
Every function runs a fixed handful of queries, however many meetings there are.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from calendar_sync.models import EventAttendee
from deals.models import Contact
from transcripts.charts import meetings_per_week, weekly_bars_svg
from transcripts.models import Transcript
from transcripts.selectors import visible_events

MAX_EVENTS = 500
LIST_LIMIT = 5


def _insights(events_qs, *, workspace, user, new_contact_account=None, calendar_query: str = "") -> dict:
    now = timezone.now()
    # A cancelled meeting did not (or will not) happen: it is no "next meeting", no count, no missing transcript.
    events = list(
        events_qs.filter(is_cancelled=False)
        .select_related("account")
        .annotate(has_transcript=Exists(Transcript.objects.filter(event=OuterRef("pk"))))
        .order_by("-starts_at", "-id")[:MAX_EVENTS]
    )
    events.reverse()
    past = [e for e in events if e.starts_at <= now]
    upcoming = [e for e in events if e.starts_at > now]
    by_id = {e.pk: e for e in events}

    people: dict[str, dict] = {}
    rows = EventAttendee.objects.filter(event_id__in=list(by_id)).values_list(
        "event_id", "email", "name", "response", "is_internal"
    )
    labels = dict(EventAttendee.Response.choices)
    external_responses: dict[int, list[str]] = {}
    # Events are in time order, so the last row seen for a person is their latest response.
    for event_id, email, name, response, is_internal in sorted(rows, key=lambda r: (by_id[r[0]].starts_at, r[0])):
        email = (email or "").lower()
        if not email or is_internal:
            continue
        external_responses.setdefault(event_id, []).append(response)
        event = by_id[event_id]
        person = people.setdefault(
            email,
            {"email": email, "name": "", "met": 0, "last_met": None, "invited_next": None, "account": None},
        )
        person["name"] = name or person["name"]
        person["response"] = response
        person["response_label"] = labels.get(response, response)
        person["account"] = event.account or person["account"]
        if event.starts_at <= now:
            person["met"] += 1
            person["last_met"] = event.starts_at
        elif person["invited_next"] is None:
            person["invited_next"] = event.starts_at

    contacts = {
        c.email.lower(): c
        for c in Contact.objects.filter(workspace=workspace, email__in=list(people)).only("pk", "email", "name")
    }
    stakeholders, not_contacts = [], []
    for person in sorted(people.values(), key=lambda p: (p["last_met"] is None, -(p["met"]), p["email"])):
        person["contact"] = contacts.get(person["email"])
        stakeholders.append(person)
        if person["contact"] is None:
            account = new_contact_account or person["account"]
            params = {"email": person["email"], "name": person["name"]}
            if account is not None:
                params["account"] = account.pk
            person["add_url"] = f"{reverse('contact_create')}?{urlencode(params)}"
            not_contacts.append(person)

    without_transcript = [e for e in past if not e.has_transcript]
    # Possible no-show: every external invitee declined, or it ended and no transcript arrived.
    declined = {
        pk
        for pk, answers in external_responses.items()
        if answers and all(a == EventAttendee.Response.DECLINED for a in answers)
    }
    ended = [e for e in past if e.ends_at <= now]
    no_shows = [e for e in ended if e.pk in declined or not e.has_transcript]
    for e in no_shows:
        e.no_show_why = "every external invitee declined" if e.pk in declined else "ended without a transcript"
    never_met = [p for p in stakeholders if p["met"] == 0]
    if new_contact_account is not None and calendar_query.startswith("account="):
        met_emails = {p["email"] for p in stakeholders if p["met"]}
        known = {p["email"] for p in never_met}
        for contact in Contact.objects.filter(account=new_contact_account).order_by("name"):
            if contact.email not in met_emails and contact.email not in known:
                never_met.append(
                    {"email": contact.email, "name": contact.name, "contact": contact, "invited_next": None}
                )
    calendar_url = reverse("calendar")
    transcript_count = Transcript.objects.filter(workspace=workspace, event_id__in=list(by_id)).count()
    return {
        "has_data": bool(events),
        "next_meeting": upcoming[0] if upcoming else None,
        "last_meeting": past[-1] if past else None,
        "meetings_last_30_days": sum(1 for e in past if e.starts_at >= now - timedelta(days=30)),
        "upcoming_count": len(upcoming),
        "meeting_count": len(events),
        "stakeholders": stakeholders,
        "not_contacts": not_contacts,
        "without_transcript": list(reversed(without_transcript))[:LIST_LIMIT],
        "without_transcript_count": len(without_transcript),
        "transcript_count": transcript_count,
        "no_shows": list(reversed(no_shows))[:LIST_LIMIT],
        "no_show_count": len(no_shows),
        "never_met": never_met,
        "weekly_svg": weekly_bars_svg(meetings_per_week([e.starts_at for e in events if not e.is_cancelled])),
        # Each number opens exactly the meetings it counts (calendar_sync.selectors.events._past_flagged).
        "past_url": f"{calendar_url}?view=past&days=30&{calendar_query}" if calendar_query else "",
        "no_transcript_url": f"{calendar_url}?view=past&flag=no_transcript&{calendar_query}" if calendar_query else "",
        "no_show_url": f"{calendar_url}?view=past&flag=no_show&{calendar_query}" if calendar_query else "",
        "upcoming_url": f"{calendar_url}?view=upcoming&{calendar_query}" if calendar_query else "",
    }


def account_insights(*, account, user) -> dict:
    events = visible_events(user, account.workspace).filter(Q(account=account) | Q(deal__account=account))
    data = _insights(
        events,
        workspace=account.workspace,
        user=user,
        new_contact_account=account,
        calendar_query=f"account={account.pk}",
    )
    return {"scope": "account", **data}


def deal_insights(*, deal, user) -> dict:
    # A transcript assigned to the deal by hand brings its meeting into the deal's activity.
    by_transcript = Transcript.objects.filter(deal=deal, event__isnull=False).values("event_id")
    events = visible_events(user, deal.workspace).filter(Q(deal=deal) | Q(pk__in=by_transcript))
    data = _insights(
        events, workspace=deal.workspace, user=user, new_contact_account=deal.account, calendar_query=f"deal={deal.pk}"
    )
    return {"scope": "deal", **data}


def contact_meetings(*, contact, user) -> list:
    attended = EventAttendee.objects.filter(Q(contact=contact) | Q(email__iexact=contact.email)).values("event_id")
    return list(visible_events(user, contact.workspace).filter(pk__in=attended).order_by("-starts_at", "-id")[:50])


def week_by_deal(*, user, workspace) -> list[dict]:
    """The coming week's external meetings the user may see, grouped by deal (unassigned last)."""
    now = timezone.now()
    external = EventAttendee.objects.filter(event=OuterRef("pk"), is_internal=False).exclude(email="")
    events = (
        visible_events(user, workspace)
        .filter(starts_at__gte=now - timedelta(hours=1), starts_at__lt=now + timedelta(days=7))
        .filter(Exists(external))
        .select_related("deal", "account")
        .order_by("starts_at", "id")
    )
    groups: dict[int, dict] = {}
    for event in events:
        group = groups.setdefault(event.deal_id or 0, {"deal": event.deal, "events": []})
        group["events"].append(event)
    ordered = sorted((g for k, g in groups.items() if k), key=lambda g: g["events"][0].starts_at)
    if 0 in groups:
        ordered.append(groups[0])
    return ordered
