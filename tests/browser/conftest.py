"""Headless Chromium (Debian's, never a downloaded one) driven through Playwright's sync API.

Playwright's sync API runs an asyncio event loop in this thread, and Django refuses database
access from a thread with a running loop unless told it is safe; in tests it is (the queries are
the test's own, made between browser steps).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import pytest

from tests.browser.helpers import PROBLEMS, PageProblems

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, *, width: int = 1280, height: int = 900):
    """A page in a fresh context (its own cookies) whose `problems` collects what went wrong;
    close it with `page.context.close()`."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = PageProblems()
    page.on(
        "console",
        lambda message: problems.console.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.exceptions.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.failed.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on(
        "requestfailed",
        # A load the page itself called off (the viewer moved on before a prefetch finished) is
        # no failure.
        lambda request: (
            problems.failed.append(f"{request.failure} {request.url}")
            if request.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    PROBLEMS[page] = problems
    # Tests written before problems_of() read the attribute; the types know only problems_of().
    page.problems = problems
    return page


@pytest.fixture
def page(browser) -> Iterator:
    page = new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def open_page(browser) -> Iterator:
    """Opens more pages (another browser, a phone-sized window): `open_page(width=390)`."""
    pages = []

    def opener(**viewport):
        pages.append(new_page(browser, **viewport))
        return pages[-1]

    try:
        yield opener
    finally:
        for opened in pages:
            opened.context.close()


@pytest.fixture
def serialized_db(live_server) -> Iterator:
    """A lock that takes turns on the database between the live server and the test.

    On SQLite the test database lives in memory, and the live server's request threads share the
    test's one connection. Two threads inside SQLite at once can deadlock (a query calling back
    into Python, e.g. a check constraint on a duration, waits for the GIL while another thread
    holds the GIL and waits for SQLite's lock), so on SQLite each request runs whole under this
    lock, and the test takes it for its own queries while the page may still be loading. With
    PostgreSQL every thread has its own connection and the lock is a no-op.
    """
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabase

    connection = connections[DEFAULT_DB_ALIAS]
    if not (isinstance(connection, SQLiteDatabase) and connection.is_in_memory_db()):
        yield contextlib.nullcontext()
        return
    lock = threading.Lock()
    httpd = live_server.thread.httpd
    app = httpd.get_app()

    def one_at_a_time(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                body = b"".join(result)  # streamed files too: closing sends request_finished
            finally:
                if hasattr(result, "close"):
                    result.close()
        return [body]

    httpd.set_app(one_at_a_time)
    try:
        yield lock
    finally:
        # Wait for a request the page still has in flight (an image, a thumbnail): the database
        # is flushed next, and a request inside SQLite then fails the flush with "table is locked".
        with lock:
            httpd.set_app(app)
