from django.urls import path

from transcripts import views, views_home, views_teams

urlpatterns = [
    path("", views_home.home, name="home"),
    path("transcripts/", views.transcript_list, name="transcript_list"),
    path("transcripts/<int:pk>/", views.transcript_detail, name="transcript_detail"),
    path("transcripts/<int:pk>/confirm/", views.transcript_confirm, name="transcript_confirm"),
    path("transcripts/<int:pk>/change/", views.transcript_change, name="transcript_change"),
    path("transcripts/<int:pk>/clear/", views.transcript_clear, name="transcript_clear"),
    path("transcripts/<int:pk>/auto/", views.transcript_auto, name="transcript_auto"),
    path("transcripts/<int:pk>/deal/", views.transcript_deal, name="transcript_deal"),
    path("settings/transcript-sources/", views.transcript_sources, name="transcript_sources"),
    path(
        "settings/transcript-sources/<str:source>/enable/",
        views.transcript_source_enable,
        name="transcript_source_enable",
    ),
    path(
        "settings/transcript-sources/<str:source>/disable/",
        views.transcript_source_disable,
        name="transcript_source_disable",
    ),
    path(
        "settings/transcript-sources/<str:source>/secret/",
        views.transcript_source_secret,
        name="transcript_source_secret",
    ),
    path(
        "settings/transcript-sources/<str:source>/stop-old-secret/",
        views.transcript_source_stop_old,
        name="transcript_source_stop_old",
    ),
    path("settings/integrations/teams/connect/", views_teams.teams_connect, name="teams_transcripts_connect"),
    path("settings/integrations/teams/callback/", views_teams.teams_callback, name="teams_transcripts_callback"),
    path("settings/integrations/teams/disconnect/", views_teams.teams_disconnect, name="teams_transcripts_disconnect"),
    path("settings/integrations/teams/fetch/", views_teams.teams_fetch_now, name="teams_transcripts_fetch"),
    path("webhooks/transcripts/<str:source>/<str:token>/", views.transcript_webhook, name="transcript_webhook"),
]
