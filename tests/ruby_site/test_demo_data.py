import pytest
from django.core.management import call_command

from calendar_sync.models import CalendarConnection
from deals.models import Account, Contact, Deal
from ruby_site.models import Membership, User, Workspace

MODELS = [Workspace, User, Membership, Account, Contact, Deal, CalendarConnection]


@pytest.mark.django_db
def test_demo_data_twice_creates_nothing_new(capsys):
    call_command("demo_data")
    counts = {model.__name__: model.objects.count() for model in MODELS}

    call_command("demo_data")

    assert {model.__name__: model.objects.count() for model in MODELS} == counts
    assert counts["Account"] >= 3 and counts["Deal"] >= 3
    assert "nothing new" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_data_prints_the_login(capsys):
    call_command("demo_data")

    out = capsys.readouterr().out
    assert "demo@ruby-demo.example" in out
    assert "password" in out
