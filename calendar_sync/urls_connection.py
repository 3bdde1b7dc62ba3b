from django.urls import path

from calendar_sync.views import connection, exchange

urlpatterns = [
    path("settings/integrations/", connection.settings_integrations, name="settings_integrations"),
    path("settings/integrations/outlook/connect/", connection.outlook_connect, name="outlook_connect"),
    path("settings/integrations/outlook/callback/", connection.outlook_callback, name="outlook_callback"),
    path("settings/integrations/outlook/result/", connection.outlook_connect_result, name="outlook_connect_result"),
    path("settings/integrations/exchange/connect/", exchange.exchange_connect_view, name="exchange_connect"),
]
