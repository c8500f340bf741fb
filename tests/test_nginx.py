"""deploy/nginx.conf in a real nginx (when this machine has one) in front of the app: files the
app allows come from nginx by X-Accel-Redirect, refusals stay refusals, and the internal
location cannot be asked for directly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from labeling.accounts.roles import Role
from labeling.accounts.services import token_get_or_create
from tests.helpers import make_user
from tests.images.factories import make_image

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="no nginx on this machine"),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(tmp_path, live_server, settings) -> Iterator[str]:
    """nginx running deploy/nginx.conf with this machine's paths; its base URL."""
    settings.FILES_X_ACCEL_REDIRECT_PREFIX = "/protected-files/"
    settings.MEDIA_ROOT = tmp_path / "media"
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body {}")
    port = free_port()
    app = live_server.url.removeprefix("http://")
    server = (
        (ROOT / "deploy" / "nginx.conf")
        .read_text()
        .replace("server web:8000;", f"server {app};")
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
        .replace("/data/media/", f"{settings.MEDIA_ROOT}/")
        .replace("/srv/static/", f"{static}/")
    )
    run = tmp_path / "nginx"
    run.mkdir()
    user = "user root root;" if os.geteuid() == 0 else ""  # else workers could not read tmp
    (run / "nginx.conf").write_text(
        f"{user}\npid {run}/nginx.pid;\nerror_log {run}/error.log;\nevents {{}}\nhttp {{\n"
        f"include /etc/nginx/mime.types;\naccess_log off;\n"
        f"client_body_temp_path {run}/body;\nproxy_temp_path {run}/proxy;\n"
        f"fastcgi_temp_path {run}/fastcgi;\nuwsgi_temp_path {run}/uwsgi;\n"
        f"scgi_temp_path {run}/scgi;\n{server}\n}}\n"
    )
    process = subprocess.Popen(
        [str(NGINX), "-p", str(run), "-c", str(run / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode() if process.stderr else "")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(url: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Accept": "image/*"}
    if token:
        headers["Authorization"] = f"Token {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_sends_the_file_the_app_allows_and_nothing_else(nginx):
    image = make_image(seed=7)
    data = default_storage.open(str(image.file.name)).read()
    researcher = token_get_or_create(user=make_user("rita", Role.RESEARCHER)).key
    annotator = token_get_or_create(user=make_user("anna", Role.ANNOTATOR)).key
    url = f"{nginx}/files/images/{image.public_id}/"

    status, headers, body = get(url, researcher)
    assert status == 200 and body == data
    assert headers["ETag"] == f'"{image.sha256}"'
    assert "X-Accel-Redirect" not in headers and headers["X-Content-Type-Options"] == "nosniff"

    assert get(url, annotator)[0] == 403  # not in an open round of theirs
    assert get(url)[0] == 403
    # The internal location: not even a logged-in researcher can name it.
    assert get(f"{nginx}/protected-files/{image.file.name}", researcher)[0] == 404


def test_nginx_serves_static_files_and_passes_the_rest_to_the_app(nginx):
    status, headers, body = get(f"{nginx}/static/css/site.css")
    assert status == 200 and body == b"body {}" and "immutable" in headers["Cache-Control"]
    status, _, body = get(f"{nginx}/healthz")
    assert status == 200 and b"database" in body
