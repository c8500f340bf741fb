from django.db import migrations, models


def training_answers_final(apps, schema_editor) -> None:
    # A training round made before this rule (in the generic admin form) may allow changes.
    Round = apps.get_model("rounds", "Round")
    Round.objects.filter(kind="training", allow_change_previous=True).update(
        allow_change_previous=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("rounds", "0005_round_review_kinds"),
    ]

    operations = [
        migrations.RunPython(training_answers_final, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="round",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("allow_change_previous", True), ("kind", "training"), _negated=True
                ),
                name="round_training_answers_final",
            ),
        ),
    ]
