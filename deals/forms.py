from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from deals.models import Account, Contact, Deal
from ruby_site.forms import clean_domain
from ruby_site.selectors import workspace_members


class WorkspaceScopedForm(forms.ModelForm):
    """A model form whose related-object choices only ever offer the workspace's own rows."""

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if "account" in self.fields:
            self.fields["account"].queryset = Account.objects.filter(workspace=workspace).order_by("name")
        for name in ("owner", "team"):
            if name in self.fields:
                self.fields[name].queryset = workspace_members(workspace)

    def _required_text(self, name: str, label: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            raise ValidationError(f"{label} cannot be empty.")
        return value


class AccountForm(WorkspaceScopedForm):
    class Meta:
        model = Account
        fields = ["name", "domain"]
        error_messages = {"name": {"required": "The account name cannot be empty."}}

    def clean_name(self):
        return self._required_text("name", "The account name")

    def clean_domain(self):
        domain = clean_domain(self.cleaned_data.get("domain", ""))
        if (
            domain
            and Account.objects.filter(workspace=self.workspace, domain__iexact=domain)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise ValidationError(f"Another account already uses the domain {domain}.")
        return domain


class ContactForm(WorkspaceScopedForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "title", "account"]
        error_messages = {
            "name": {"required": "The contact's name cannot be empty."},
            "email": {"required": "The contact's email cannot be empty."},
        }

    def clean_name(self):
        return self._required_text("name", "The contact's name")

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        if Contact.objects.filter(workspace=self.workspace, email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"A contact with the email {email} already exists.")
        return email


class DealForm(WorkspaceScopedForm):
    class Meta:
        model = Deal
        fields = ["name", "account", "stage", "amount", "close_date", "owner", "team"]
        widgets = {"close_date": forms.DateInput(attrs={"type": "date"}), "team": forms.CheckboxSelectMultiple}
        help_texts = {"team": "Team members see this deal's meetings (with the default visibility)."}
        error_messages = {"name": {"required": "The deal name cannot be empty."}}

    def clean_name(self):
        return self._required_text("name", "The deal name")

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount < 0:
            raise ValidationError("The amount cannot be negative.")
        return amount
