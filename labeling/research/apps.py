from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "labeling.research"
    label = "research"
