from django.urls import path

from calendar_sync.views import sync

urlpatterns = [
    path("calendar/connections/<int:pk>/sync/", sync.sync_now, name="sync_now"),
    path("calendar/connections/<int:pk>/sync/status/", sync.sync_status, name="sync_status"),
    path("calendar/connections/<int:pk>/sync/options/", sync.sync_options, name="sync_options"),
]
