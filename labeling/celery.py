"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in the calling process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labeling.settings")

# Every task of the app counts its deliveries and is dropped after too many (deliveries.py).
app = Celery("labeling", task_cls="labeling.deliveries:DeliveryBoundedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
