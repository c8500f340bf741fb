"""Every URL pattern of the app, read from Django's resolver, with the HTTP methods its view
accepts and the URL to ask it at in the matrix's world."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

from tests.permissions.world import ANNOTATOR, TENCH, World

UNSAFE = ("post", "put", "patch", "delete")
METHODS = ("get", "head", *UNSAFE)
ADMIN_KINDS = {"": "changelist", "add/": "add", "history/": "history", "delete/": "delete"}


@dataclass(frozen=True)
class Pattern:
    route: str  # the full route as urls.py spells it, e.g. "api/rounds/<int:round_id>/next/"
    name: str | None
    callback: Callable
    model: type[Model] | None  # for the admin's URLs of one model

    @property
    def admin_model(self) -> str | None:
        """ "app.model" for a URL of one model's admin, else None."""
        return self.model._meta.label_lower if self.model else None

    @property
    def admin_kind(self) -> str:
        """changelist, add, history, delete, change or object (the bare object URL, which
        redirects to change); anything else (an extra view) by its URL name."""
        assert self.model is not None
        base = f"admin/{self.model._meta.app_label}/{self.model._meta.model_name}/"
        rest = self.route.removeprefix(base)
        if rest in ADMIN_KINDS:
            return ADMIN_KINDS[rest]
        if rest.startswith("<path:object_id>/"):
            return rest.removeprefix("<path:object_id>/").rstrip("/") or "object"
        return self.name or rest

    def methods(self) -> tuple[str, ...]:
        """The methods the view accepts: what a class-based view defines, what a
        require_http_methods decorator lets through, and GET and POST for the admin's views
        (each of them a form or a list with actions). None for a function view that takes any
        method: the matrix refuses those, so each view says what it serves."""
        if self.route.startswith("admin/") and declared_methods(self.callback) is None:
            return ("get", "post")
        view_class = getattr(self.callback, "cls", None) or getattr(
            self.callback, "view_class", None
        )
        if view_class is not None:
            found = [
                m for m in METHODS if m in view_class.http_method_names and hasattr(view_class, m)
            ]
            if "get" in found and "head" not in found:
                found.insert(1, "head")  # View.setup answers HEAD with get
            return tuple(found)
        declared = declared_methods(self.callback)
        return declared or ()


def declared_methods(view: Callable) -> tuple[str, ...] | None:
    """The methods of a require_http_methods (require_safe, require_POST, …) decorator on the
    view, found in the closure of its wrapper, or None if it has none."""
    current: Callable | None = view
    while current is not None:
        code = getattr(current, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = current.__closure__[code.co_freevars.index("request_method_list")]  # type: ignore[index]
            return tuple(m.lower() for m in METHODS if m.upper() in cell.cell_contents)
        current = getattr(current, "__wrapped__", None)
    return None


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _admin_model(route: str) -> type[Model] | None:
    for model in admin.site._registry:
        if route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


def url_patterns() -> list[Pattern]:
    return [
        Pattern(route=route, name=entry.name, callback=entry.callback, model=_admin_model(route))
        for route, entry in _walk(get_resolver().url_patterns)
    ]


# --- Filling in a pattern's arguments ---------------------------------------------------------

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def url_for(pattern: Pattern, world: World, *, round: str = "evaluation") -> str:
    """The pattern's URL with its arguments taken from the world (`round` names the round for
    a round_id)."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return str(_argument(pattern, name, world, round))

    path = PARAMETER.sub(value, pattern.route.replace("^", "").replace("$", ""))
    return "/" + path.replace("\\.", ".")


def _argument(pattern: Pattern, name: str, world: World, round: str) -> object:
    simple = {
        "round_id": world.rounds[round].pk,
        "wnid": TENCH,
        "reference_id": world.reference.pk,
        "public_id": world.image.public_id,
        "item": world.items.get(round, "no-such-item"),
        "request_id": world.training_request.pk,
        "name": "scores",
        "format": "csv",
        "app_label": "rounds",
        "url": "no/such/page/",
        "id": world.users[ANNOTATOR].pk,
        "content_type_id": ContentType.objects.get_for_model(world.rounds[round]).pk,
    }
    if name == "object_id":
        if pattern.model is None:  # the admin's view-on-site redirect
            return world.rounds[round].pk
        # The token admin finds a token by its user's id (DRF's TokenAdmin).
        field = "user_id" if pattern.model._meta.model_name == "apitoken" else "pk"
        found = pattern.model._default_manager.order_by(field).values_list(field, flat=True)
        return found.first() or 999999
    if name == "pk":
        return world.note.pk if "/notes/" in pattern.route else world.freeze.pk
    return simple[name]
