from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from ruby_site.models import TIME_ZONE_CHOICES, Membership, User, Workspace
from ruby_site.timezones import grouped_time_zone_choices

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def clean_domain(value: str) -> str:
    """A bare email domain such as northwind.com — no scheme, path, port or @."""
    domain = value.strip().lower()
    if not domain:
        return ""
    if "://" in domain or "/" in domain or "@" in domain or ":" in domain or " " in domain:
        raise ValidationError(
            f"“{value.strip()}” is not a bare domain. Enter only the domain, like northwind.com "
            "(no https://, no path, no @)."
        )
    domain = domain.rstrip(".")
    if not DOMAIN_RE.match(domain):
        raise ValidationError(f"“{value.strip()}” is not a valid domain such as northwind.com.")
    return domain


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's signup form."""

    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    workspace_name = forms.CharField(
        max_length=120,
        required=False,
        label="Company / workspace name",
        help_text="Your team's workspace in Ruby; you can rename it later.",
    )

    # Filled by static/js/time-zone.js from Intl.DateTimeFormat().resolvedOptions().timeZone; UTC without it.
    time_zone = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def clean_time_zone(self):
        value = (self.cleaned_data.get("time_zone") or "").strip()
        return value if value in zoneinfo.available_timezones() else "UTC"

    def signup(self, request, user):
        user.first_name = self.cleaned_data.get("first_name", "")
        user.last_name = self.cleaned_data.get("last_name", "")
        user.time_zone = self.cleaned_data.get("time_zone") or "UTC"
        user.save(update_fields=["first_name", "last_name", "time_zone"])


class WorkspaceSettingsForm(forms.ModelForm):
    internal_domains_text = forms.CharField(
        label="Internal email domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "One per line or comma-separated. Meetings where every attendee is from these domains are not synced."
        ),
    )

    class Meta:
        model = Workspace
        fields = ["name", "sync_interval_minutes", "event_visibility", "auto_create_from_calendar"]
        labels = {"sync_interval_minutes": "Scheduled sync", "event_visibility": "Who can see calendar events"}
        widgets = {"event_visibility": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["internal_domains_text"] = "\n".join(self.instance.internal_domains)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the workspace a name.")
        return name

    def clean_internal_domains_text(self):
        raw = self.cleaned_data.get("internal_domains_text", "")
        domains, errors = [], []
        for part in re.split(r"[\s,;]+", raw):
            if not part:
                continue
            try:
                domain = clean_domain(part)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
            if domain not in domains:
                domains.append(domain)
        if errors:
            raise ValidationError(errors)
        return domains


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("This person already has a Ruby account; each account belongs to one workspace.")
        return email


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, help_text="Meeting times are shown in this time zone.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = grouped_time_zone_choices()
        current = getattr(self.instance, "time_zone", "")
        if current and current not in {name for _, group in choices[1:] for name, _ in group} | {"UTC"}:
            choices.append(("Other", [(current, current)]))
        self.fields["time_zone"].choices = choices
        self.fields["time_zone"].widget.attrs.update({"class": "tz-picker", "data-searchable": "1"})

    class Meta:
        model = User
        fields = ["first_name", "last_name", "time_zone"]
