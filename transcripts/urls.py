from django.urls import path

from transcripts import views, views_home, views_sources, views_teams, views_webhook

urlpatterns = [
    path("", views_home.home, name="home"),
    path("transcripts/", views.transcript_list, name="transcript_list"),
    path("transcripts/<int:pk>/", views.transcript_detail, name="transcript_detail"),
    path("transcripts/<int:pk>/confirm/", views.transcript_confirm, name="transcript_confirm"),
    path("transcripts/<int:pk>/change/", views.transcript_change, name="transcript_change"),
    path("transcripts/<int:pk>/clear/", views.transcript_clear, name="transcript_clear"),
    path("transcripts/<int:pk>/auto/", views.transcript_auto, name="transcript_auto"),
    path("transcripts/<int:pk>/deal/", views.transcript_deal, name="transcript_deal"),
    path("settings/transcript-sources/", views_sources.transcript_sources, name="transcript_sources"),
]
_ACTIONS = ["save", "test", "fetch", "sandbox", "enable", "disable", "secret", "stop_old"]
urlpatterns += [
    path(
        f"settings/transcript-sources/<str:source>/{action.replace('_', '-')}/",
        getattr(views_sources, f"transcript_source_{action}"),
        name=f"transcript_source_{action}",
    )
    for action in _ACTIONS
]
urlpatterns += [
    path("settings/integrations/teams/connect/", views_teams.teams_connect, name="teams_transcripts_connect"),
    path("settings/integrations/teams/callback/", views_teams.teams_callback, name="teams_transcripts_callback"),
    path("settings/integrations/teams/disconnect/", views_teams.teams_disconnect, name="teams_transcripts_disconnect"),
    path("settings/integrations/teams/fetch/", views_teams.teams_fetch_now, name="teams_transcripts_fetch"),
    path("webhooks/transcripts/<str:source>/<str:token>/", views_webhook.transcript_webhook, name="transcript_webhook"),
]
