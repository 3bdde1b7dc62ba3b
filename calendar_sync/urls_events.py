from django.urls import path

from calendar_sync.views import events

urlpatterns = [
    path("calendar/", events.calendar, name="calendar"),
    path("calendar/layout/", events.calendar_layout, name="calendar_layout"),
    path("calendar/events/<int:pk>/", events.event_detail, name="event_detail"),
    path("calendar/events/<int:pk>/discard/", events.event_discard, name="event_discard"),
    path("calendar/events/<int:pk>/restore/", events.event_restore, name="event_restore"),
    path("calendar/events/<int:pk>/process/", events.event_process, name="event_process"),
    path("calendar/events/<int:pk>/assign/", events.event_assign, name="event_assign"),
    path("calendar/events/<int:pk>/unassign/", events.event_unassign, name="event_unassign"),
]
