"""What browser tests share: logging in through the real login form."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.helpers import PASSWORD


def log_in(page: Page, live_server, username: str, next_path: str = "/") -> None:
    """Through the real login form, landing on `next_path`."""
    suffix = f"?next={next_path}" if next_path != "/" else ""
    page.goto(f"{live_server.url}/accounts/login/{suffix}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")
