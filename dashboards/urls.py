from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.national, name="national_dashboard"),
    path("dashboard/trend/", views.trend, name="trend_dashboard"),
    path(
        "dashboard/export/<str:table>.<str:fmt>", views.export, name="dashboard_export"
    ),
    path("dashboard/<str:code>/", views.province, name="province_dashboard"),
    path(
        "dashboard/<str:code>/indicators/",
        views.indicator,
        name="indicator_dashboard",
    ),
]
