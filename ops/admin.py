from django.apps import apps as django_apps
from django.utils.translation import gettext_lazy as _

# django-tasks-db names its app in English only, with no msgid to translate:
# named here, where the admin shows it (Admin → task results).
django_apps.get_app_config("django_tasks_database").verbose_name = _("Background tasks")
