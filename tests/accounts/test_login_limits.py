"""Failed logins are counted per client address and per username in the shared cache; reaching
either limit locks that address or username out for a while, whatever the password."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import RequestFactory

from labeling.accounts.login_limits import (
    client_address,
    login_failure_record,
    login_lockout_clear,
    login_lockout_get,
    login_success_record,
)


def request_from(remote: str, forwarded: str | None = None):
    meta: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **meta)


# --- The client's address ---------------------------------------------------------------------


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_with_one_trusted_proxy_the_client_is_the_entry_the_proxy_added(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from("10.0.0.2", "198.51.100.1")) == "198.51.100.1"
    # Whatever the client wrote into the header itself stands left of it and is never used.
    spoofed = request_from("10.0.0.2", "1.2.3.4, 5.6.7.8, 198.51.100.1")
    assert client_address(spoofed) == "198.51.100.1"


def test_with_two_trusted_proxies_the_client_is_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = request_from("10.0.0.3", "1.2.3.4, 198.51.100.1, 10.0.0.2")
    assert client_address(request) == "198.51.100.1"


def test_a_request_that_skipped_the_proxies_counts_as_its_connecting_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert client_address(request_from("203.0.113.7")) == "203.0.113.7"


def test_ports_are_dropped_and_ipv6_clients_count_by_their_network(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from("10.0.0.2", "198.51.100.1:51234")) == "198.51.100.1"
    assert client_address(request_from("10.0.0.2", "[2001:db8::1]:443")) == "2001:db8::/64"
    one, other = "2001:db8:0:0:aaaa::1", "2001:db8::bbbb:2"
    assert client_address(request_from(one)) == client_address(request_from(other))
    assert client_address(request_from("::ffff:198.51.100.1")) == "198.51.100.1"


# --- Counting and locking ---------------------------------------------------------------------


def fail(times: int, *, address: str | None, username: str | None):
    lockout = None
    for _ in range(times):
        lockout = login_failure_record(address=address, username=username) or lockout
    return lockout


def test_a_username_is_locked_after_its_limit_from_any_address(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    for i in range(4):
        fail(1, address=f"198.51.100.{i}", username="rita")
    assert login_lockout_get(address="203.0.113.9", username="rita") is None
    lockout = login_failure_record(address="198.51.100.99", username="rita")
    assert lockout is not None and lockout.scope == "username"
    # Every address is refused for rita now, and the same name in other letter case too.
    assert (lockout := login_lockout_get(address="203.0.113.9", username="rita")) is not None
    assert lockout.scope == "username"
    assert login_lockout_get(address="203.0.113.9", username=" Rita ") is not None
    assert login_lockout_get(address="203.0.113.9", username="anna") is None


def test_an_address_is_locked_after_its_limit_for_any_username(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    fail(9, address="198.51.100.1", username=None)
    assert login_lockout_get(address="198.51.100.1", username="anna") is None
    fail(1, address="198.51.100.1", username="user0")
    lockout = login_lockout_get(address="198.51.100.1", username="someone-new")
    assert lockout is not None and lockout.scope == "address"
    assert login_lockout_get(address="198.51.100.2", username="someone-new") is None


def test_spraying_usernames_from_one_address_is_stopped_by_the_address_limit(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    for i in range(10):
        login_failure_record(address="198.51.100.1", username=f"guess{i}")
    assert (lockout := login_lockout_get(address="198.51.100.1", username="guess99")) is not None
    assert lockout.scope == "address"


def test_a_success_starts_the_username_count_afresh_but_not_the_address_count(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 8
    fail(4, address="198.51.100.1", username="rita")
    login_success_record(username="rita")
    fail(4, address="198.51.100.1", username="rita")
    assert login_lockout_get(address="198.51.100.2", username="rita") is None
    # The address has 8 failures now, though its user logged in between them.
    assert (lockout := login_lockout_get(address="198.51.100.1", username="anna")) is not None
    assert lockout.scope == "address"


def test_attempts_refused_during_a_lockout_do_not_extend_it(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    first = fail(2, address=None, username="rita")
    assert login_failure_record(address=None, username="rita") is None
    assert (lockout := login_lockout_get(address=None, username="rita")) is not None
    assert lockout.until == first.until


def test_the_lockout_ends_when_its_time_is_up(settings):
    settings.LOGIN_LOCKOUT_MINUTES = 0.05  # three seconds
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    lockout = fail(2, address=None, username="rita")
    assert 1 <= lockout.retry_after <= 3
    time.sleep(3.2)
    assert login_lockout_get(address=None, username="rita") is None
    # The count started afresh too: one more failure does not lock again.
    assert login_failure_record(address=None, username="rita") is None


def test_an_admin_can_lift_a_lockout(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    fail(3, address="198.51.100.1", username="rita")
    login_lockout_clear(address="198.51.100.1")
    assert login_lockout_get(address="198.51.100.1", username="anna") is None


@pytest.mark.parametrize(
    ("scope_username", "says"),
    [(None, "from your network address"), ("rita", "for this username")],
)
def test_the_locked_message_says_why_and_for_how_long(settings, scope_username, says):
    settings.LOGIN_LOCKOUT_MINUTES = 15
    settings.LOGIN_FAILURES_PER_ADDRESS = 1
    settings.LOGIN_FAILURES_PER_USERNAME = 1
    address = None if scope_username else "198.51.100.1"
    lockout = fail(1, address=address, username=scope_username)
    assert says in lockout.message
    assert "locked for 15 minutes" in lockout.message
    assert 14 * 60 < lockout.retry_after <= 15 * 60
