"""What the login pages get from labeling/security.py: a lockout after too many failed logins on
the login page and the admin's login page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def post_login(client: Client, path: str, username: str, password: str, **headers):
    return client.post(path, {"username": username, "password": password}, **headers)


def logged_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


# --- Login lockout ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_thirty_wrong_passwords_then_the_right_one_is_refused(path, study_admin):
    client = Client()
    statuses = [post_login(client, path, "adam", f"guess-{i}").status_code for i in range(30)]
    # The first five are answered as wrong passwords; then the username is locked.
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    response = post_login(client, path, "adam", PASSWORD)
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_the_locked_page_says_why_and_for_how_long(path, study_admin, settings):
    settings.LOGIN_LOCKOUT_MINUTES = 15
    client = Client()
    for i in range(5):
        post_login(client, path, "adam", f"guess-{i}")
    response = post_login(client, path, "adam", PASSWORD)
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    page = response.content.decode()
    assert "Logging in is locked for now" in page
    assert "Too many failed logins for this username" in page
    assert "locked for 15 minutes" in page
    assert 'href="/accounts/login/"' in page


def test_a_different_x_forwarded_for_does_not_reset_the_count(study_admin, researcher, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    client = Client()
    # Ten usernames (none reaches its own limit), each "from" a new forwarded address.
    for i in range(10):
        forwarded = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{i}"}
        post_login(client, "/accounts/login/", f"nobody{i}", "x", **forwarded)
    response = post_login(
        client, "/accounts/login/", "rita", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200"
    )
    assert response.status_code == 429
    assert "from your network address" in response.content.decode()


def test_behind_one_trusted_proxy_each_client_has_its_own_count(researcher, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    client = Client()
    for i in range(10):
        post_login(
            client,
            "/accounts/login/",
            f"nobody{i}",
            "x",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
            **proxy,
        )
    # The locked client stays locked whatever it writes in front of the proxy's entry …
    spoofed = "203.0.113.50, 198.51.100.1"
    response = post_login(
        client, "/accounts/login/", "rita", PASSWORD, HTTP_X_FORWARDED_FOR=spoofed, **proxy
    )
    assert response.status_code == 429
    # … while another client behind the same proxy logs in.
    response = post_login(
        Client(),
        "/accounts/login/",
        "rita",
        PASSWORD,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
        **proxy,
    )
    assert logged_in(response)


def test_a_successful_login_resets_the_username_count(study_admin, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 100
    for _ in range(3):
        for i in range(4):
            assert post_login(Client(), "/accounts/login/", "adam", f"x{i}").status_code == 200
        assert logged_in(post_login(Client(), "/accounts/login/", "adam", PASSWORD))


def test_the_login_page_still_shows_while_locked(study_admin):
    client = Client()
    for i in range(6):
        post_login(client, "/accounts/login/", "adam", f"x{i}")
    assert client.get("/accounts/login/").status_code == 200


def test_failures_on_one_login_page_count_on_the_other(study_admin, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    for i in range(3):
        post_login(Client(), "/accounts/login/", "adam", f"x{i}")
    for i in range(2):
        post_login(Client(), "/admin/login/", "adam", f"y{i}")
    response = post_login(Client(), "/accounts/login/", "adam", PASSWORD)
    assert response.status_code == 429
