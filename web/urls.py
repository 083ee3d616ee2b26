from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    path("notifications/", include("web.notifications.urls")),
    path("", include("web.dashboard.urls")),
    path("", include("web.incidents.urls")),
    path("", include("web.register.urls")),
    path("", include("web.filings.urls")),
    path("", include("web.communications.urls")),
    path("", include("web.evidence.urls")),
    path("", include("web.access.urls")),
    path("", include("web.metrics.urls")),
]

# Our own login, logout and two-factor pages (web.accounts.views).
urlpatterns.append(path("accounts/", include("web.accounts.urls")))
# Under /api/ a URL that matches no route answers in the API's own JSON error body (api.errors).
handler404 = "api.errors.not_found"
# … and so does a server error: never the site's HTML page to an API client.
handler500 = "api.errors.server_error"
