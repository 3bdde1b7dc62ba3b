from django import forms

from calendar_sync.models import CalendarConnection


class SyncOptionsForm(forms.ModelForm):
    class Meta:
        model = CalendarConnection
        fields = ["sync_private", "sync_only_online"]
