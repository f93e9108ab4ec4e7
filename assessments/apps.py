from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    # The label of the first version, kept so that its migrations, tables
    # and admin URLs stay as they are.
    label = "evidence"
    verbose_name = _("Evidence and review")
