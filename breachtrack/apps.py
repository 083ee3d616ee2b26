from django.contrib.admin.apps import AdminConfig


class BreachTrackAdminConfig(AdminConfig):
    """``django.contrib.admin`` with BreachTrack's member-based admin site as the default site."""

    default_site = "web.admin_site.BreachTrackAdminSite"
