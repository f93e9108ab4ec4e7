from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import help as accounts_help
from ops import views as ops_views

from . import views

admin.site.site_header = "Kiểu Mẫu"
admin.site.site_title = "Kiểu Mẫu"

urlpatterns = [
    path("", include("assessments.urls")),
    path("", include("dashboards.urls")),
    path("", include("notifications.urls")),
    path("", include("deadlines.urls")),
    path("", include("reminders.urls")),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("help/", accounts_help.help_page, name="help"),
    path("api/v1/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "admin/worker/",
        admin.site.admin_view(ops_views.worker_page),
        name="admin_worker",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "config.views.bad_request"
handler500 = "config.views.server_error"
