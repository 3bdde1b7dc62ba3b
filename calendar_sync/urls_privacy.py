from django.urls import path

from calendar_sync.views import privacy

urlpatterns = [
    path(
        "settings/integrations/outlook/disconnect/",
        privacy.connection_disconnect_view,
        name="connection_disconnect",
    ),
    path(
        "settings/integrations/exchange/disconnect/",
        privacy.connection_disconnect_view,
        {"provider": "exchange"},
        name="exchange_disconnect",
    ),
]
