from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "labeling.rounds"
    label = "rounds"
    verbose_name = "rounds: labeling work, answers and timing"
