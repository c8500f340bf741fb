from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "labeling.review"
    label = "review"
    verbose_name = "review: candidates and multi-labels"
