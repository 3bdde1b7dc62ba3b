from ruby_site.models import Workspace

VALID = {
    "name": "Acme Sales",
    "internal_domains_text": "ruby-demo.example\nacme.io",
    "sync_interval_minutes": "15",
    "event_visibility": "workspace",
}


def test_admin_saves_domains_interval_and_visibility(user_client, workspace):
    response = user_client.post("/settings/workspace/", VALID)

    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.internal_domains == ["ruby-demo.example", "acme.io"]
    assert workspace.sync_interval_minutes == 15
    assert workspace.event_visibility == Workspace.Visibility.WORKSPACE


def test_non_admin_cannot_change_workspace_settings(member_client, workspace):
    response = member_client.post("/settings/workspace/", VALID)

    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.sync_interval_minutes == 60


def test_non_admin_sees_settings_read_only(member_client):
    response = member_client.get("/settings/workspace/")

    assert response.status_code == 200
    assert "Only workspace admins" in response.content.decode()


def test_domain_with_scheme_or_path_is_refused_and_nothing_saved(user_client, workspace):
    response = user_client.post("/settings/workspace/", {**VALID, "internal_domains_text": "https://acme.io/team"})

    assert response.status_code == 200
    assert "not a bare domain" in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.internal_domains == ["ruby-demo.example"]


def test_unknown_sync_interval_is_refused(user_client, workspace):
    response = user_client.post("/settings/workspace/", {**VALID, "sync_interval_minutes": "7"})

    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.sync_interval_minutes == 60


def test_empty_workspace_name_is_refused(user_client, workspace):
    response = user_client.post("/settings/workspace/", {**VALID, "name": "   "})

    assert response.status_code == 200
    workspace.refresh_from_db()
    assert workspace.name == "Acme Sales"


def test_outsider_settings_page_shows_only_their_own_workspace(outsider_client):
    response = outsider_client.get("/settings/workspace/")

    assert "Other Co" in response.content.decode()
    assert "Acme Sales" not in response.content.decode()


def test_profile_time_zone_is_saved(user_client, user):
    user_client.post("/settings/", {"first_name": "Sam", "last_name": "S", "time_zone": "America/Toronto"})

    user.refresh_from_db()
    assert user.time_zone == "America/Toronto"


def test_profile_unknown_time_zone_is_refused(user_client, user):
    response = user_client.post("/settings/", {"first_name": "Sam", "last_name": "S", "time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.time_zone == "UTC"


def test_logged_out_visitor_is_sent_to_login(client, db):
    response = client.get("/settings/workspace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pages_show_times_in_the_users_time_zone(user_client, user):
    from datetime import UTC, datetime

    from tests.factories import TranscriptFactory

    user.time_zone = "America/Toronto"
    user.save()
    TranscriptFactory(
        workspace=user.membership.workspace,
        title="Tz check",
        started_at=datetime(2026, 11, 24, 20, 0, tzinfo=UTC),
        ended_at=datetime(2026, 11, 24, 20, 30, tzinfo=UTC),
    )

    body = user_client.get("/transcripts/").content.decode()

    assert "3:00 PM" in body and "8:00 PM" not in body  # 20:00 UTC is 3 PM in Toronto (EST)


def test_adding_an_internal_domain_marks_already_synced_attendees_internal(user_client, workspace, user):
    from tests.factories import AttendeeFactory, ConnectionFactory, EventFactory

    event = EventFactory(connection=ConnectionFactory(user=user))
    attendee = AttendeeFactory(event=event, email="pat@subsidiary.example", is_internal=False)

    user_client.post(
        "/settings/workspace/",
        {**VALID, "internal_domains_text": "ruby-demo.example\nsubsidiary.example", "confirm_hidden": "1"},
    )

    attendee.refresh_from_db()
    assert attendee.is_internal
