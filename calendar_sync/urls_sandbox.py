from django.urls import path

from calendar_sync.sandbox import views

# Always routed; every view answers 404 unless MICROSOFT_SANDBOX is on (DEBUG only).
urlpatterns = [
    path("sandbox/microsoft/authorize", views.sandbox_authorize, name="sandbox_authorize"),
    path("sandbox/microsoft/consent", views.sandbox_consent, name="sandbox_consent"),
    path("sandbox/microsoft/revoke", views.sandbox_revoke, name="sandbox_revoke"),
    path("sandbox/microsoft/change-meeting", views.sandbox_change_meeting, name="sandbox_change_meeting"),
    path("sandbox/microsoft/lifecycle", views.sandbox_lifecycle, name="sandbox_lifecycle"),
]
