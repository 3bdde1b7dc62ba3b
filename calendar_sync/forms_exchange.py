"""The Exchange (on-premise) connect form (issue 13). Only the shape of the input is checked here; the server
URL's safety and the sign-in are the service's (services/exchange.py)."""

from __future__ import annotations

from django import forms

from calendar_sync.providers.ews import AUTH_CHOICES, VERSION_CHOICES


class ExchangeConnectForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    username = forms.CharField(
        label="Username",
        max_length=256,
        help_text="DOMAIN\\user or user@company.com, as you sign in to Outlook on the web.",
    )
    # render_value=False: a password is never sent back to the browser, not even after an error.
    password = forms.CharField(label="Password", max_length=1024, strip=False, widget=forms.PasswordInput())
    server_url = forms.CharField(
        label="Exchange server URL",
        max_length=2048,
        required=False,
        help_text="The EWS endpoint, e.g. https://mail.company.com/EWS/Exchange.asmx",
    )
    find_server = forms.BooleanField(label="Find it for me", required=False, help_text="Uses Exchange autodiscover.")
    version = forms.ChoiceField(label="Version", choices=VERSION_CHOICES, initial="detect")
    auth = forms.ChoiceField(label="Authentication", choices=AUTH_CHOICES, initial="ntlm")

    error_messages = {
        "no_password": "Enter the password of your Exchange account.",
        "no_url": "Enter the Exchange server URL, or tick “Find it for me”.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].error_messages["required"] = self.error_messages["no_password"]

    def clean(self):
        data = super().clean()
        if not data.get("find_server") and not (data.get("server_url") or "").strip():
            self.add_error("server_url", self.error_messages["no_url"])
        return data
