"""Steps shared by the browser tests. Each takes the Playwright page and the live server's base URL, so the
integration flows (sign up → connect in the sandbox → sync) can be added as more helpers of the same shape."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect


def login(page: Page, base_url: str, email: str, password: str) -> None:
    """Log in through the real login page."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    # The form holding the password field: the page may also carry a "Sign in with Microsoft" form.
    page.click("form:has(input[name=password]) button[type=submit]")
    expect(page.locator(".who")).to_contain_text(email)


def logout(page: Page) -> None:
    page.click(".who button:has-text('Log out')")


def signup(page: Page, base_url: str, *, email: str, password: str, workspace_name: str = "", first_name: str = ""):
    """Sign up through the real signup page (a new workspace when workspace_name is given)."""
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("input[name=email]", email)
    if first_name:
        page.fill("input[name=first_name]", first_name)
    if workspace_name:
        page.fill("input[name=workspace_name]", workspace_name)
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.click("form:has(input[name=password1]) button[type=submit]")


def open_calendar(page: Page, base_url: str, view: str = "upcoming") -> None:
    page.goto(f"{base_url}/calendar/?view={view}")
    expect(page.locator("h1")).to_have_text("Calendar")


def meeting_row(page: Page, subject: str):
    return page.locator("article.event-row", has=page.locator("h3", has_text=subject))


def screenshot(page: Page, artifacts: Path, name: str, *, widths: tuple[int, ...] = ()) -> list[Path]:
    """Full-page screenshots into test-artifacts/ (gitignored): as is, and at each extra viewport width."""
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    paths = [path]
    original = page.viewport_size
    for width in widths:
        page.set_viewport_size({"width": width, "height": 844})
        paths.append(artifacts / f"{name}-{width}px.png")
        page.screenshot(path=str(paths[-1]), full_page=True)
    if widths and original:
        page.set_viewport_size(original)
    return paths
