from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path(
        "notifications/<int:pk>/open/",
        views.open_notification,
        name="open_notification",
    ),
    path("notifications/read/", views.read_all, name="read_all_notifications"),
    path(
        "notifications/settings/",
        views.preferences,
        name="notification_preferences",
    ),
]
