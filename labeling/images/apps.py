from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "labeling.images"
    label = "images"
