from django.urls import path

from deals import views, views_import

urlpatterns = [
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/new/", views.deal_edit, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/accounts/", views.account_list, name="account_list"),
    path("deals/accounts/new/", views.account_edit, name="account_create"),
    path("deals/accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("deals/accounts/<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("deals/contacts/", views.contact_list, name="contact_list"),
    path("deals/contacts/new/", views.contact_edit, name="contact_create"),
    path("deals/contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("deals/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("deals/import/", views_import.csv_upload, name="csv_upload"),
    path("deals/import/preview/", views_import.csv_preview, name="csv_preview"),
]
