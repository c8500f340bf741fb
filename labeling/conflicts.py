"""The one exception for a request that is well-formed but clashes with the current state."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class StateConflict(ValidationError):
    """A rule about state, not input: the round is not open, the item is not the current one,
    the freeze was already released. A ValidationError like every other rule (forms and the
    admin show its message as is), but the API answers it with 409 instead of 400
    (api/exceptions.py), and pages do too."""
