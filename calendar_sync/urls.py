from django.urls import include, path

# One URL module per area so the connection, sync, calendar and privacy work stay apart.
urlpatterns = [
    path("", include("calendar_sync.urls_connection")),
    path("", include("calendar_sync.urls_sync")),
    path("", include("calendar_sync.urls_events")),
    path("", include("calendar_sync.urls_suggestions")),
    path("", include("calendar_sync.urls_privacy")),
    path("", include("calendar_sync.urls_sandbox")),
    path("", include("calendar_sync.urls_webhooks")),
]
