from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("wards/", views.ward_list, name="ward_list"),
    path("wards/<str:code>/", views.ward_detail, name="ward_detail"),
]
