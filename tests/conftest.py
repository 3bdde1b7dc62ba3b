import pytest

from ruby_site.models import Membership
from tests.factories import UserFactory, WorkspaceFactory


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme Sales", slug="acme", internal_domains=["ruby-demo.example"])


@pytest.fixture
def user(workspace):
    return UserFactory(email="sam@ruby-demo.example", workspace=workspace, workspace__role=Membership.Role.ADMIN)


@pytest.fixture
def member(workspace):
    return UserFactory(email="mia@ruby-demo.example", workspace=workspace)


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Other Co", slug="other", internal_domains=["other.example"])


@pytest.fixture
def outsider(other_workspace):
    """A user of another workspace: must get 404 on everything of `workspace`."""
    return UserFactory(email="eve@other.example", workspace=other_workspace, workspace__role=Membership.Role.ADMIN)


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client
