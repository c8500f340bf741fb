from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_idle_limits(apps, schema_editor):
    """Logs stored before the column existed take their round's idle limit."""
    InteractionLog = apps.get_model("rounds", "InteractionLog")
    Round = apps.get_model("rounds", "Round")
    InteractionLog.objects.update(
        idle_limit_seconds=Subquery(
            Round.objects.filter(items__answers=OuterRef("answer_id")).values("idle_limit_seconds")[
                :1
            ]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("rounds", "0003_answer_times_for_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="interactionlog",
            name="idle_limit_seconds",
            field=models.PositiveIntegerField(
                default=120,
                help_text="the round's idle limit when the answer was given (timing uses it)",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_idle_limits, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="interactionlog",
            constraint=models.CheckConstraint(
                condition=models.Q(("idle_limit_seconds__gte", 1)),
                name="log_idle_limit_positive",
            ),
        ),
    ]
