"""The audit log: who did what to which record, and when. Rows are only ever added."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditAction(models.TextChoices):
    """The actions recorded. The column takes any `<thing>.<verb>` so that an app can add its
    own (e.g. "adjudication.decided") without a migration here; these are the ones known now."""

    ROUND_CREATED = "round.created", "round created"
    ROUND_OPENED = "round.opened", "round opened"
    ROUND_CLOSED = "round.closed", "round closed"
    GUIDE_FROZEN = "guide.frozen", "guide frozen"
    GUIDE_RELEASED = "guide.released", "guide freeze released"
    ROLES_CHANGED = "user.roles_changed", "roles changed"
    ADJUDICATED = "adjudication.decided", "adjudication decided"
    ADJUDICATED_PROBLEMATIC = "adjudication.problematic", "adjudication marked an image problematic"
    TASK_DROPPED = "task.dropped", "task dropped after killing its worker process every run"


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="empty for a command or the system",
    )
    # Kept as written: the log must still say who acted after the account is renamed or gone.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=100, help_text="app_label.model")
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(action__regex=r"^[a-z_]+\.[a-z_]+$"), name="audit_action_format"
            ),
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action}"
