from django.apps import AppConfig


class FrontendConfig(AppConfig):
    """Holds the templates and static files of the labeling UIs."""

    name = "frontend"
