"""What browser tests share: logging in through the real login form, and what went wrong in a
page."""

from __future__ import annotations

from weakref import WeakKeyDictionary

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


class PageProblems:
    """What went wrong in the page: console errors, uncaught exceptions, failed requests."""

    def __init__(self) -> None:
        self.console: list[str] = []
        self.exceptions: list[str] = []
        self.failed: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.console or self.exceptions or self.failed)

    def __repr__(self) -> str:
        return f"console={self.console} exceptions={self.exceptions} failed={self.failed}"


# Filled by the `page` fixture and `new_page` (tests/browser/conftest.py) for every page they open.
PROBLEMS: WeakKeyDictionary[Page, PageProblems] = WeakKeyDictionary()


def problems_of(page: Page) -> PageProblems:
    """What went wrong in a page opened by the `page` fixture or `new_page`."""
    return PROBLEMS[page]
