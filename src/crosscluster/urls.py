from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from crosscluster.accounts import manage_urls as accounts_manage_urls
from crosscluster.analytics import manage_urls as analytics_manage_urls
from crosscluster.api.api import api
from crosscluster.cooperation import manage_urls as cooperation_manage_urls
from crosscluster.core import views as core_views
from crosscluster.digest import manage_urls as digest_manage_urls
from crosscluster.directory import manage_urls as directory_manage_urls
from crosscluster.events import manage_urls as events_manage_urls
from crosscluster.inquiries import manage_urls as inquiries_manage_urls
from crosscluster.news import manage_urls as news_manage_urls

# The manager area is one namespace that several apps contribute to.
manage_patterns = [
    *accounts_manage_urls.urlpatterns,
    *directory_manage_urls.urlpatterns,
    *inquiries_manage_urls.urlpatterns,
    *events_manage_urls.urlpatterns,
    *news_manage_urls.urlpatterns,
    *digest_manage_urls.urlpatterns,
    *analytics_manage_urls.urlpatterns,
    *cooperation_manage_urls.urlpatterns,
]

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.svg", core_views.favicon_svg, name="favicon-svg"),
    path("favicon.ico", core_views.favicon_ico, name="favicon-ico"),
    path("apple-touch-icon.png", core_views.touch_icon, name="touch-icon"),
    path("identity.css", core_views.identity_css, name="identity-css"),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("konto/", include("crosscluster.accounts.urls")),
    path("manage/", include((manage_patterns, "manage"))),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("crosscluster.inquiries.urls")),
    path("", include("crosscluster.events.urls")),
    path("", include("crosscluster.search.urls")),
    path("", include("crosscluster.news.urls")),
    path("", include("crosscluster.digest.urls")),
    path("", include("crosscluster.cooperation.urls")),
    path("", include("crosscluster.directory.urls")),
    path("", include("crosscluster.portal.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "crosscluster.core.views.bad_request"
handler404 = "crosscluster.core.views.page_not_found"
handler403 = "crosscluster.core.views.permission_denied"
handler500 = "crosscluster.core.views.server_error"
