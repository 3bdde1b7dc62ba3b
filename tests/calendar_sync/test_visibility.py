"""Who sees a meeting (product doc §14.3) and who may act on it: everything else is a 404, never a 403."""

import pytest
from django.urls import reverse

from calendar_sync.models import CalendarEvent, EventActivity
from calendar_sync.selectors.events import events_visible_to
from ruby_site.models import Workspace
from tests.factories import DealFactory, EventFactory

pytestmark = pytest.mark.django_db

ROLES = ["owner", "team_member", "other_member", "admin", "outsider"]

# Default visibility: the owner and the assigned deal's team. The admin is not on the team here.
SEES_BY_DEFAULT = {"owner": True, "team_member": True, "other_member": False, "admin": False, "outsider": False}
# Workspace visibility: every member of the workspace, never another workspace.
SEES_IN_WORKSPACE = {"owner": True, "team_member": True, "other_member": True, "admin": True, "outsider": False}
# Discard/restore: the owner or a workspace admin, among those who can see the meeting.
MANAGES_IN_WORKSPACE = {"owner": True, "team_member": False, "other_member": False, "admin": True, "outsider": False}


def _person(request, role):
    return request.getfixturevalue(role)


def _use_workspace_visibility(workspace):
    workspace.event_visibility = Workspace.Visibility.WORKSPACE
    workspace.save(update_fields=["event_visibility"])


@pytest.mark.parametrize("role", ROLES)
def test_default_visibility_is_owner_and_deal_team(request, client, deal_event, role):
    client.force_login(_person(request, role))
    detail = client.get(reverse("event_detail", args=[deal_event.pk]))
    listing = client.get(reverse("calendar"))
    if SEES_BY_DEFAULT[role]:
        assert detail.status_code == 200
        assert "Northwind discovery call" in listing.content.decode()
    else:
        assert detail.status_code == 404
        assert listing.status_code == 200  # their own calendar, without this meeting
        assert "Northwind discovery call" not in listing.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_workspace_visibility_shows_meeting_to_every_member(request, client, deal_event, workspace, role):
    _use_workspace_visibility(workspace)
    client.force_login(_person(request, role))
    response = client.get(reverse("event_detail", args=[deal_event.pk]))
    assert response.status_code == (200 if SEES_IN_WORKSPACE[role] else 404)


def test_team_member_does_not_see_unassigned_meeting(client, event, deal, team_member):
    client.force_login(team_member)
    assert client.get(reverse("event_detail", args=[event.pk])).status_code == 404


def test_selector_lists_owner_meeting_once_even_with_a_large_deal_team(owner, deal_event, deal, workspace):
    from tests.factories import UserFactory

    deal.team.add(owner, *[UserFactory(workspace=workspace) for _ in range(3)])
    assert list(events_visible_to(owner)) == [deal_event]


def test_selector_hides_meetings_removed_in_outlook(owner, event):
    from django.utils import timezone

    CalendarEvent.objects.filter(pk=event.pk).update(removed_at=timezone.now())
    assert list(events_visible_to(owner)) == []
    assert list(events_visible_to(owner, include_removed=True)) == [event]


def test_selector_never_crosses_workspaces_even_with_workspace_visibility(outsider, event, workspace):
    _use_workspace_visibility(workspace)
    outsider.membership.workspace.event_visibility = Workspace.Visibility.WORKSPACE
    outsider.membership.workspace.save()
    assert list(events_visible_to(outsider)) == []


# --- actions ---------------------------------------------------------------------------------------------


def _post_action(client, action, event, deal):
    data = {"deal": deal.pk} if action == "event_assign" else {}
    return client.post(reverse(action, args=[event.pk]), data)


@pytest.mark.parametrize("action", ["event_process", "event_assign", "event_unassign"])
@pytest.mark.parametrize("role", ROLES)
def test_anyone_who_sees_the_meeting_may_process_and_assign(request, client, deal_event, deal, role, action):
    client.force_login(_person(request, role))
    response = _post_action(client, action, deal_event, deal)
    assert response.status_code == (302 if SEES_BY_DEFAULT[role] else 404)


@pytest.mark.parametrize("action", ["event_discard", "event_restore"])
@pytest.mark.parametrize("role", ROLES)
def test_only_owner_and_admins_who_see_it_may_discard_or_restore(
    request, client, deal_event, deal, workspace, role, action
):
    _use_workspace_visibility(workspace)
    if action == "event_restore":
        CalendarEvent.objects.filter(pk=deal_event.pk).update(state=CalendarEvent.State.DISCARDED)
    client.force_login(_person(request, role))
    response = _post_action(client, action, deal_event, deal)
    assert response.status_code == (302 if MANAGES_IN_WORKSPACE[role] else 404)


@pytest.mark.parametrize("role", ["other_member", "admin", "outsider"])
def test_discard_by_someone_who_cannot_see_it_changes_nothing(request, client, deal_event, role):
    client.force_login(_person(request, role))
    assert client.post(reverse("event_discard", args=[deal_event.pk])).status_code == 404
    deal_event.refresh_from_db()
    assert deal_event.state == CalendarEvent.State.ACTIVE
    assert not EventActivity.objects.filter(event=deal_event).exists()


def test_team_member_cannot_discard_a_meeting_they_see(client, deal_event, team_member):
    client.force_login(team_member)
    assert client.post(reverse("event_discard", args=[deal_event.pk])).status_code == 404
    deal_event.refresh_from_db()
    assert deal_event.state == CalendarEvent.State.ACTIVE


def test_admin_on_the_deal_team_may_discard(client, deal_event, deal, admin):
    deal.team.add(admin)
    client.force_login(admin)
    assert client.post(reverse("event_discard", args=[deal_event.pk])).status_code == 302
    deal_event.refresh_from_db()
    assert deal_event.state == CalendarEvent.State.DISCARDED


def test_removed_meeting_cannot_be_acted_on(client, owner, event):
    from django.utils import timezone

    CalendarEvent.objects.filter(pk=event.pk).update(removed_at=timezone.now())
    client.force_login(owner)
    assert client.post(reverse("event_discard", args=[event.pk])).status_code == 404


def test_other_workspace_meeting_with_same_shape_is_not_visible(client, owner, other_workspace):
    foreign = EventFactory(connection__user__workspace=other_workspace, deal=DealFactory(workspace=other_workspace))
    client.force_login(owner)
    assert client.get(reverse("event_detail", args=[foreign.pk])).status_code == 404


def test_deal_owner_sees_the_deals_meetings(client, deal_event, deal, workspace):
    from tests.factories import UserFactory

    deal_owner = UserFactory(workspace=workspace)
    deal.owner = deal_owner
    deal.save()

    assert list(events_visible_to(deal_owner)) == [deal_event]
