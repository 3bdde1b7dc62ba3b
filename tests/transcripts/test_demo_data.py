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


SANDBOX = dict(
    MICROSOFT_SANDBOX=True,
    MICROSOFT_CLIENT_ID="ruby-sandbox-client",
    MICROSOFT_CLIENT_SECRET="ruby-sandbox-secret",
    MICROSOFT_ENABLED=True,
)


@pytest.mark.django_db
def test_demo_data_in_the_sandbox_connects_syncs_and_matches_demo_transcripts(settings, capsys):
    from calendar_sync.models import CalendarEvent, SyncRun
    from transcripts.models import Transcript

    for key, value in SANDBOX.items():
        setattr(settings, key, value)

    call_command("demo_data")

    connection = CalendarConnection.objects.get(user__email="demo@ruby-demo.example")
    assert connection.status == CalendarConnection.Status.CONNECTED
    assert CalendarEvent.objects.filter(connection=connection).count() > 5
    statuses = sorted(Transcript.objects.values_list("match_status", flat=True))
    assert statuses.count("matched") == 2 and "ambiguous" in statuses
    counts = (CalendarEvent.objects.count(), Transcript.objects.count(), SyncRun.objects.count())

    call_command("demo_data")

    assert (CalendarEvent.objects.count(), Transcript.objects.count(), SyncRun.objects.count()) == counts


@pytest.mark.django_db
def test_demo_data_prints_the_port_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("PORT", "8114")

    call_command("demo_data")

    assert "Log in at http://127.0.0.1:8114/accounts/login/" in capsys.readouterr().out
