from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "labeling.scoring"
    label = "scoring"
