"""Recording admin actions (and what the system does on its own) in the audit log."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import models

from labeling.audit.models import AuditEntry


class AuditTarget(NamedTuple):
    """What an entry is about when that is no row of ours, e.g. a Celery task message."""

    type: str  # "<thing>.<kind>", like a model's app_label.model
    id: str
    label: str


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    target: models.Model | AuditTarget,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry: `actor` did `action` (an AuditAction, or any "<thing>.<verb>") to `target`
    (a saved row, or an AuditTarget). Call it inside the transaction of the action itself, so
    that the entry and the change are written, or rolled back, together. `details` must be
    JSON-serialisable."""
    person = actor if isinstance(actor, User) and actor.is_authenticated else None
    if isinstance(target, AuditTarget):
        target_type, target_id, target_label = target
    else:
        target_type, target_id, target_label = (
            target._meta.label_lower,
            str(target.pk),
            str(target),
        )
    return AuditEntry.objects.create(
        actor=person,
        actor_name=person.get_username() if person is not None else "",
        action=str(action),
        target_type=target_type[:100],
        target_id=target_id[:64],
        target_label=target_label[:300],
        details=details or {},
    )
