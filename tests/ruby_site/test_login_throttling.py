"""Issue 16: failed-login limits live in a cache every process shares, keyed per account and per IP."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.factories import UserFactory

PASSWORD = "a-long-pass-phrase-9"
TOO_MANY = "Too many failed login attempts"


def login(client, email, password, ip="203.0.113.7"):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_limit_counters_live_in_the_shared_database_cache(client):
    UserFactory(email="ana@northwind.io", password=PASSWORD)
    login(client, "ana@northwind.io", "wrong")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ruby_cache")
        assert cursor.fetchone()[0] >= 1  # another process reads the same row


@pytest.mark.django_db
def test_one_accounts_failures_lock_that_account_only_not_colleagues_behind_the_same_ip(client):
    UserFactory(email="ana@northwind.io", password=PASSWORD)
    UserFactory(email="bo@northwind.io", password=PASSWORD)
    for _ in range(5):
        assert TOO_MANY not in login(client, "ana@northwind.io", "wrong").content.decode()
    for _ in range(10):  # Ana keeps trying (a script, a stuck password manager)
        assert TOO_MANY in login(client, "ana@northwind.io", "wrong").content.decode()

    assert TOO_MANY in login(client, "ana@northwind.io", PASSWORD).content.decode()
    response = login(client, "bo@northwind.io", PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_many_failures_from_one_ip_across_accounts_are_limited(client):
    for n in range(60):
        login(client, f"nobody{n}@northwind.io", "wrong")
    assert TOO_MANY in login(client, "nobody-else@northwind.io", "wrong").content.decode()
