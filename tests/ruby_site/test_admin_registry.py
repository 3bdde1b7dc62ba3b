"""Support staff can find every record in the admin."""

import pytest
from django.apps import apps
from django.contrib import admin

APPS = ["ruby_site", "deals", "calendar_sync", "transcripts"]


@pytest.mark.parametrize("model", [m for app in APPS for m in apps.get_app_config(app).get_models()], ids=str)
def test_every_model_is_registered_in_the_admin_with_filters(model):
    model_admin = admin.site._registry.get(model)

    assert model_admin is not None, f"{model.__name__} is not in the admin"
    assert model_admin.list_filter, f"{model.__name__} has no filters in the admin"
