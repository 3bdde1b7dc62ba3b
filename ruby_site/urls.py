from django.contrib import admin
from django.urls import include, path

from ruby_site import views

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/", views.settings_profile, name="settings_profile"),
    path("settings/workspace/", views.settings_workspace, name="settings_workspace"),
    path("settings/members/", views.settings_members, name="settings_members"),
    path("settings/members/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("privacy/", views.privacy, name="privacy"),
    path("", include("deals.urls")),
    path("", include("calendar_sync.urls")),
    path("", include("transcripts.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Ruby support"
admin.site.site_title = "Ruby support"
admin.site.index_title = "Support console"
