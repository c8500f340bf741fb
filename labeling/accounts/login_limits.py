"""Failed-login limits with lockout, for every way in with a password: the login page, the admin's
login page and the API's token endpoint.

Failures are counted twice, per client address and per username, so both an attacker trying many
usernames from one address and many addresses trying one username are stopped. After
LOGIN_FAILURES_PER_ADDRESS (or LOGIN_FAILURES_PER_USERNAME) failures within
LOGIN_LOCKOUT_MINUTES, that address (or username) is locked for LOGIN_LOCKOUT_MINUTES: every
attempt is refused before the password is checked, the right password too. A successful login
resets its username's count.

The counters live in the shared cache (Redis, or files on one machine), so every web process
sees the same counts; increments are atomic on Redis. Failures are recorded from Django's
`user_login_failed` signal, which `authenticate()` sends wherever it is called.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

KEY_PREFIX = "login-limit"
KINDS = ("lock", "start", "count")
# IPv6 clients usually hold a whole /64: counting single addresses would let one client rotate
# through billions of them.
IPV6_PREFIX = 64


@dataclass(frozen=True)
class Lockout:
    """Logins refused for `scope` ("address" or "username") until `until` (a Unix time)."""

    scope: str
    until: float

    @property
    def retry_after(self) -> int:
        """Whole seconds to wait, as the Retry-After header gives them."""
        return max(1, math.ceil(self.until - time.time()))

    @property
    def message(self) -> str:
        source = "from your network address" if self.scope == "address" else "for this username"
        minutes = math.ceil(self.retry_after / 60)
        wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
        return (
            f"Too many failed logins {source}. Logging in is locked for {wait}; try again "
            "then, or ask a study admin if you have forgotten your password."
        )


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent the request, as far as it can be trusted.

    REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies are in front of the app: then the entry of
    X-Forwarded-For that the outermost trusted proxy added, i.e. the N-th from the right.
    Everything left of it the client wrote itself and may be made up. IPv6 addresses are
    counted by their /64 network.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Fewer entries than trusted proxies: the request did not come through all of them (or
        # one is misconfigured); the connecting address is then the only one we can vouch for.
        if len(hops) >= proxies:
            return _normalized(hops[-proxies])
    return _normalized(remote)


def _normalized(address: str) -> str:
    text = address.strip()
    # Some proxies add the port: "203.0.113.7:51234", "[2001:db8::1]:51234".
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text[:100]  # not an address; still counted, as whatever the proxy sent
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def _window_seconds() -> int:
    return max(1, round(settings.LOGIN_LOCKOUT_MINUTES * 60))


def _scopes(address: str | None, username: str | None) -> list[tuple[str, str, int]]:
    """(scope, key part, failures allowed) for what is known of the attempt."""
    scopes = []
    if address:
        scopes.append(("address", _hashed(address), settings.LOGIN_FAILURES_PER_ADDRESS))
    if username is not None and username.strip():
        folded = username.strip().casefold()
        scopes.append(("username", _hashed(folded), settings.LOGIN_FAILURES_PER_USERNAME))
    return scopes


def _hashed(value: str) -> str:
    # A username (or whatever a proxy sent as an address) may hold any character and be long;
    # cache keys may do neither.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _key(kind: str, scope: str, part: str) -> str:
    return f"{KEY_PREFIX}:{kind}:{scope}:{part}"


def login_lockout_get(*, address: str | None, username: str | None) -> Lockout | None:
    """The lockout that refuses this attempt (the longer one if both are locked), or None."""
    keys = {_key("lock", scope, part): scope for scope, part, _ in _scopes(address, username)}
    found = cache.get_many(list(keys))
    lockouts = [Lockout(keys[key], until) for key, until in found.items() if until > time.time()]
    return max(lockouts, key=lambda lockout: lockout.until, default=None)


def login_failure_record(*, address: str | None, username: str | None) -> Lockout | None:
    """Count a failed login; lock the address or username that reached its limit. Returns the
    lockout that starts now, if one does."""
    now = time.time()
    window = _window_seconds()
    started = None
    for scope, part, allowed in _scopes(address, username):
        start_key, count_key = _key("start", scope, part), _key("count", scope, part)
        # The window opens with the first failure and closes `window` seconds later.
        cache.add(start_key, now, window)
        remaining = max(1, math.ceil((cache.get(start_key) or now) + window - now))
        cache.add(count_key, 0, remaining)
        try:
            count = cache.incr(count_key)
        except ValueError:  # the window closed between the two calls
            cache.set(count_key, 1, remaining)
            count = 1
        # Only Redis keeps a key's expiry through incr(); the other backends reset it.
        cache.touch(count_key, remaining)
        # add, not set: a lockout already running is not extended by failures still in flight.
        if count >= allowed and cache.add(_key("lock", scope, part), now + window, window):
            started = started or Lockout(scope, now + window)
    return started


def login_success_record(*, username: str) -> None:
    """A successful login starts its username's count afresh (its address's count stays: one
    good account must not clear the failures of an address trying many)."""
    for scope, part, _ in _scopes(None, username):
        cache.delete_many([_key("start", scope, part), _key("count", scope, part)])


def login_lockout_clear(*, address: str | None = None, username: str | None = None) -> list[str]:
    """Lift the lockout and forget the failures of this address and/or username (an admin's
    decision, e.g. for a lab whose shared address locked itself out). Returns the scopes that
    were locked."""
    scopes = _scopes(address and _normalized(address), username)
    locks = {_key("lock", scope, part): scope for scope, part, _ in scopes}
    found = cache.get_many(list(locks))
    keys = [_key(kind, scope, part) for scope, part, _ in scopes for kind in KINDS]
    cache.delete_many(keys)
    return [locks[key] for key in found]
