"""Settings fail loudly at start with production-like environments; check --deploy passes."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-production-like-secret-key-for-the-deploy-check-only",
    "ALLOWED_HOSTS": "app.heyruby.io",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "EMAIL_HOST": "smtp.example.com",
    "DATABASE_URL": "sqlite:////tmp/ruby-deploy-check.sqlite3",
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MICROSOFT_", "DJANGO_SETTINGS", "DJANGO_ALLOW"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_fails_at_start_naming_it():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_sandbox_is_refused_when_debug_is_off():
    result = _manage("check", env={**PRODUCTION_ENV, "MICROSOFT_SANDBOX": "1"})
    assert result.returncode != 0
    assert "MICROSOFT_SANDBOX" in result.stderr


def test_malformed_encryption_key_fails_at_start_naming_it():
    result = _manage("check", env={**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEY": "not-a-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in result.stderr


def test_failure_message_is_one_plain_line_not_a_traceback():
    result = _manage("check", env={**PRODUCTION_ENV, "DATABASE_URL": "mysql://x"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr
