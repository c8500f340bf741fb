# The app image, used by the web, worker and migrate services of docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=labeling.settings \
    MEDIA_ROOT=/data/media \
    VAR_DIR=/data/var \
    STATIC_ROOT=/app/staticfiles \
    MPLCONFIGDIR=/tmp/matplotlib

# WordNet 3.0 from Debian, for `manage.py build_taxonomy` (nltk reads it from /usr/share/wordnet).
RUN apt-get update \
    && apt-get install -y --no-install-recommends wordnet-base wordnet-sense-index \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (whitenoise serves them). The settings refuse to start
# with DEBUG off and no SECRET_KEY, so this one build step gets a throwaway key; the running
# containers get the real one from the environment.
RUN SECRET_KEY=build-only-collectstatic-key DEBUG=0 VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /data/media /data/var \
    && chown -R app:app /data
USER app

EXPOSE 8000
CMD ["gunicorn", "labeling.wsgi:application", "--bind=0.0.0.0:8000", "--workers=3", "--timeout=60", "--access-logfile=-"]
