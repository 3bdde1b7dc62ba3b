"""Reading a CSV of accounts, contacts or deals (HubSpot and Salesforce export column names understood) into
checked rows — nothing here writes. deals.services.csv_import_apply stores them, all or nothing.

Every problem is a sentence a seller understands, with its row number as the spreadsheet shows it (the header is
row 1). Formula-looking cells (=HYPERLINK(…), +, -, @) are kept as plain text: Ruby never evaluates them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from deals.models import Account, Contact, Deal
from ruby_site.forms import clean_domain

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
FORMULA_START = ("=", "+", "-", "@")

# Ruby field → the column names HubSpot and Salesforce exports use (compared case- and space-insensitively).
COLUMNS = {
    "accounts": {
        "name": ["Company name", "Account Name", "Name", "Company"],
        "domain": ["Company Domain Name", "Domain", "Website", "Website URL"],
    },
    "contacts": {
        "first_name": ["First Name", "First name"],
        "last_name": ["Last Name", "Last name"],
        "name": ["Name", "Full Name", "Contact Name"],
        "email": ["Email", "Email Address", "E-mail"],
        "title": ["Job Title", "Title"],
        "account": ["Company Name", "Company", "Account Name", "Associated Company"],
    },
    "deals": {
        "name": ["Deal Name", "Opportunity Name", "Name"],
        "stage": ["Deal Stage", "Stage"],
        "amount": ["Amount"],
        "close_date": ["Close Date"],
        "account": ["Associated Company", "Account Name", "Company Name", "Company"],
    },
}
LABELS = {
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "title": "Job title",
    "domain": "Domain",
    "account": "Account (by name)",
    "stage": "Stage",
    "amount": "Amount",
    "close_date": "Close date",
}
# HubSpot's default pipeline and Salesforce's default opportunity stages, by label and internal name.
STAGES = {
    "appointmentscheduled": Deal.Stage.QUALIFICATION,
    "appointment scheduled": Deal.Stage.QUALIFICATION,
    "prospecting": Deal.Stage.QUALIFICATION,
    "qualification": Deal.Stage.QUALIFICATION,
    "qualifiedtobuy": Deal.Stage.DISCOVERY,
    "qualified to buy": Deal.Stage.DISCOVERY,
    "needs analysis": Deal.Stage.DISCOVERY,
    "value proposition": Deal.Stage.DISCOVERY,
    "discovery": Deal.Stage.DISCOVERY,
    "presentationscheduled": Deal.Stage.PROPOSAL,
    "presentation scheduled": Deal.Stage.PROPOSAL,
    "decisionmakerboughtin": Deal.Stage.PROPOSAL,
    "decision maker bought-in": Deal.Stage.PROPOSAL,
    "id. decision makers": Deal.Stage.PROPOSAL,
    "perception analysis": Deal.Stage.PROPOSAL,
    "proposal/price quote": Deal.Stage.PROPOSAL,
    "proposal": Deal.Stage.PROPOSAL,
    "contractsent": Deal.Stage.NEGOTIATION,
    "contract sent": Deal.Stage.NEGOTIATION,
    "negotiation/review": Deal.Stage.NEGOTIATION,
    "negotiation": Deal.Stage.NEGOTIATION,
    "closedwon": Deal.Stage.WON,
    "closed won": Deal.Stage.WON,
    "closedlost": Deal.Stage.LOST,
    "closed lost": Deal.Stage.LOST,
}


class CsvProblem(Exception):
    """The file as a whole cannot be read (encoding, header, size); str() is the user's sentence."""


@dataclass
class Parsed:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Checked:
    kind: str
    objects: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def parse(raw: bytes) -> Parsed:
    if len(raw) > MAX_BYTES:
        raise CsvProblem(f"The file is {len(raw) // (1024 * 1024)} MB; Ruby imports files up to 5 MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvProblem(
            "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)” when saving; "
            "HubSpot and Salesforce exports are UTF-8 already."
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        raise CsvProblem("The file is empty: the first row must name the columns (e.g. Name, Email).")
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        rows.append(row)
        if len(rows) > MAX_ROWS:
            total = len(rows) + sum(1 for r in reader if any(c.strip() for c in r))
            raise CsvProblem(
                f"The file has {total:,} rows; Ruby imports up to {MAX_ROWS:,} rows at a time. "
                "Split it into smaller files and import each."
            )
    if not rows:
        raise CsvProblem("The file has a header row but no rows under it.")
    return Parsed(header=header, rows=rows)


def guess_mapping(kind: str, header: list[str]) -> dict[int, str]:
    """Column index → Ruby field, from the export column names; unknown columns are left out (ignored)."""
    known = {_key(alias): name for name, aliases in COLUMNS[kind].items() for alias in aliases}
    mapping, used = {}, set()
    for index, column in enumerate(header):
        name = known.get(_key(column))
        if name and name not in used:
            mapping[index] = name
            used.add(name)
    return mapping


def check(kind: str, parsed: Parsed, mapping: dict[int, str], *, workspace) -> Checked:
    result = Checked(kind=kind)
    fields = set(mapping.values())
    required = {"accounts": {"name"}, "contacts": {"email"}, "deals": {"name"}}[kind]
    missing = required - fields
    if missing:
        result.errors.append(f"Choose which column holds the {', '.join(LABELS[m].lower() for m in sorted(missing))}.")
        return result
    accounts = {a.name.strip().lower(): a for a in Account.objects.filter(workspace=workspace)}
    seen: dict[str, int] = {}
    for number, row in enumerate(parsed.rows, start=2):
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in mapping.items()}
        for name, value in values.items():
            if value.startswith(FORMULA_START) and len(value) > 1 and not _is_number(value):
                result.formulas.append(f"Row {number}, {LABELS[name].lower()}: “{value[:40]}” is kept as plain text.")
        try:
            obj, unique = _build(kind, values, workspace=workspace, accounts=accounts)
        except ValidationError as exc:
            result.errors.append(f"Row {number}: {' '.join(exc.messages)}")
            continue
        if unique:
            if unique in seen:
                result.errors.append(f"Row {number}: {unique} is also on row {seen[unique]}; each may appear once.")
                continue
            seen[unique] = number
        result.objects.append(obj)
    _against_existing(kind, result, workspace=workspace, seen=seen)
    return result


def _is_number(value: str) -> bool:
    try:
        Decimal(value.replace(",", ""))
        return True
    except InvalidOperation:
        return False


def _build(kind: str, values: dict[str, str], *, workspace, accounts):
    if kind == "accounts":
        name = values.get("name", "")
        if not name:
            raise ValidationError("the account name is empty.")
        domain = values.get("domain", "")
        domain = re.sub(r"^(https?://)?(www\.)?", "", domain.lower()).split("/")[0]
        try:
            domain = clean_domain(domain)
        except ValidationError as exc:
            raise ValidationError(f"the domain {exc.messages[0]}") from exc
        return Account(workspace=workspace, name=name[:200], domain=domain), domain or None
    if kind == "contacts":
        email = values.get("email", "").lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError(f"“{email}” is not an email address." if email else "the email is empty.") from exc
        name = values.get("name") or " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
        account = _account(values.get("account", ""), accounts)
        contact = Contact(workspace=workspace, name=(name or email.split("@")[0])[:200], email=email, account=account)
        contact.title = values.get("title", "")[:200]
        return contact, email
    name = values.get("name", "")
    if not name:
        raise ValidationError("the deal name is empty.")
    stage_text = values.get("stage", "")
    stage = STAGES.get(_key(stage_text), Deal.Stage.QUALIFICATION if not stage_text else None)
    if stage is None:
        raise ValidationError(f"the stage “{stage_text}” is not one Ruby knows (e.g. Qualification, Closed won).")
    deal = Deal(
        workspace=workspace, name=name[:200], stage=stage, account=_account(values.get("account", ""), accounts)
    )
    deal.amount = _amount(values.get("amount", ""))
    deal.close_date = _date(values.get("close_date", ""))
    return deal, None


def _account(name: str, accounts) -> Account | None:
    if not name:
        return None
    account = accounts.get(name.strip().lower())
    if account is None:
        raise ValidationError(f"there is no account named “{name}”; import or create the accounts first.")
    return account


def _amount(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        amount = Decimal(re.sub(r"[^\d.\-]", "", text))
    except InvalidOperation as exc:
        raise ValidationError(f"the amount “{text}” is not a number.") from exc
    if amount < 0:
        raise ValidationError("the amount cannot be negative.")
    return amount


def _date(text: str) -> date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"the close date “{text}” is not a date like 2027-01-31 or 01/31/2027.")


def _against_existing(kind: str, result: Checked, *, workspace, seen: dict[str, int]) -> None:
    if kind == "accounts":
        taken = Account.objects.filter(workspace=workspace, domain__in=[k for k in seen if k])
        for domain in sorted(taken.values_list("domain", flat=True)):
            result.errors.append(f"Row {seen[domain]}: another account already uses the domain {domain}.")
    elif kind == "contacts":
        taken = Contact.objects.filter(workspace=workspace, email__in=list(seen))
        for email in sorted(taken.values_list("email", flat=True)):
            result.errors.append(f"Row {seen[email]}: a contact with the email {email} already exists.")
