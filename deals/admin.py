from django.contrib import admin

from deals.models import Account, Contact, Deal


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "workspace", "created_at"]
    list_filter = ["workspace"]
    search_fields = ["name", "domain"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "title", "account", "workspace"]
    list_filter = ["workspace"]
    search_fields = ["name", "email", "account__name"]
    list_select_related = ["account", "workspace"]
    raw_id_fields = ["account"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "stage", "amount", "close_date", "owner", "workspace"]
    list_filter = ["stage", "workspace"]
    search_fields = ["name", "account__name", "account__domain"]
    list_select_related = ["account", "owner", "workspace"]
    raw_id_fields = ["account", "owner"]
    filter_horizontal = ["team"]
