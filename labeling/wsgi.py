"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labeling.settings")

application = get_wsgi_application()

# Everything loaded so far lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise add 20-60 ms to an unlucky request (see benchmarks/README.md).
gc.freeze()
