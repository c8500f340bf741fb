"""Data flows one way (README, Architecture): the API and the pages call the domain apps, never
the reverse, and the scoring core imports nothing of Django, so a notebook can use it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for name in sorted(imported_modules(path)):
            if name.split(".")[0] in forbidden or name in forbidden:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_no_domain_app_imports_the_api_or_the_frontend():
    assert not offenders(ROOT / "labeling", ("api", "frontend"))


def test_the_scoring_core_imports_nothing_of_django():
    core = [
        path
        for path in (ROOT / "labeling" / "scoring").glob("*.py")
        if path.stem not in {"selectors", "apps", "views", "urls", "pages"}
    ]
    found = [
        f"{path.name} imports {name}"
        for path in core
        for name in imported_modules(path)
        if name.split(".")[0] in {"django", "rest_framework", "labeling"}
        and not name.startswith("labeling.scoring")
    ]
    assert not found, found
