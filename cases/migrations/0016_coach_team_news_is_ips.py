"""Team news that names a place as IPS-trajectbegeleider ('… doet mee als
IPS-trajectbegeleider', '… uitgenodigd als IPS-trajectbegeleider') says the client has IPS:
category ips, read as IPS data is (cases.services.team_news_category)."""

from django.db import migrations

TITLE = r" (doet mee|uitgenodigd) als IPS-trajectbegeleider$"


def forwards(apps, schema_editor):
    TimelineEntry = apps.get_model("cases", "TimelineEntry")
    TimelineEntry.objects.filter(kind="team", category="identificatie", title__regex=TITLE).update(
        category="ips"
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_clinical_goal_news_is_medical")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
