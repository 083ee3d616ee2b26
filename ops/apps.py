from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Celery tasks and ``manage.py`` commands: the interface layer for workers and operators."""

    name = "ops"
    verbose_name = "BreachTrack operations"

    def ready(self):
        # Celery registers a task when its module is imported. Importing the tasks here, once Django
        # has loaded every app, lets actions queue a task by name (breachtrack.queue) in any process.
        from ops import tasks  # noqa: F401
