from django.urls import path

from transcripts import views

urlpatterns = [
    path("transcripts/", views.transcript_list, name="transcript_list"),
    path("settings/transcript-sources/", views.transcript_sources, name="transcript_sources"),
]
