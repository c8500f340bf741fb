from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "labeling.training"
    label = "training"
    verbose_name = "training: practice rounds, feedback, learning statistics and group review"
