from django.db import migrations

SOURCES = [
    ("imagenet-val", "ImageNet validation set (ILSVRC2012)", "imagenet-val"),
    ("imagenetv2-matched-frequency", "ImageNetV2 MatchedFrequency", "imagenetv2"),
    ("imagenetv2-threshold0.7", "ImageNetV2 Threshold0.7", "imagenetv2"),
    ("imagenetv2-top-images", "ImageNetV2 TopImages", "imagenetv2"),
]


def create_sources(apps, schema_editor):
    ImageSource = apps.get_model("images", "ImageSource")
    for slug, name, dataset in SOURCES:
        ImageSource.objects.get_or_create(slug=slug, defaults={"name": name, "dataset": dataset})


class Migration(migrations.Migration):
    dependencies = [("images", "0001_initial")]

    operations = [migrations.RunPython(create_sources, migrations.RunPython.noop)]
