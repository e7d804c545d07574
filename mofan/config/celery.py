"""Celery for production (PostgreSQL + Redis). In the embedded default tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mofan.config.settings")
app = Celery("mofan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
