"""/api/ is the browsable root of the API, linking every top-level endpoint; the schema and its
Swagger UI are for logged-in users and load nothing from outside the server."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.helpers import api_client_for, login


def test_the_api_root_links_every_top_level_endpoint_with_its_absolute_url(researcher):
    response = api_client_for(researcher).get("/api/")
    assert response.status_code == 200
    links = response.json()
    for path in (
        "/api/auth/token/",
        "/api/schema/",
        "/api/docs/",
        "/api/classes/",
        "/api/classes/search/",
        "/api/taxonomy/",
        "/api/guide/entries/",
        "/api/guide/notes/",
    ):
        assert f"http://testserver{path}" in links.values(), path
    assert "http://testserver/api/" not in links.values()
    client = api_client_for(researcher)
    for url in links.values():
        # Every link leads somewhere: a page, or a JSON answer naming what the endpoint needs
        # (a search without a query, a POST-only endpoint).
        assert client.get(url).status_code in (200, 400, 405), url


def test_the_api_root_is_browsable_in_a_browser(researcher):
    response = login(researcher).get("/api/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    content = response.content.decode()
    assert "API root" in content
    assert 'href="http://testserver/api/docs/"' in content


def test_the_api_root_needs_a_login(db):
    response = APIClient().get("/api/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_schema_needs_a_login_and_keeps_its_json_format(researcher):
    assert APIClient().get("/api/schema/").status_code == 401
    assert APIClient().get("/api/schema/?format=json").status_code == 401
    response = api_client_for(researcher).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/api/classes/" in response.json()["paths"]


def test_swagger_ui_is_served_from_our_own_static_files(researcher):
    response = login(researcher).get("/api/docs/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="swagger-ui"' in content
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in content
    assert "cdn" not in content.lower() and "https://" not in content
    # Its start-up script is a file of its own (no inline script: the CSP would refuse it).
    assert '<script src="/api/docs/?script="></script>' in content
    assert "<script>" not in content
    script = login(researcher).get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_swagger_ui_sends_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/api/docs/")


def test_researchers_and_admins_find_the_api_docs_on_their_home_page(researcher, study_admin):
    for user in (researcher, study_admin):
        content = login(user).get("/").content.decode()
        assert 'href="/api/docs/"' in content and 'href="/api/"' in content
