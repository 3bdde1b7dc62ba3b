from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from ruby_site import views, views_signup


class FaviconRedirect(RedirectView):
    # Resolved per request: the manifest storage knows the hashed name only once collectstatic ran.
    def get_redirect_url(self, *args, **kwargs):
        return static("img/favicon.svg")


urlpatterns = [
    path("accounts/signup/", views_signup.signup, name="account_signup"),
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
    # Browsers ask for /favicon.ico whatever the page links; answer with the static icon, not a 404.
    path("favicon.ico", FaviconRedirect.as_view()),
]

admin.site.site_header = "Ruby support"
admin.site.site_title = "Ruby support"
admin.site.index_title = "Support console"
