from __future__ import annotations

from django import forms

from deals.models import Deal


class ChangeMatchForm(forms.Form):
    event = forms.ModelChoiceField(
        queryset=None,
        error_messages={"invalid_choice": "Choose one of the meetings you can see around the transcript's time."},
    )

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events


class AssignDealForm(forms.Form):
    deal = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No deal",
        error_messages={"invalid_choice": "Choose one of this workspace's deals."},
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal"].queryset = Deal.objects.filter(workspace=workspace).order_by("name")


def credentials_form_class(fields, *, saved: set[str]):
    """A form for a source's CREDENTIAL_FIELDS (protocol.CredentialField), labelled in the vendor's own words.

    Secrets are password inputs that never render their value; a field already saved may be left empty to keep it.
    """
    form_fields = {}
    for spec in fields:
        form_fields[spec.name] = forms.CharField(
            label=spec.label,
            help_text=spec.help,
            required=spec.required and spec.name not in saved,
            min_length=spec.min_length or None,
            max_length=spec.max_length,
            strip=True,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            if spec.secret
            else forms.TextInput(attrs={"autocomplete": "off"}),
        )
    return type("CredentialsForm", (forms.Form,), form_fields)
