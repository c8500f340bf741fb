"""One settings module, driven by the environment.

With no environment at all the app runs embedded: SQLite under `var/`, Celery tasks run eagerly in
the web process, DEBUG on. A deployment sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis),
SECRET_KEY and DEBUG=0; docker-compose.yml shows the whole set.
"""

from __future__ import annotations

import os
from pathlib import Path

from labeling.config import (
    ConfigError,
    default_sqlite_path,
    env_bool,
    env_int,
    env_list,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError("SECRET_KEY must be set in the environment when DEBUG is off")
    # Only ever used with DEBUG on, i.e. on a developer's machine or the demo.
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us: no CDN
    "labeling.accounts",
    "labeling.taxonomy",
    "labeling.images",
    "labeling.guide",
    "labeling.predictions",
    "labeling.review",
    "labeling.rounds",
    "labeling.audit",
    "labeling.training",
    "labeling.scoring",
    "labeling.research",
    "api",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "labeling.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the session, its user and their roles in one statement.
    "labeling.accounts.sessions.AuthenticationMiddleware",
    "labeling.security.LoginLockoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "labeling.urls"
WSGI_APPLICATION = "labeling.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "labeling.accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    _default_db = parse_database_url(DATABASE_URL)
else:
    _default_db = {"ENGINE": "django.db.backends.sqlite3", "NAME": default_sqlite_path(VAR_DIR)}
    # A fresh checkout has no var/ yet; SQLite cannot create the folder itself.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
if _default_db["ENGINE"].endswith("sqlite3"):
    # Many annotators save at once even in the demo: wait for the write lock instead of failing.
    # In WAL mode synchronous=NORMAL syncs at checkpoints rather than at every commit (each
    # answer would otherwise wait for an fsync); a power cut may lose the last commits, never
    # the database.
    _default_db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if _default_db["ENGINE"].endswith("postgresql"):
    # The same bargain on PostgreSQL: a commit returns before its WAL reaches the disk (it is
    # flushed within a fraction of a second), so an answer or a serving does not wait for an
    # fsync (several ms here, tens on a busy disk). A crash of the server may lose the last
    # commits, never leave one half-written or the database inconsistent.
    _default_db.setdefault("OPTIONS", {}).setdefault("options", "-c synchronous_commit=off")
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip()
if CELERY_BROKER_URL and not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ConfigError("CELERY_BROKER_URL must be a redis:// URL (or unset for eager mode)")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
# Every task is acknowledged once it has run, and given back to the queue when the process
# running it dies (SIGKILL, out of memory): a worker lost mid-task means the task runs again, so
# every task is idempotent. A message taken by a worker that vanished altogether (the machine or
# the container gone) goes back to the queue after the visibility timeout: longer than any task
# and than the longest retry countdown (5 minutes), or a slow task would run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 1800, minimum=1)
# A task whose every run kills its process (exhausting memory, say) would so come back for ever: a
# message delivered more than this many times in a row that way is not run again but dropped,
# logged at ERROR and recorded in the audit log (labeling/deliveries.py).
CELERY_MAX_DELIVERIES = env_int("CELERY_MAX_DELIVERIES", 3, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "labeling")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
}
# A task that cannot be sent (broker down) is not worth holding an annotator's Confirm for: the
# sweeps below send its work again later. One quick retry rides out a broker restart; Kombu's
# default (three retries) made each answer wait about 2 s during a Redis outage.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_RESULT_EXPIRES = 3600
# Celery beat (the `beat` service) runs these. The timing sweep processes interaction logs whose
# task never ran (broker or worker down), so an outage delays timing rows and loses none.
TIMING_SWEEP_SECONDS = env_int("TIMING_SWEEP_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "rounds-timing-sweep": {
        "task": "labeling.rounds.tasks.interaction_logs_sweep_task",
        "schedule": float(TIMING_SWEEP_SECONDS),
    },
    # Its sibling for training answers' statistics (labeling.training), on the same beat.
    "training-stats-sweep": {
        "task": "labeling.training.tasks.answer_stats_sweep_task",
        "schedule": float(TIMING_SWEEP_SECONDS),
    },
}

# --- Files ----------------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
# Media is never served directly: images reach the browser only through views that check access.
MEDIA_URL = "/media-not-served/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Images larger than this many pixels are rejected as decompression bombs (Pillow's default is 89M).
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 89_478_485)
# Image files larger than this many bytes are refused by the imports before a byte is read.
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 50 * 1024 * 1024, minimum=1)
THUMBNAIL_SIZE = env_int("THUMBNAIL_SIZE", 256)
# Set (e.g. "/protected-files/") when a web server in front serves MEDIA_ROOT at this internal
# location: the file views then answer with X-Accel-Redirect, after their permission check, and
# the bytes never pass through Python. Empty: the views stream the files themselves.
FILES_X_ACCEL_REDIRECT_PREFIX = os.environ.get("FILES_X_ACCEL_REDIRECT_PREFIX", "").strip()
if FILES_X_ACCEL_REDIRECT_PREFIX and not (
    FILES_X_ACCEL_REDIRECT_PREFIX.startswith("/") and FILES_X_ACCEL_REDIRECT_PREFIX.endswith("/")
):
    raise ConfigError(
        "FILES_X_ACCEL_REDIRECT_PREFIX must start and end with / (e.g. /protected-files/)"
    )
REFERENCE_IMAGES_PER_CLASS = env_int("REFERENCE_IMAGES_PER_CLASS", 100)

# nltk looks here (after its own data path) for WordNet prepared from Debian's packages.
NLTK_DATA_DIR = Path(os.environ.get("NLTK_DATA_DIR") or VAR_DIR / "nltk_data")

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (login page, admin login, API token) are counted per client address and per
# username; reaching either limit locks that address or username for LOGIN_LOCKOUT_MINUTES,
# the window the failures are counted in (labeling/accounts/login_limits.py).
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 10, minimum=1)
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# How many proxies (nginx, a load balancer) stand in front of the app and append to
# X-Forwarded-For. 0: the header is ignored, the client is whoever connects (REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# API tokens stop working this many days after they were made (0: never).
TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 90, minimum=0)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "labeling.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's own idea of the client address (throttles) follows ours; with None it would trust
    # the whole X-Forwarded-For header, which any client can write.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ImageNet human-accuracy labeling API",
    "DESCRIPTION": "Classes, images, labels, annotations and scores of human-accuracy studies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.optional_query_parameters_may_be_empty",
    ],
    # The schema and its Swagger UI are for users with an account, like every other endpoint.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from our own static files: many deployments (and the tests) have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would send the schema to an outside validator service.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Caches ---------------------------------------------------------------------------------
# Shared by every web process: login failure counts must add up across gunicorn workers (a
# per-process memory cache would give each worker its own count). Redis when there is one (by
# default the broker's), else files under VAR_DIR, which needs nothing set up and serves any
# number of processes on one machine.
REDIS_URL = os.environ.get("REDIS_URL", "").strip() or CELERY_BROKER_URL
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        raise ConfigError("REDIS_URL must be a redis:// URL (or unset to use CELERY_BROKER_URL)")
    CACHES = {
        "default": {
            # Degrades to no cache while Redis is unreachable, instead of failing pages.
            "BACKEND": "labeling.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "labeling",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": "labeling",
        }
    }

# --- Security for deployments ---------------------------------------------------------------
# `manage.py check --deploy` is clean with DEBUG=0, SECRET_KEY, BEHIND_TLS_PROXY=1 and
# SECURE_COOKIES=1 (tests/test_deployment.py runs it). The Content-Security-Policy header is
# labeling/security.py's.
SESSION_ENGINE = "labeling.accounts.sessions"  # database sessions with their user's id
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain HTTP is redirected to HTTPS when a TLS proxy is in front, except the health check, which
# the container's own probe asks over plain HTTP from inside.
SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS: browsers that saw the site over HTTPS use nothing else for this long (a year by default,
# once behind TLS; 0 turns it off, e.g. for a first trial of a new certificate).
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000 if BEHIND_TLS_PROXY else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# "Not in the preload list" is no flaw of the app: preloading is for a registered domain's owner
# to ask for, site-wide and hard to undo, and a study app usually lives on a subdomain that
# cannot be submitted at all. HSTS_PRELOAD=1 sends the preload flag for those who did.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In eager mode every task would log a line into the web process or the command's output,
        # and kombu would warn about the broker host that eager tasks never use.
        **(
            {"celery.app.trace": {"level": "WARNING"}, "kombu.connection": {"level": "ERROR"}}
            if CELERY_TASK_ALWAYS_EAGER
            else {}
        ),
    },
}
