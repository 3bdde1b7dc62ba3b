from django.urls import path

from calendar_sync.views import events

urlpatterns = [
    path("calendar/", events.calendar, name="calendar"),
    path("calendar/events/<int:pk>/", events.event_detail, name="event_detail"),
]
