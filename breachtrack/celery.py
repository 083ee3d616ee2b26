"""The Celery application.

Configuration comes from Django settings (the CELERY_ namespace), so the
embedded default (filesystem broker under var/) and production (Redis) differ
only by environment variables. Celery's clock is UTC, like storage.
"""

import os

from celery import Celery
from kombu import transport as kombu_transport

# filesystem:// writes each message file whole (breachtrack.fsbroker): kombu's own transport lets a
# worker read a file before it is written, which stops the worker.
kombu_transport.TRANSPORT_ALIASES["filesystem"] = "breachtrack.fsbroker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "breachtrack.settings")

app = Celery("breachtrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
