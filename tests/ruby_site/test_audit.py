import pytest

from ruby_site.models import AuditEntry
from ruby_site.services import audit_record
from tests.factories import ConnectionFactory


@pytest.fixture
def entry(user):
    return audit_record(action=AuditEntry.Action.DISABLE, actor=user, obj=ConnectionFactory(user=user), reason="r")


def test_audit_entry_describes_object_by_type_and_id(entry):
    assert entry.object_type == "calendar_sync.CalendarConnection"
    assert entry.object_id.isdigit()


def test_saving_an_existing_audit_entry_raises(entry):
    entry.reason = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "r"


def test_deleting_an_audit_entry_raises(entry):
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_queryset_update_of_audit_entries_raises(entry):
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    assert AuditEntry.objects.get(pk=entry.pk).reason == "r"


def test_queryset_delete_of_audit_entries_raises(entry):
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1


def test_audit_entries_are_listed_and_filterable_in_the_admin(admin_client, entry):
    response = admin_client.get("/admin/ruby_site/auditentry/", {"action__exact": "disable"})
    assert response.status_code == 200
    assert "Disabled by support" in response.content.decode()
    response = admin_client.get("/admin/ruby_site/auditentry/", {"action__exact": "purge"})
    assert "0 audit entries" in response.content.decode()


def test_audit_list_names_the_object_in_one_column(admin_client, entry):
    page = admin_client.get("/admin/ruby_site/auditentry/").content.decode()

    assert f"CalendarConnection #{entry.object_id}" in page
