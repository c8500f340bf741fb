"""unlock_login lifts a lockout before its time is up."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def post_login(username: str, password: str):
    return Client().post("/accounts/login/", {"username": username, "password": password})


def test_unlocking_a_username_lets_its_owner_log_in_again(researcher, capsys):
    for i in range(5):
        post_login("rita", f"x{i}")
    assert post_login("rita", PASSWORD).status_code == 429
    call_command("unlock_login", "--username", "rita")
    assert "Lifted the lockout of username rita." in capsys.readouterr().out
    assert post_login("rita", PASSWORD).status_code == 302


def test_unlocking_an_address(researcher, settings, capsys):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for i in range(3):
        post_login(f"nobody{i}", "x")
    assert post_login("rita", PASSWORD).status_code == 429
    call_command("unlock_login", "--address", "127.0.0.1", "--username", "rita")
    out = capsys.readouterr().out
    assert "Lifted the lockout of address 127.0.0.1." in out
    assert "The username rita was not locked; failures forgotten." in out
    assert post_login("rita", PASSWORD).status_code == 302


def test_unlock_needs_a_username_or_an_address(db):
    with pytest.raises(CommandError, match="name a --username or an --address"):
        call_command("unlock_login")
