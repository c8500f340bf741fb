"""With DEBUG off the app serves its own static files through whitenoise, as gunicorn runs it in
the demo and the deployment: collected, with hashed names cached for a year and compressed
copies for browsers that take them. No other server is needed in front."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings
from whitenoise.middleware import WhiteNoiseFileResponse

from tests.helpers import make_user

SOURCE = Path(__file__).resolve().parent.parent / "frontend" / "static"


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Iterator[Path]:
    """Static files collected once for the module, as the Dockerfile collects them (DEBUG is off
    in tests)."""
    root = tmp_path_factory.mktemp("static")
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        assert settings.DEBUG is False
        call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
        yield root


def test_a_hashed_stylesheet_is_served_by_the_app_and_cached_for_a_year(collected):
    url = static("css/app.css")
    assert url != "/static/css/app.css" and url.startswith("/static/css/app.")  # hashed

    response = Client().get(url)

    assert response.status_code == 200
    assert isinstance(response, WhiteNoiseFileResponse)  # served by whitenoise, not a view
    assert b"".join(response.streaming_content) == (SOURCE / "css" / "app.css").read_bytes()
    assert response["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


def test_a_browser_that_takes_gzip_gets_the_compressed_copy(collected):
    response = Client().get(static("js/label.js"), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert response["Vary"] == "Accept-Encoding"


def test_pages_link_the_hashed_names_the_app_serves(collected, db):
    assert static("css/app.css") in Client().get("/accounts/login/").content.decode()
    client = Client()
    client.force_login(make_user("anna", "annotator"))
    assert static("css/app.css") in client.get("/").content.decode()
    assert client.get(static("css/app.css")).status_code == 200


def test_an_unknown_static_file_is_a_404(collected):
    assert Client().get("/static/css/no-such-file.css").status_code == 404
