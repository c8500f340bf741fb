"""Recording admin actions in the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import models

from labeling.audit.models import AuditEntry


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry: `actor` did `action` (an AuditAction, or any "<thing>.<verb>") to `target`
    (a saved row). Call it inside the transaction of the action itself, so that the entry and the
    change are written, or rolled back, together. `details` must be JSON-serialisable."""
    person = actor if isinstance(actor, User) and actor.is_authenticated else None
    return AuditEntry.objects.create(
        actor=person,
        actor_name=person.get_username() if person is not None else "",
        action=str(action),
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        details=details or {},
    )
