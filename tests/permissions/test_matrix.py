"""The permission matrix: every URL pattern of the app (read from the resolver), asked by every
persona with every method its view accepts, answered as rules.py says, and never with a 5xx. A
pattern or a method without a rule fails, naming it."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponse
from django.test import override_settings

from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from tests.permissions.patterns import Pattern, url_for, url_patterns
from tests.permissions.rules import ADMIN_MODELS, REVIEW, RULES, Rule, rule
from tests.permissions.world import PERSONAS, STUDY_ADMIN, World, world_build

PATTERNS = url_patterns()
LOGIN, ADMIN_LOGIN = "/accounts/login/?next=", "/admin/login/?next="


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at its end; every request
    runs in a savepoint of its own that is rolled back too, so no request changes what the
    next one finds (a DELETE deletes nothing for the next persona)."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        taxonomy_snapshot_clear()
        with transaction.atomic():
            built = world_build()
            built.clients_make()
            yield built
            transaction.set_rollback(True)
        taxonomy_snapshot_clear()


def rules_of(pattern: Pattern) -> list[Rule]:
    """The pattern's rules; fails, naming the pattern, if rules.py has none."""
    if pattern.admin_model is None:
        if pattern.route not in RULES:
            pytest.fail(f"no rule for {pattern.route!r} ({pattern.name}): add one to rules.py")
        found = RULES[pattern.route]
        return found if isinstance(found, list) else [found]
    if pattern.admin_model not in ADMIN_MODELS:
        pytest.fail(f"no rule for the admin of {pattern.admin_model}: add it to ADMIN_MODELS")
    admin_rule = ADMIN_MODELS[pattern.admin_model]
    pages = admin_rule.pages | admin_rule.extra
    key = pattern.name if pattern.name in admin_rule.extra else pattern.admin_kind
    if key not in pages:
        pytest.fail(f"no rule for {pattern.route!r} ({key}) in ADMIN_MODELS")
    get, post = pages[key].split()
    others = "AL AL AL {} AL AL"
    return [rule(get=others.format(get), post=others.format(post), rounds=(REVIEW,))]


def answers_as(expected: str, response: HttpResponse) -> bool:
    status, location = response.status_code, response.get("Location", "")
    if status >= 500:
        return False
    if expected == "L":
        return status == 302 and location.startswith(LOGIN)
    if expected == "AL":
        return status == 302 and location.startswith(ADMIN_LOGIN)
    if expected == "ok":
        return status not in (401, 403) and not location.startswith((LOGIN, ADMIN_LOGIN))
    if status == 302 and location.startswith((LOGIN, ADMIN_LOGIN)):
        return False
    return status == int(expected)


def ask(world: World, persona: str, method: str, url: str) -> HttpResponse:
    client = world.client(persona, url)
    cookies = client.cookies
    client.cookies = SimpleCookie(cookies)
    try:
        with transaction.atomic():
            response = getattr(client, method)(url)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies  # a logout or a fresh session ends with its request
    return response


def tokens_shown(world: World, response: HttpResponse) -> list[str]:
    """The owners of the API tokens whose key is in the response: a token is its owner's
    secret (the admin lists tokens masked), so no one else may ever see one in full."""
    if getattr(response, "streaming", False):
        return []  # files: an image holds no token
    content = response.content.decode(errors="replace")
    return [owner for key, owner in world.tokens.items() if key in content]


@pytest.mark.parametrize("pattern", PATTERNS, ids=[f"/{p.route}" for p in PATTERNS])
def test_each_pattern_answers_each_persona_as_its_rule_says(pattern: Pattern, world: World, db):
    accepted = pattern.methods()
    if not accepted:
        pytest.fail(
            f"{pattern.route!r} ({pattern.name}) takes any method: declare the methods it "
            "serves (require_safe, require_POST, require_http_methods)"
        )
    wrong = []
    for found_rule in rules_of(pattern):
        rows = found_rule.by_method()
        assert set(rows) == set(accepted), (
            f"{pattern.route!r}: its view accepts {sorted(accepted)}, its rule covers "
            f"{sorted(rows)}"
        )
        rounds = found_rule.rounds if "round_id" in pattern.route else found_rule.rounds[:1]
        for round in rounds:
            url = url_for(pattern, world, round=round)
            for method in accepted:
                for persona, expected in zip(PERSONAS, rows[method].split(), strict=True):
                    response = ask(world, persona, method, url)
                    if not answers_as(expected, response):
                        location = response.get("Location", "")
                        wrong.append(
                            f"{method.upper()} {url} as {persona}: expected {expected}, got "
                            f"{response.status_code}{' → ' + location if location else ''}"
                        )
                    wrong += [
                        f"{method.upper()} {url} as {persona} shows the token of {owner}"
                        for owner in tokens_shown(world, response)
                        if owner != persona
                    ]
    assert not wrong, "\n".join(wrong)


def test_every_rule_names_a_pattern_of_the_app():
    routes = {pattern.route for pattern in PATTERNS}
    assert sorted(set(RULES) - routes) == []
    models = {model._meta.label_lower for model in admin.site._registry}
    assert sorted(set(ADMIN_MODELS) - models) == []


def test_the_study_admin_persona_is_staff_but_not_superuser(world: World):
    admin_user = world.users[STUDY_ADMIN]
    assert admin_user.is_staff and not admin_user.is_superuser
