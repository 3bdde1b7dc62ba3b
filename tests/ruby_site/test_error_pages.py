"""With DEBUG off, errors are pages in plain words: never a stack trace, an exception text or a setting."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PRODUCTION = override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"])


def _assert_plain(page: str) -> None:
    for leak in ("Traceback", 'File "', "Exception", "SECRET_KEY", "DATABASES", "Request Method", "settings.py"):
        assert leak not in page
    assert "support@heyruby.io" in page


@PRODUCTION
def test_unknown_page_is_a_plain_404(user_client):
    response = user_client.get("/no/such/page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    _assert_plain(page)


@PRODUCTION
def test_other_workspaces_object_is_a_plain_404_without_the_internal_reason(outsider_client, user):
    from tests.factories import ConnectionFactory

    connection = ConnectionFactory(user=user)

    response = outsider_client.get(f"/calendar/connections/{connection.pk}/sync/status/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "No such calendar connection" not in page  # the Http404 text is for logs, not for people
    _assert_plain(page)


@PRODUCTION
def test_a_crash_is_a_plain_500(user, monkeypatch):
    from calendar_sync.views import connection as views

    def boom(**kwargs):
        raise RuntimeError("secret internals: token=abc123")

    monkeypatch.setattr(views, "integrations_context", boom)
    client = Client(raise_request_exception=False)
    client.force_login(user)

    response = client.get("/settings/integrations/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "abc123" not in page and "RuntimeError" not in page
    _assert_plain(page)


@PRODUCTION
def test_a_post_without_csrf_token_is_a_plain_403(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/settings/integrations/outlook/connect/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page and "Nothing was changed" in page
    _assert_plain(page)


@PRODUCTION
def test_a_bad_host_is_a_plain_400(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ruby could not read this request" in page
    _assert_plain(page)
