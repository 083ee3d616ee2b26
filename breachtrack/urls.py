from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("dashboard.urls")),
    path("", include("incidents.urls")),
    path("", include("filings.urls")),
    path("", include("communications.urls")),
    path("", include("evidence.urls")),
    path("", include("access.urls")),
]

# Our own login, logout and two-factor pages (organisations.account_views).
urlpatterns.append(path("accounts/", include("organisations.account_urls")))
# Under /api/ a URL that matches no route answers in the API's own JSON error body (api.errors).
handler404 = "api.errors.not_found"
# … and so does a server error: never the site's HTML page to an API client.
handler500 = "api.errors.server_error"
