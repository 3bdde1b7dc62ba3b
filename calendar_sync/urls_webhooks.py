from django.urls import path

from calendar_sync.views import webhooks

urlpatterns = [
    path("webhooks/microsoft/notifications/", webhooks.microsoft_notifications, name="microsoft_notifications"),
    path("webhooks/microsoft/lifecycle/", webhooks.microsoft_notifications, name="microsoft_lifecycle"),
]
