from django.urls import path

from . import dashboard_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("wards/", views.ward_list, name="ward_list"),
    path("wards/<str:code>/", views.ward_detail, name="ward_detail"),
    path("wards/<str:code>/dossier/", views.ward_dossier, name="ward_dossier"),
    path("dashboard/", dashboard_views.national, name="national_dashboard"),
    path("dashboard/trend/", dashboard_views.trend, name="trend_dashboard"),
    path(
        "dashboard/export/<str:table>.<str:fmt>",
        dashboard_views.export,
        name="dashboard_export",
    ),
    path("dashboard/<str:code>/", dashboard_views.province, name="province_dashboard"),
]
