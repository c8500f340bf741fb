from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "labeling.guide"
    label = "guide"
