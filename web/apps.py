from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages, the member admin and the template tags: the interface layer for people."""

    name = "web"
    verbose_name = "BreachTrack web"
