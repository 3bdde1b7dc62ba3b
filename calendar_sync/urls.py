from django.urls import path

from calendar_sync import views

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/events/<int:pk>/", views.event_detail, name="event_detail"),
]
