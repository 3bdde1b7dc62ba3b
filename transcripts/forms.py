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
