"""CSV import of accounts, contacts and deals: good files, bad files, duplicates, dry run, all or nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deals.models import Account, Contact, Deal
from tests.factories import AccountFactory, AttendeeFactory, ConnectionFactory, ContactFactory, EventFactory

pytestmark = pytest.mark.django_db

HUBSPOT_COMPANIES = (
    "Record ID,Company name,Company Domain Name,Lifecycle Stage\n"
    "1,Northwind,northwind.example,Lead\n"
    "2,Contoso,https://www.contoso.example/,Customer\n"
)
SALESFORCE_CONTACTS = (
    "First Name,Last Name,Title,Email,Account Name\n"
    "Dana,Whitfield,CTO,Dana@Northwind.example,Northwind\n"
    "Lee,Park,,lee@northwind.example,\n"
)
HUBSPOT_DEALS = (
    "Deal Name,Deal Stage,Amount,Close Date,Associated Company\n"
    'Northwind rollout,contractsent,"$12,500.00",2027-01-31,Northwind\n'
    "Contoso pilot,Closed Won,900,01/15/2027,\n"
)


def _upload(client, text, kind="accounts", *, raw=None, name="export.csv"):
    data = raw if raw is not None else text.encode("utf-8")
    return client.post("/deals/import/", {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")})


def _mapping(client):
    body = client.get("/deals/import/preview/").content.decode()
    return body


def _submit(client, action, mapping: dict[int, str]):
    return client.post(
        "/deals/import/preview/", {"action": action, **{f"col_{i}": f for i, f in mapping.items()}}, follow=True
    )


def test_a_hubspot_companies_export_maps_its_columns_and_imports(user_client, workspace):
    assert _upload(user_client, HUBSPOT_COMPANIES).status_code == 302
    body = _mapping(user_client)
    assert '<option value="name" selected>' in body and '<option value="domain" selected>' in body
    assert "Ruby does not know 2 columns (Record ID, Lifecycle Stage)" in body

    response = _submit(user_client, "import", {1: "name", 2: "domain"})

    assert "Imported 2 accounts from export.csv." in response.content.decode()
    assert set(Account.objects.filter(workspace=workspace).values_list("name", "domain")) == {
        ("Northwind", "northwind.example"),
        ("Contoso", "contoso.example"),
    }


def test_a_salesforce_contacts_export_joins_first_and_last_name_and_the_account(user_client, workspace):
    AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    _upload(user_client, SALESFORCE_CONTACTS, "contacts")

    _submit(user_client, "import", {0: "first_name", 1: "last_name", 2: "title", 3: "email", 4: "account"})

    dana = Contact.objects.get(workspace=workspace, email="dana@northwind.example")
    assert (dana.name, dana.title, dana.account.name) == ("Dana Whitfield", "CTO", "Northwind")
    assert Contact.objects.get(email="lee@northwind.example").account is None


def test_deals_import_maps_hubspot_and_salesforce_stages_amounts_and_dates(user_client, workspace):
    AccountFactory(workspace=workspace, name="Northwind", domain="northwind.example")
    _upload(user_client, HUBSPOT_DEALS, "deals")

    _submit(user_client, "import", {0: "name", 1: "stage", 2: "amount", 3: "close_date", 4: "account"})

    rollout = Deal.objects.get(name="Northwind rollout")
    assert (rollout.stage, str(rollout.amount), str(rollout.close_date)) == ("negotiation", "12500.00", "2027-01-31")
    assert Deal.objects.get(name="Contoso pilot").stage == "won"


def test_a_dry_run_stores_nothing_and_says_what_would_import(user_client, workspace):
    _upload(user_client, HUBSPOT_COMPANIES)

    body = _submit(user_client, "dry_run", {1: "name", 2: "domain"}).content.decode()

    assert "Dry run: all 2 rows would import. Nothing was stored." in body
    assert Account.objects.count() == 0


def test_one_bad_row_stores_nothing_and_names_the_row(user_client, workspace):
    _upload(user_client, "Name,Email\nDana,dana@northwind.example\nLee,not-an-email\n", "contacts")

    body = _submit(user_client, "import", {0: "name", 1: "email"}).content.decode()

    assert "Nothing was imported: 1 problem to fix in the file." in body
    assert "Row 3: “not-an-email” is not an email address." in body
    assert Contact.objects.count() == 0


def test_duplicate_emails_in_the_file_are_refused(user_client):
    _upload(user_client, "Name,Email\nDana,dana@northwind.example\nDana W,DANA@northwind.example\n", "contacts")

    body = _submit(user_client, "import", {0: "name", 1: "email"}).content.decode()

    assert "Row 3: dana@northwind.example is also on row 2; each may appear once." in body
    assert Contact.objects.count() == 0


def test_duplicate_domains_in_the_file_are_refused(user_client):
    _upload(user_client, "Company name,Domain\nNorthwind,northwind.example\nNorthwind EU,northwind.example\n")

    body = _submit(user_client, "import", {0: "name", 1: "domain"}).content.decode()

    assert "Row 3: northwind.example is also on row 2; each may appear once." in body
    assert Account.objects.count() == 0


def test_an_email_already_a_contact_is_refused(user_client, workspace):
    ContactFactory(workspace=workspace, email="dana@northwind.example")
    _upload(user_client, "Name,Email\nDana,dana@northwind.example\n", "contacts")

    body = _submit(user_client, "import", {0: "name", 1: "email"}).content.decode()

    assert "Row 2: a contact with the email dana@northwind.example already exists." in body


def test_a_file_that_is_not_utf8_is_refused_with_how_to_fix_it(user_client):
    body = _upload(user_client, "", raw="Name,Domain\nMüller GmbH,mueller.example\n".encode("cp1252")).content.decode()

    assert "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)”" in body


def test_an_empty_file_is_refused(user_client):
    assert "The submitted file is empty." in _upload(user_client, "").content.decode()


def test_a_file_without_a_header_row_says_so(user_client):
    body = _upload(user_client, "\n\n").content.decode()

    assert "The file is empty: the first row must name the columns" in body


def test_a_header_without_rows_says_so(user_client):
    assert "The file has a header row but no rows under it." in _upload(user_client, "Name,Domain\n").content.decode()


def test_a_file_without_a_name_column_asks_for_one(user_client):
    _upload(user_client, "Foo,Bar\n1,2\n")

    body = _submit(user_client, "import", {}).content.decode()

    assert "Choose which column holds the name." in body
    assert Account.objects.count() == 0


def test_100000_rows_are_refused_with_the_limit(user_client):
    text = "Company name,Domain\n" + "".join(f"Company {n},c{n}.example\n" for n in range(100_000))

    body = _upload(user_client, text).content.decode()

    assert "The file has 100,000 rows; Ruby imports up to 10,000 rows at a time." in body
    assert Account.objects.count() == 0


def test_formula_looking_cells_are_stored_as_plain_text_and_said_so(user_client, workspace):
    _upload(user_client, 'Company name,Domain\n"=HYPERLINK(""http://evil.example"",""x"")",northwind.example\n')

    body = _submit(user_client, "import", {0: "name", 1: "domain"}).content.decode()

    assert Account.objects.get().name == '=HYPERLINK("http://evil.example","x")'
    assert "Imported 1 account" in body


def test_formula_cells_are_reported_on_the_dry_run(user_client):
    _upload(user_client, "Company name,Domain\n=1+2,northwind.example\n")

    body = _submit(user_client, "dry_run", {0: "name", 1: "domain"}).content.decode()

    assert "1 cell looks like a spreadsheet formula; Ruby stores it as plain text and never runs it." in body


def test_imported_accounts_link_the_existing_meetings_at_once(user_client, user, workspace):
    event = EventFactory(connection=ConnectionFactory(user=user))
    AttendeeFactory(event=event, email="dana@northwind.example")
    _upload(user_client, HUBSPOT_COMPANIES)

    _submit(user_client, "import", {1: "name", 2: "domain"})

    event.refresh_from_db()
    assert event.account.domain == "northwind.example"


def test_the_import_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert _upload(client, HUBSPOT_COMPANIES).status_code == 403


def test_a_user_of_another_workspace_cannot_use_the_import(client, user, outsider):
    client.force_login(user)
    _upload(client, HUBSPOT_COMPANIES)
    client.force_login(outsider)  # a new session: nothing pending for them

    response = client.post("/deals/import/preview/", {"action": "import", "col_1": "name"})

    assert response.status_code == 302 and Account.objects.count() == 0


def test_without_a_workspace_the_import_is_a_404(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(workspace=False))

    assert client.get("/deals/import/").status_code == 404
