"""The Celery application.

Configuration comes from Django settings (the CELERY_ namespace), so the
embedded default (filesystem broker under var/) and production (Redis) differ
only by environment variables. Celery's clock is UTC, like storage.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")

app = Celery("breachtrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
