"""Factories for every model; tests build exactly the rows they need."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from calendar_sync.models import CalendarConnection, CalendarEvent, EventAttendee, SyncRun
from deals.models import Account, Contact, Deal
from ruby_site.models import Membership, User, Workspace
from transcripts.models import Transcript, TranscriptDelivery, TranscriptSource


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")
    internal_domains = factory.LazyFunction(lambda: ["ruby-demo.example"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@ruby-demo.example")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Seller{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def workspace(self, create, extracted, **kwargs):
        """UserFactory(workspace=ws, role="admin") makes the membership; workspace=False makes none."""
        if not create:
            return
        if extracted is not False:
            role = kwargs.get("role", Membership.Role.MEMBER)
            Membership.objects.create(user=self, workspace=extracted or WorkspaceFactory(), role=role)
        self.save()  # keeps the password set above (skip_postgeneration_save), so force_login sessions hold


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Account {n}")
    domain = factory.Sequence(lambda n: f"account{n}.example")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    account = None


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal
        skip_postgeneration_save = True

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    stage = Deal.Stage.DISCOVERY
    amount = 10000

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if create and extracted:
            self.team.set(extracted)


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarConnection

    user = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda o: o.user.membership.workspace)
    status = CalendarConnection.Status.CONNECTED
    tenant_id = "9188040d-6c67-4c5b-b112-36a304b66dad"
    object_id = factory.Sequence(lambda n: f"00000000-0000-0000-0000-{n:012d}")
    email = factory.LazyAttribute(lambda o: o.user.email)
    connected_at = factory.LazyFunction(timezone.now)


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    connection = factory.SubFactory(ConnectionFactory)
    trigger = SyncRun.Trigger.MANUAL
    status = SyncRun.Status.SUCCEEDED


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarEvent

    connection = factory.SubFactory(ConnectionFactory)
    workspace = factory.LazyAttribute(lambda o: o.connection.workspace)
    owner = factory.LazyAttribute(lambda o: o.connection.user)
    provider_event_id = factory.Sequence(lambda n: f"AAMkAG-event-{n}")
    ical_uid = factory.Sequence(lambda n: f"ical-{n}")
    subject = factory.Sequence(lambda n: f"Meeting {n}")
    starts_at = factory.LazyFunction(
        lambda: timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=30))
    organizer_email = factory.LazyAttribute(lambda o: o.connection.user.email)
    organizer_name = "Sam Seller"


class AttendeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventAttendee

    event = factory.SubFactory(EventFactory)
    email = factory.Sequence(lambda n: f"guest{n}@customer.example")
    name = factory.Sequence(lambda n: f"Guest {n}")
    response = EventAttendee.Response.ACCEPTED


class TranscriptSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TranscriptSource

    workspace = factory.SubFactory(WorkspaceFactory)
    source = "zoom"
    secret = "whsec_test_secret_value"


class TranscriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transcript

    workspace = factory.SubFactory(WorkspaceFactory)
    source = "zoom"
    external_id = factory.Sequence(lambda n: f"zoom-{n}")
    title = factory.Sequence(lambda n: f"Call {n}")
    started_at = factory.LazyFunction(
        lambda: timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=30))
    participants = factory.LazyFunction(list)
    text = "Sam: Hello."


class TranscriptDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TranscriptDelivery

    workspace = factory.SubFactory(WorkspaceFactory)
    source = "zoom"
    body = "{}"
    body_sha256 = factory.Sequence(lambda n: f"{n:064d}")
