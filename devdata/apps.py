from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Demo data and the national-scale generator: development only."""

    name = "devdata"
    verbose_name = "Demo data"
