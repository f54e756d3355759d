"""The IPS category's description names everything a recipient reads under it: the
profile's obstacles and support, and what was discussed in follow-along support on the job.
It said 'profile, employer contacts and jobs', which is not what the client consented to
when it also covers the notes of the follow-along contacts. A description a beheerder has
edited is left as it is."""

from django.db import migrations

OLD = "Uw traject met de IPS-trajectbegeleider: profiel, contacten met werkgevers en banen."
NEW = (
    "Uw traject met de IPS-trajectbegeleider: uw beroepsprofiel (ook wat u in werk belemmert "
    "en welke steun u nodig heeft), contacten met werkgevers, banen, en de begeleiding op het "
    "werk met wat daarin besproken is."
)


def forward(apps, schema_editor):
    apps.get_model("consent", "DataCategory").objects.filter(code="ips", description=OLD).update(
        description=NEW
    )


def backward(apps, schema_editor):
    apps.get_model("consent", "DataCategory").objects.filter(code="ips", description=NEW).update(
        description=OLD
    )


class Migration(migrations.Migration):
    dependencies = [("consent", "0008_withdrawal_method_by_staff")]

    operations = [migrations.RunPython(forward, backward)]
