"""A web process serving the research lists holds no numpy, scipy or matplotlib: the streamed
exports' memory target (<= 200 MB a worker) leaves no room for 100 MB of libraries that only
the scores, the figures and the dashboards need (they import them on first use)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import django
django.setup()
from django.urls import get_resolver
from labeling.wsgi import application  # noqa: F401  (everything a worker loads at start)
get_resolver().url_patterns
from api.research import views  # noqa: F401
heavy = sorted(m for m in ("numpy", "scipy", "matplotlib", "pandas") if m in sys.modules)
print(",".join(heavy))
"""


def test_a_web_process_starts_without_numpy_scipy_or_matplotlib():
    found = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == ""
