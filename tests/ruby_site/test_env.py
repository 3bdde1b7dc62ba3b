from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ruby_site.env import env_bool, env_https_url, parse_database_url

BASE = Path("/srv/ruby")


def test_sqlite_url_relative_to_project():
    assert parse_database_url("sqlite:///db.sqlite3", base_dir=BASE)["NAME"] == "/srv/ruby/db.sqlite3"


def test_sqlite_url_absolute_path():
    assert parse_database_url("sqlite:////tmp/x.sqlite3", base_dir=BASE)["NAME"] == "/tmp/x.sqlite3"


def test_postgres_url_is_parsed():
    db = parse_database_url("postgres://ruby:s%40cret@db.internal:6543/ruby", base_dir=BASE)
    assert (db["ENGINE"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "django.db.backends.postgresql",
        "ruby",
        "s@cret",
        "db.internal",
        "6543",
        "ruby",
    )


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/ruby", "postgres://localhost", "postgres://user@/ruby", "not a url", "sqlite://"],
)
def test_malformed_database_url_is_refused_naming_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        parse_database_url(url, base_dir=BASE)


def test_database_url_error_hides_the_password():
    with pytest.raises(ImproperlyConfigured) as excinfo:
        parse_database_url("postgres://ruby:hunter2@db:notaport/ruby", base_dir=BASE)
    assert "hunter2" not in str(excinfo.value)


def test_bad_boolean_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG", False)


def test_microsoft_urls_must_be_https(monkeypatch):
    monkeypatch.setenv("MICROSOFT_LOGIN_URL", "http://login.example")
    with pytest.raises(ImproperlyConfigured, match="MICROSOFT_LOGIN_URL"):
        env_https_url("MICROSOFT_LOGIN_URL", "https://login.microsoftonline.com")
