import django.db.models.deletion
from django.db import migrations, models


def reviews_to_teams(apps, schema_editor):
    """A review so far belonged to the organisation's one IPS team: give it that team (the one
    migration 0002 made, or a new 'IPS-team' for an organisation without trajectbegeleiders)."""
    FidelityReview = apps.get_model("ips", "FidelityReview")
    IpsTeam = apps.get_model("ips", "IpsTeam")
    for organisation_id in (
        FidelityReview.objects.values_list("organisation_id", flat=True).distinct()
    ):
        team = IpsTeam.objects.filter(organisation_id=organisation_id).order_by("pk").first()
        if team is None:
            team = IpsTeam.objects.create(organisation_id=organisation_id, name="IPS-team")
        FidelityReview.objects.filter(organisation_id=organisation_id).update(team=team)


class Migration(migrations.Migration):
    dependencies = [
        ("ips", "0002_ips_teams"),
        ("portal", "0002_report"),
    ]

    operations = [
        migrations.AddField(
            model_name="fidelityreview",
            name="team",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reviews",
                to="ips.ipsteam",
                verbose_name="IPS-team",
            ),
        ),
        migrations.RunPython(reviews_to_teams, migrations.RunPython.noop),
    ]
