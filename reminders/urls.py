from django.urls import path

from . import views

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
]
