from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "labeling.audit"
    label = "audit"
    verbose_name = "audit log"
