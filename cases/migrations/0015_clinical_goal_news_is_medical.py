"""The timeline entry of a goal in the clinical domain ('Doel (Klinisch herstel): …'), stored
before GoalForm left that domain out, is treatment information: category medisch, which
Werk & Inkomen never reads (the goal itself: GoalQuerySet.readable)."""

from django.db import migrations

TITLE = "Doel (Klinisch herstel)"


def forwards(apps, schema_editor):
    TimelineEntry = apps.get_model("cases", "TimelineEntry")
    TimelineEntry.objects.filter(kind="doel", title__startswith=TITLE).update(category="medisch")


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_leidraad_open_session_per_org")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
