import pytest
from django.core import mail
from django.utils import timezone

from ruby_site.models import Invitation, Membership, User, Workspace
from tests.factories import UserFactory

PASSWORD = "a-long-pass-phrase-9"


def _signup(client, email, **extra):
    return client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra})


@pytest.mark.django_db
def test_signup_creates_user_and_workspace_with_user_as_admin(client):
    response = _signup(client, "Ana@Northwind.io", workspace_name="Northwind Sales")

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "ana@northwind.io"
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.ADMIN
    assert membership.workspace.name == "Northwind Sales"
    assert membership.workspace.internal_domains == ["northwind.io"]


@pytest.mark.django_db
def test_signup_with_free_mail_address_sets_no_internal_domain(client):
    _signup(client, "ana@gmail.com")

    assert Workspace.objects.get().internal_domains == []


@pytest.mark.django_db
def test_duplicate_email_in_other_letter_case_is_refused_with_form_error(client):
    UserFactory(email="ana@northwind.io")

    response = _signup(client, "ANA@Northwind.IO")

    assert response.status_code == 200
    assert "already registered" in response.content.decode() or "already exists" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ana@northwind.io", "ANA@NORTHWIND.IO", "Ana@Northwind.io"])
def test_login_by_email_in_any_letter_case(client, typed):
    UserFactory(email="ana@northwind.io", password=PASSWORD)

    response = client.post("/accounts/login/", {"login": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_login_with_wrong_password_shows_error(client):
    UserFactory(email="ana@northwind.io", password=PASSWORD)

    response = client.post("/accounts/login/", {"login": "ana@northwind.io", "password": "wrong"})

    assert response.status_code == 200
    assert "not correct" in response.content.decode()


@pytest.mark.django_db
def test_password_reset_sends_email(client):
    UserFactory(email="ana@northwind.io")

    client.post("/accounts/password/reset/", {"email": "ANA@northwind.io"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@northwind.io"]


def test_logout_requires_post(user_client):
    assert user_client.get("/accounts/logout/").status_code == 200  # a confirmation page, no logout
    assert user_client.session.get("_auth_user_id")
    user_client.post("/accounts/logout/")
    assert not user_client.session.get("_auth_user_id")


def test_admin_invites_member_by_email(user_client, workspace):
    response = user_client.post("/settings/members/", {"email": "New.Person@Ruby-Demo.example", "role": "member"})

    assert response.status_code == 302
    invitation = Invitation.objects.get(workspace=workspace)
    assert invitation.email == "new.person@ruby-demo.example"
    assert invitation.token in mail.outbox[0].body


def test_accepting_invitation_joins_that_workspace_instead_of_creating_one(client, workspace, user):
    invitation = Invitation.objects.create(workspace=workspace, email="joiner@ruby-demo.example", invited_by=user)

    client.get(f"/invite/{invitation.token}/")
    _signup(client, "Joiner@ruby-demo.example")

    joiner = User.objects.get(email="joiner@ruby-demo.example")
    assert joiner.membership.workspace == workspace
    assert joiner.membership.role == Membership.Role.MEMBER
    assert Workspace.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_invitation_for_another_email_does_not_join(client, workspace, user):
    invitation = Invitation.objects.create(workspace=workspace, email="joiner@ruby-demo.example", invited_by=user)

    client.get(f"/invite/{invitation.token}/")
    _signup(client, "someone.else@elsewhere.io")

    other = User.objects.get(email="someone.else@elsewhere.io")
    assert other.membership.workspace != workspace


@pytest.mark.django_db
def test_unknown_invitation_token_says_so(client):
    response = client.get("/invite/nope/", follow=True)

    assert "no longer valid" in response.content.decode()


def test_member_cannot_invite(member_client):
    response = member_client.post("/settings/members/", {"email": "x@ruby-demo.example", "role": "admin"})

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_admin_withdraws_an_open_invitation(user_client, workspace, user):
    invitation = Invitation.objects.create(workspace=workspace, email="late@ruby-demo.example", invited_by=user)

    response = user_client.post(f"/settings/members/invitations/{invitation.pk}/revoke/", follow=True)

    assert response.redirect_chain == [("/settings/members/", 302)]
    assert "Invitation for late@ruby-demo.example withdrawn." in response.content.decode()
    assert not Invitation.objects.exists()


def test_member_cannot_withdraw_an_invitation(member_client, workspace, user):
    invitation = Invitation.objects.create(workspace=workspace, email="late@ruby-demo.example", invited_by=user)

    response = member_client.post(f"/settings/members/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_an_accepted_invitation_cannot_be_withdrawn(user_client, workspace, user):
    invitation = Invitation.objects.create(
        workspace=workspace, email="joined@ruby-demo.example", invited_by=user, accepted_at=timezone.now()
    )

    response = user_client.post(f"/settings/members/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_outsider_members_page_lists_only_their_own_workspace(outsider_client, user):
    page = outsider_client.get("/settings/members/").content.decode()

    assert "eve@other.example" in page
    assert user.email not in page
