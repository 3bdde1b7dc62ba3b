from django.urls import path

from calendar_sync.views import suggestions

urlpatterns = [
    path("calendar/suggestions/", suggestions.suggestion_list, name="suggestion_list"),
    path("calendar/suggestions/accounts/", suggestions.suggestion_account_accept, name="suggestion_account_accept"),
    path("calendar/suggestions/dismiss/", suggestions.suggestion_dismiss, name="suggestion_dismiss"),
    path("calendar/suggestions/contacts/", suggestions.suggestion_contact_accept, name="suggestion_contact_accept"),
]
