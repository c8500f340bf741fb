"""The deployment files agree with the settings: docker-compose.yml, the Dockerfile, the pinned
requirements, the README's two commands and the CI entry point; and Django's deployment checks
pass with production settings."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from labeling.config import FALSE_WORDS, parse_database_url

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def services_running_the_app(services: dict) -> dict:
    """web, worker and any one-shot service (such as migrate) built from the app's image."""
    return {name: s for name, s in services.items() if "build" in s}


_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str) -> str:
    """What docker compose makes of `${VAR}`, `${VAR:-default}` and `${VAR:?message}` when the
    variables are unset: defaults are used, required variables get a stand-in value."""

    def replace(match: re.Match) -> str:
        op = match["op"] or ""
        if op.endswith("-"):
            return match["arg"]
        return f"stand-in-for-{match['name'].lower()}"

    return _VARIABLE.sub(replace, value).replace("$$", "$")


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def command_words(service: dict) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def contains_run(words: list[str], run: list[str]) -> bool:
    return any(words[i : i + len(run)] == run for i in range(len(words) - len(run) + 1))


def volume_mounts(service: dict) -> dict[str, str]:
    """Mount point -> volume (or host path) of a service."""
    mounts = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            mounts[volume["target"]] = volume.get("source", "")
        else:
            source, target = volume.split(":")[:2]
            mounts[target] = source
    return mounts


def depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def settings_environment_names() -> set[str]:
    """Every environment variable labeling/settings.py reads, directly or through config.py."""
    names = set()
    for path in (ROOT / "labeling" / "settings.py", ROOT / "labeling" / "config.py"):
        text = path.read_text()
        names |= set(re.findall(r"os\.environ\.get\(\s*[\"'](\w+)[\"']", text))
        names |= set(re.findall(r"os\.environ\[\s*[\"'](\w+)[\"']\s*\]", text))
        names |= set(re.findall(r"os\.getenv\(\s*[\"'](\w+)[\"']", text))
        names |= set(re.findall(r"\benv_\w+\(\s*[\"'](\w+)[\"']", text))
    return names


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_defines_web_worker_postgres_and_redis(services):
    assert {"web", "worker", "postgres", "redis"} <= set(services)


def test_web_and_worker_are_built_from_the_same_image_with_the_shared_app_anchor(compose, services):
    app = compose["x-app"]
    for name in APP_SERVICES:
        assert services[name]["build"] == app["build"], name
        assert services[name].get("image") == app.get("image"), name
        assert services[name]["environment"] == app["environment"], name
    text = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"^x-app:\s*&app\b", text, re.MULTILINE)
    assert len(re.findall(r"<<:\s*\*app\b", text)) >= len(APP_SERVICES)


def test_web_runs_gunicorn_with_the_wsgi_application(services):
    words = command_words(services["web"])
    assert words[0] == "gunicorn"
    assert "labeling.wsgi:application" in words
    assert any(re.fullmatch(r"(--bind=|-b)?0\.0\.0\.0:8000", w) for w in words), words


def test_worker_runs_a_celery_worker_of_the_labeling_app(services):
    assert contains_run(command_words(services["worker"]), ["celery", "-A", "labeling", "worker"])


def test_beat_runs_the_celery_scheduler_once_with_the_timing_sweep(services):
    from django.conf import settings

    words = command_words(services["beat"])
    assert contains_run(words, ["celery", "-A", "labeling", "beat"])
    # Two schedulers would send every periodic task twice.
    assert (services["beat"].get("deploy") or {}).get("replicas", 1) == 1
    assert "scale" not in services["beat"]
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "labeling.rounds.tasks.interaction_logs_sweep_task" in tasks
    from labeling.celery import app

    app.loader.import_default_modules()
    assert tasks <= set(app.tasks), "every scheduled task is one the worker knows"


def test_the_worker_does_not_also_run_beat(services):
    words = command_words(services["worker"])
    assert "-B" not in words and "--beat" not in words


def test_worker_and_web_share_the_database_and_broker_settings(services):
    web, worker = environment(services["web"]), environment(services["worker"])
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "SECRET_KEY"):
        assert name in web, name
        assert web[name] == worker[name], name


def test_database_url_points_to_the_postgres_service_in_a_form_the_settings_accept(services):
    url = interpolate(environment(services["web"])["DATABASE_URL"])
    database = parse_database_url(url)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "postgres"
    assert database["PORT"] in ("", "5432")
    assert database["NAME"]
    # Every request opening its own connection costs a few ms each: the deployment keeps them.
    assert database["CONN_MAX_AGE"] >= 30


def test_database_credentials_match_the_postgres_service(services):
    database = parse_database_url(interpolate(environment(services["web"])["DATABASE_URL"]))
    postgres = {k: interpolate(v) for k, v in environment(services["postgres"]).items()}
    assert database["USER"] == postgres.get("POSTGRES_USER", "postgres")
    assert database["PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    assert database["NAME"] == postgres.get("POSTGRES_DB", database["USER"])


def test_broker_is_the_redis_service(services):
    url = interpolate(environment(services["web"])["CELERY_BROKER_URL"])
    parts = urlsplit(url)
    assert parts.scheme == "redis"
    assert parts.hostname == "redis"


def test_secret_key_must_be_supplied_and_has_no_default(services):
    raw = environment(services["web"])["SECRET_KEY"]
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", raw), raw


def test_debug_is_off(services, monkeypatch):
    from labeling.config import env_bool

    for name in APP_SERVICES:
        value = interpolate(environment(services[name])["DEBUG"])
        assert value.strip().lower() in FALSE_WORDS
        monkeypatch.setenv("DEBUG", value)
        assert env_bool("DEBUG", True) is False


def test_media_volume_is_mounted_at_media_root_in_web_and_worker(compose, services):
    sources = set()
    for name in APP_SERVICES:
        media_root = environment(services[name])["MEDIA_ROOT"]
        mounts = volume_mounts(services[name])
        assert media_root in mounts, f"{name} does not mount a volume at {media_root}"
        sources.add(mounts[media_root])
    assert len(sources) == 1, "web and worker must share one media volume"
    assert sources.pop() in (compose.get("volumes") or {}), "media must be a named volume"


def test_database_lives_in_a_named_volume(compose, services):
    mounts = volume_mounts(services["postgres"])
    assert mounts.get("/var/lib/postgresql/data") in (compose.get("volumes") or {})


def test_postgres_and_redis_have_health_checks(services):
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "pg_isready" in json.dumps(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in json.dumps(services["redis"]["healthcheck"]["test"])
    assert "ping" in json.dumps(services["redis"]["healthcheck"]["test"])


def test_web_health_check_asks_healthz(services):
    assert "/healthz" in json.dumps(services["web"]["healthcheck"]["test"])


def test_web_and_worker_wait_for_healthy_postgres_and_redis(services):
    for name in APP_SERVICES:
        deps = depends_on(services[name])
        for backing in BACKING_SERVICES:
            assert deps.get(backing) == "service_healthy", f"{name} -> {backing}"


def test_migrations_run_before_the_web_server_starts(services):
    web = services["web"]
    if "migrate" in services:
        assert depends_on(web).get("migrate") == "service_completed_successfully"
        assert "manage.py migrate" in " ".join(command_words(services["migrate"]))
    else:
        assert "manage.py migrate" in " ".join(command_words(web))


# --- nginx in front: static files, checked files by X-Accel-Redirect, the rest to gunicorn -------


def nginx_config(services: dict) -> tuple[str, dict[str, str]]:
    """The text of the config nginx's service mounts, and its location blocks by path."""
    mounts = volume_mounts(services["nginx"])
    source = mounts["/etc/nginx/conf.d/default.conf"]
    text = (ROOT / source).read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    locations = dict(re.findall(r"location\s+(\S+)\s*\{([^}]*)\}", code))
    return code, locations


def directive(block: str, name: str) -> list[str]:
    found = re.findall(rf"^\s*{name}\b([^;]*);", block, re.MULTILINE)
    return [value.strip() for value in found]


def test_nginx_publishes_the_port_and_gunicorn_is_reached_only_through_it(services):
    assert "ports" not in services["web"]
    assert any(str(port).endswith(":8080") for port in services["nginx"]["ports"])
    code, locations = nginx_config(services)
    assert re.search(r"upstream\s+(\w+)\s*\{\s*server\s+web:8000;", code)
    assert directive(locations["/"], "proxy_pass") == ["http://labeling_app"]
    assert depends_on(services["nginx"]).get("web") == "service_healthy"


def test_the_app_hands_files_to_an_internal_location_over_the_media_volume(services):
    prefix = environment(services["web"])["FILES_X_ACCEL_REDIRECT_PREFIX"]
    assert prefix == environment(services["worker"])["FILES_X_ACCEL_REDIRECT_PREFIX"]
    _, locations = nginx_config(services)
    files = locations[prefix]
    # `internal`: a client asking for /protected-files/… directly gets a 404 from nginx.
    assert directive(files, "internal") == [""]
    (alias,) = directive(files, "alias")
    nginx_mounts = volume_mounts(services["nginx"])
    media_root = environment(services["web"])["MEDIA_ROOT"]
    assert nginx_mounts[alias.rstrip("/")] == volume_mounts(services["web"])[media_root]
    assert any(v.endswith(f":{alias.rstrip('/')}:ro") for v in services["nginx"]["volumes"])
    # The app's ETag (a random token for annotators), not nginx's own.
    assert directive(files, "etag") == ["off"]
    assert "ETag $upstream_http_etag always" in directive(files, "add_header")


def test_no_other_location_serves_the_media_volume(services):
    code, locations = nginx_config(services)
    prefix = environment(services["web"])["FILES_X_ACCEL_REDIRECT_PREFIX"]
    media = [path for path, block in locations.items() if "/data/media" in block]
    assert media == [prefix]
    assert code.count("/data/media") == 1


def test_nginx_serves_the_static_files_the_static_service_copies(services):
    _, locations = nginx_config(services)
    (alias,) = directive(locations["/static/"], "alias")
    static = services["static"]
    volume = volume_mounts(services["nginx"])[alias.rstrip("/")]
    target = next(t for t, v in volume_mounts(static).items() if v == volume)
    command = " ".join(command_words(static))
    assert f"{environment(static)['STATIC_ROOT']}/." in command and target in command
    assert depends_on(services["nginx"]).get("static") == "service_completed_successfully"


def test_nginx_reads_the_apps_files_as_the_apps_group_and_forwards_the_client(services):
    dockerfile = (ROOT / "Dockerfile").read_text()
    useradd = re.search(r"useradd .*--uid (\d+) --user-group", dockerfile)
    assert useradd, "the Dockerfile makes no user with a fixed uid"
    uid = useradd.group(1)
    assert services["nginx"]["user"].split(":")[1] == uid  # the group useradd made
    _, locations = nginx_config(services)
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in directive(
        locations["/"], "proxy_set_header"
    )
    trusted = interpolate(environment(services["web"])["TRUSTED_PROXY_COUNT"])
    assert int(trusted) >= 1, "nginx is a proxy: the app must count it"


def test_every_variable_compose_sets_for_the_app_is_one_the_settings_read(services):
    read = settings_environment_names()
    for name, service in services_running_the_app(services).items():
        unknown = set(environment(service)) - read
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"


def test_compose_sets_every_deployment_setting(services):
    expected = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "MEDIA_ROOT",
        "STATIC_ROOT",
    }
    assert expected <= set(environment(services["web"]))


def test_env_example_documents_every_required_variable():
    compose_text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):?\?", compose_text))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*(\w+)=", example, re.MULTILINE))
    assert "SECRET_KEY" in required
    assert required <= documented, sorted(required - documented)


# --- manage.py check --deploy ---------------------------------------------------------------------

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),  # long and random, as check --deploy wants
    "BEHIND_TLS_PROXY": "1",
    "SECURE_COOKIES": "1",
    "ALLOWED_HOSTS": "labeling.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://labeling.example.org",
}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # Nothing of the test run's own environment that a deployment would not have (the browser
    # tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process, which the check rightly refuses).
    left_out = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in (*left_out, *PRODUCTION)}
    clean.update(VAR_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = check_deploy(tmp_path, **PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output, output


def test_check_deploy_does_notice_a_deployment_without_https(tmp_path):
    plain = {**PRODUCTION, "BEHIND_TLS_PROXY": "0", "SECURE_COOKIES": "0"}
    result = check_deploy(tmp_path, **plain)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in output, check


# --- Dockerfile and requirements ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_image_is_python_311_on_debian_bookworm(dockerfile):
    froms = [rest for keyword, rest in dockerfile_instructions(dockerfile) if keyword == "FROM"]
    assert froms == ["python:3.11-slim-bookworm"]


def test_image_runs_gunicorn_as_a_non_root_user(dockerfile):
    instructions = dockerfile_instructions(dockerfile)
    cmd = [rest for keyword, rest in instructions if keyword == "CMD"][-1]
    words = json.loads(cmd)  # exec form, so signals reach gunicorn
    assert words[0] == "gunicorn"
    assert "labeling.wsgi:application" in words
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_image_never_bakes_in_a_secret_key(dockerfile):
    for keyword, rest in dockerfile_instructions(dockerfile):
        if keyword in ("ENV", "ARG"):
            assert "SECRET_KEY" not in rest
    collect = [rest for kw, rest in dockerfile_instructions(dockerfile) if "collectstatic" in rest]
    assert collect and "SECRET_KEY=" in collect[0] and "DEBUG=0" in collect[0]


def test_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", "var", ".git", ".env"):
        assert entry in ignored, entry


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_requirements_pin_every_package_exactly(name):
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],]*==[A-Za-z0-9.+!\-]+", line), line


# --- README and the two commands ------------------------------------------------------------------


def test_readme_opens_with_the_two_commands_demo_then_test():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    assert [block.strip() for block in blocks[:2]] == ["./scripts/demo", "./scripts/test"]


@pytest.mark.parametrize("path", ["scripts/demo", "scripts/test", ".ci/run"])
def test_the_commands_are_executable_bash_scripts(path):
    script = ROOT / path
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert os.access(script, os.X_OK)


SHARED_FUNCTIONS = (
    "say",
    "warn",
    "die",
    "as_root",
    "apt_install",
    "ensure_packages",
    "venv_is_usable",
    "ensure_venv",
    "ensure_requirements",
)


def test_the_two_commands_share_their_setup_functions_through_one_sourced_file():
    library = (ROOT / "scripts" / "lib.sh").read_text()
    for name in SHARED_FUNCTIONS:
        assert re.search(rf"^{name}\(\) {{", library, re.MULTILINE), name
    for path in ("scripts/demo", "scripts/test"):
        script = (ROOT / path).read_text()
        assert re.search(r"^source scripts/lib\.sh$", script, re.MULTILINE), path
        for name in SHARED_FUNCTIONS:
            assert not re.search(rf"^{name}\(\) {{", script, re.MULTILINE), (path, name)


def demo_serving_command() -> list[str]:
    """The command scripts/demo starts as its server (the one whose pid becomes SERVER_PID)."""
    script = (ROOT / "scripts" / "demo").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in script.splitlines()]
    started = lines[lines.index("SERVER_PID=$!") - 1]
    assert started.endswith("&"), started
    return shlex.split(started.removesuffix("&"))


def test_the_demo_serves_the_app_with_gunicorn_like_the_deployment(services):
    command = demo_serving_command()
    assert Path(command[0]).name == "gunicorn", command
    assert "labeling.wsgi:application" in command
    assert command[command.index("--bind") + 1] == "$HOST:$PORT"
    # The same server as the deployment's web service, never Django's development server.
    assert command_words(services["web"])[0] == "gunicorn"
    assert "runserver" not in (ROOT / "scripts" / "demo").read_text()


@pytest.mark.parametrize("path", ["scripts/demo", "scripts/test", "scripts/lib.sh"])
def test_the_scripts_parse_as_bash(path):
    assert subprocess.run(["bash", "-n", str(ROOT / path)], capture_output=True).returncode == 0


def test_ci_runs_the_same_command_as_a_developer():
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    commands = [line for line in lines if not line.startswith(("set ", "cd "))]
    assert len(commands) == 1 and "scripts/test" in commands[0], commands


def test_requirements_pin_every_installed_package():
    # A package pip pulls in but nobody pinned floats to whatever is newest on the next machine.
    import importlib.metadata

    pinned: set[str] = set()
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                pinned.add(line.split("==", 1)[0].lower().replace("_", "-"))
    installed = {
        dist.metadata["Name"].lower().replace("_", "-")
        for dist in importlib.metadata.distributions()
    }
    unpinned = installed - pinned - {"pip", "setuptools", "wheel"}
    assert not unpinned, f"installed but not pinned: {sorted(unpinned)}"
