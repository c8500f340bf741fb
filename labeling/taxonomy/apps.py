from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "labeling.taxonomy"
    label = "taxonomy"
