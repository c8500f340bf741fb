from django.apps import AppConfig


class PredictionsConfig(AppConfig):
    name = "labeling.predictions"
    label = "predictions"
