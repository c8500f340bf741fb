from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from labeling.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is only ever added to."""

    list_display = ["at", "actor_name", "action", "target_type", "target_label"]
    list_filter = ["action", "target_type", "at", "actor_name"]
    search_fields = ["actor_name", "target_label", "target_id"]
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "actor",
        "actor_name",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "details",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
