from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<str:code>/", views.calendar_page, name="calendar_province"),
]
