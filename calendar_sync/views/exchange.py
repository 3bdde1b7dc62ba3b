"""calendar_sync views: connecting and disconnecting an Exchange (on-premise) calendar (issue 13)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from calendar_sync.forms_exchange import ExchangeConnectForm
from calendar_sync.models import CalendarConnection
from calendar_sync.sandbox.ews import SANDBOX_PASSWORD, SANDBOX_URL
from calendar_sync.selectors.connection import connection_for
from calendar_sync.services.exchange import ExchangeConnectRefused, exchange_connect
from ruby_site.access import member_required


def _initial(request) -> dict:
    existing = connection_for(request.user, CalendarConnection.Provider.EXCHANGE)
    initial = {"email": request.user.email}
    if existing is not None and existing.server_url:  # Reconnect: where, not who (the password is never shown)
        initial.update(server_url=existing.server_url, version=existing.server_version or "detect")
        initial["auth"] = existing.server_auth or "ntlm"
    return initial


@sensitive_post_parameters("password")
@member_required
@require_http_methods(["GET", "POST"])
def exchange_connect_view(request):
    form = ExchangeConnectForm(request.POST or None, initial=_initial(request))
    refused = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connection = exchange_connect(
                user=request.user,
                workspace=request.workspace,
                email=data["email"],
                username=data["username"],
                password=data["password"],
                server_url=data["server_url"],
                find_server=data["find_server"],
                version=data["version"],
                auth=data["auth"],
            )
        except ExchangeConnectRefused as exc:
            refused = str(exc)
        else:
            messages.success(request, f"Exchange is connected as {connection.email}.")
            return redirect("settings_integrations")
    context = {
        "form": form,
        "refused": refused,
        "section": "integrations",
        "exchange_sandbox_url": SANDBOX_URL if settings.EXCHANGE_SANDBOX else "",
        "exchange_sandbox_password": SANDBOX_PASSWORD if settings.EXCHANGE_SANDBOX else "",
    }
    return render(request, "calendar_sync/exchange_connect.html", context)
