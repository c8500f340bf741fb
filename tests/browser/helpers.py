"""Steps every browser test takes."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.helpers import PASSWORD


def log_in(page: Page, live_server, next_path: str, username: str = "anna") -> None:
    """Through the real login form, landing on `next_path`."""
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")
