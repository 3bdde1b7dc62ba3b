"""Browser tests: Playwright (pytest-playwright) driving Debian's Chromium against pytest-django's live_server.

Playwright's own browser download does not work on these machines, so the launch points at /usr/bin/chromium
(`apt-get install -y chromium`). Without it the tests skip with a clear message locally; in CI (CI=true) a
missing browser is a failure, never a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there (factories,
# the test database set-up) unless told it is fine. Set at import, before any fixture runs, so
# `pytest tests/e2e` alone works too; tests that start subprocesses drop it from their environment.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("RUBY_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` to run browser tests."
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    _require_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    }


@pytest.fixture(autouse=True)
def _chromium_present():
    # Also checked per test, so a test that does not touch `page` first still skips/fails with the message.
    _require_chromium()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page
