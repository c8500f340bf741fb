"""What every response and the login pages get from labeling/security.py: a Content-Security-Policy,
and a lockout after too many failed logins on the login page and the admin's login page."""

from __future__ import annotations

import pytest
from django.test import Client

from labeling.accounts.roles import Role
from tests.helpers import PASSWORD, login, make_user

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


# --- Content-Security-Policy --------------------------------------------------------------------


def policy(response) -> dict[str, str]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in directives if d}


@pytest.mark.parametrize("path", ["/accounts/login/", "/nope/"])
def test_every_page_has_a_strict_content_security_policy(path, settings):
    settings.DEBUG = False
    csp = policy(Client().get(path))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in " ".join(csp.values())


def test_pages_behind_a_login_have_the_policy_too(annotator, study_admin):
    for client, path in [(login(annotator), "/"), (login(study_admin), "/admin/")]:
        assert policy(client.get(path))["script-src"] == "'self'", path


def test_the_api_pages_allow_inline_styles_but_never_inline_scripts():
    researcher = make_user("rita", Role.RESEARCHER)
    client = login(researcher)
    for path in ["/api/", "/api/docs/"]:
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        csp = policy(response)
        assert csp["script-src"] == "'self'", path
        assert csp["style-src"] == "'self' 'unsafe-inline'", path


# --- HTTPS behind a TLS proxy (the settings of BEHIND_TLS_PROXY=1) ------------------------------


@pytest.fixture
def behind_tls_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True


def test_plain_http_is_redirected_to_https_except_the_health_check(behind_tls_proxy):
    client = Client()
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200


def test_https_through_the_proxy_is_served_with_hsts(behind_tls_proxy):
    response = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
