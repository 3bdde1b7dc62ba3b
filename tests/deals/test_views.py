from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Account, Contact, Deal
from tests.factories import AccountFactory, ContactFactory, DealFactory
from tests.transcripts.helpers import meeting


@pytest.fixture
def account(workspace):
    return AccountFactory(workspace=workspace, name="Northwind Traders", domain="northwind.example")


@pytest.fixture
def contact(workspace, account):
    return ContactFactory(workspace=workspace, name="Dana Whitfield", email="dana@northwind.example", account=account)


@pytest.fixture
def deal(workspace, account, user):
    return DealFactory(workspace=workspace, name="Northwind rollout", account=account, owner=user)


def test_create_account_contact_and_deal_then_see_them(user_client, workspace, user):
    user_client.post("/deals/accounts/new/", {"name": "Contoso", "domain": "Contoso.example"})
    account = Account.objects.get(workspace=workspace)
    user_client.post(
        "/deals/contacts/new/", {"name": "Kim", "email": "Kim@Contoso.example", "title": "VP", "account": account.pk}
    )
    user_client.post(
        "/deals/new/",
        {
            "name": "Contoso pilot",
            "account": account.pk,
            "stage": "discovery",
            "amount": "24000",
            "close_date": "2026-12-31",
            "owner": user.pk,
            "team": [user.pk],
        },
    )

    assert account.domain == "contoso.example"
    assert Contact.objects.get(workspace=workspace).email == "kim@contoso.example"
    deal = Deal.objects.get(workspace=workspace)
    assert list(deal.team.all()) == [user]
    page = user_client.get(f"/deals/accounts/{account.pk}/").content.decode()
    assert "Kim" in page and "Contoso pilot" in page


@pytest.mark.parametrize(
    "url_name",
    [
        "/deals/accounts/{account}/",
        "/deals/accounts/{account}/edit/",
        "/deals/contacts/{contact}/",
        "/deals/contacts/{contact}/edit/",
        "/deals/{deal}/",
        "/deals/{deal}/edit/",
    ],
)
def test_other_workspace_gets_404_on_every_record_page(outsider_client, account, contact, deal, url_name):
    url = url_name.format(account=account.pk, contact=contact.pk, deal=deal.pk)

    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, {"name": "Hijacked"}).status_code == 404


def test_other_workspace_lists_do_not_show_our_records(outsider_client, account, contact, deal):
    for url in ("/deals/", "/deals/accounts/", "/deals/contacts/"):
        body = outsider_client.get(url).content.decode()
        assert "Northwind" not in body and "Dana" not in body


@pytest.mark.parametrize(
    "url,data,message",
    [
        ("/deals/accounts/new/", {"name": "  ", "domain": ""}, "cannot be empty"),
        ("/deals/accounts/new/", {"name": "X", "domain": "https://x.example"}, "not a bare domain"),
        ("/deals/accounts/new/", {"name": "X", "domain": "x.example/path"}, "not a bare domain"),
        ("/deals/accounts/new/", {"name": "X", "domain": "not a domain"}, "not a bare domain"),
        ("/deals/contacts/new/", {"name": "", "email": "a@b.example"}, "cannot be empty"),
        ("/deals/contacts/new/", {"name": "A", "email": "not-an-email"}, "valid email"),
        ("/deals/new/", {"name": "", "stage": "discovery"}, "cannot be empty"),
        ("/deals/new/", {"name": "D", "stage": "discovery", "amount": "-5"}, "negative"),
        ("/deals/new/", {"name": "D", "stage": "nope"}, "Select a valid choice"),
    ],
)
def test_invalid_input_shows_form_error_and_writes_nothing(user_client, url, data, message):
    before = (Account.objects.count(), Contact.objects.count(), Deal.objects.count())

    response = user_client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Account.objects.count(), Contact.objects.count(), Deal.objects.count()) == before


def test_duplicate_account_domain_is_refused(user_client, account):
    response = user_client.post("/deals/accounts/new/", {"name": "Dup", "domain": "NORTHWIND.example"})

    assert "already uses the domain" in response.content.decode()
    assert Account.objects.count() == 1


def test_duplicate_contact_email_is_refused(user_client, contact):
    response = user_client.post("/deals/contacts/new/", {"name": "Dup", "email": "DANA@northwind.example"})

    assert "already exists" in response.content.decode()
    assert Contact.objects.count() == 1


def test_deal_cannot_use_another_workspaces_account(user_client, other_workspace):
    foreign = AccountFactory(workspace=other_workspace)

    response = user_client.post("/deals/new/", {"name": "D", "stage": "discovery", "account": foreign.pk})

    assert "Select a valid choice" in response.content.decode()
    assert not Deal.objects.exists()


def test_deal_team_only_offers_workspace_members(user_client, outsider):
    response = user_client.get("/deals/new/")

    assert outsider.email not in response.content.decode()


def test_edit_keeps_the_record_and_changes_it(user_client, account):
    user_client.post(f"/deals/accounts/{account.pk}/edit/", {"name": "Northwind Inc", "domain": "northwind.example"})

    account.refresh_from_db()
    assert account.name == "Northwind Inc"


@pytest.mark.parametrize("query", ["northwind", "NORTHWIND.example"])
def test_account_search_by_name_or_domain(user_client, account, workspace, query):
    AccountFactory(workspace=workspace, name="Contoso", domain="contoso.example")

    body = user_client.get("/deals/accounts/", {"q": query}).content.decode()

    assert "Northwind Traders" in body and "Contoso" not in body


def test_contact_search_by_email(user_client, contact, workspace):
    ContactFactory(workspace=workspace, name="Kim", email="kim@contoso.example")

    body = user_client.get("/deals/contacts/", {"q": "dana@"}).content.decode()

    assert "Dana Whitfield" in body and "Kim" not in body


def test_deal_search_by_account_domain(user_client, deal, workspace):
    DealFactory(workspace=workspace, name="Other deal")

    body = user_client.get("/deals/", {"q": "northwind.example"}).content.decode()

    assert "Northwind rollout" in body and "Other deal" not in body


def test_lists_are_paginated(user_client, workspace):
    for n in range(30):
        AccountFactory(workspace=workspace, name=f"Acct {n:02d}")

    first = user_client.get("/deals/accounts/").content.decode()
    second = user_client.get("/deals/accounts/", {"page": 2}).content.decode()

    assert "Page 1 of 2" in first and "Acct 00" in first and "Acct 29" not in first
    assert "Acct 29" in second


def test_bad_page_number_shows_last_page_not_an_error(user_client, account):
    assert user_client.get("/deals/accounts/", {"page": "999"}).status_code == 200
    assert user_client.get("/deals/accounts/", {"page": "abc"}).status_code == 200


def test_logged_out_user_is_redirected_to_login(client, deal):
    response = client.get(f"/deals/{deal.pk}/")
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next=/deals/{deal.pk}/")


def test_deal_page_lists_the_meetings_assigned_to_it(user_client, user, deal):
    meeting(user, start=timezone.now() + timedelta(days=1), deal=deal, subject="Rollout plan")
    meeting(user, start=timezone.now() + timedelta(days=2), subject="Someone else's deal")

    page = user_client.get(f"/deals/{deal.pk}/").content.decode()

    assert "Rollout plan" in page
    assert "Someone else&#x27;s deal" not in page


def test_deal_page_without_meetings_points_to_the_calendar(user_client, deal):
    page = user_client.get(f"/deals/{deal.pk}/").content.decode()
    assert "No meetings you can see are assigned to this deal." in page


def test_contact_page_lists_meetings_with_the_contact(user_client, user, contact):
    meeting(user, start=timezone.now() - timedelta(days=3), guests=[contact.email], subject="Kickoff with Dana")

    page = user_client.get(f"/deals/contacts/{contact.pk}/").content.decode()

    assert "Kickoff with Dana" in page


def test_contact_page_without_meetings_says_so(user_client, contact):
    page = user_client.get(f"/deals/contacts/{contact.pk}/").content.decode()
    assert "No synced meetings with Dana Whitfield that you can see." in page


def _deal_page_queries(user_client, deal) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert user_client.get(f"/deals/{deal.pk}/").status_code == 200
    return len(queries)


def test_deal_page_queries_do_not_grow_with_its_meetings(user_client, user, deal):
    meeting(user, start=timezone.now() - timedelta(days=1), deal=deal, guests=["dana@northwind.example"])
    few = _deal_page_queries(user_client, deal)
    for days in range(2, 7):
        meeting(user, start=timezone.now() - timedelta(days=days), deal=deal, guests=[f"p{days}@northwind.example"])

    assert _deal_page_queries(user_client, deal) == few
