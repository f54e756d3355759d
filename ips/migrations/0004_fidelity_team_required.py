import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Separate from 0003: PostgreSQL refuses to alter a table with the updates of the same
    transaction still pending."""

    dependencies = [
        ("ips", "0003_fidelity_per_team"),
    ]

    operations = [
        migrations.AlterField(
            model_name="fidelityreview",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reviews",
                to="ips.ipsteam",
                verbose_name="IPS-team",
            ),
        ),
        migrations.AlterField(
            model_name="fidelityreview",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.organisation",
                verbose_name="organisatie",
            ),
        ),
        migrations.RemoveIndex(
            model_name="fidelityreview",
            name="ips_review_org_date_idx",
        ),
        migrations.AddIndex(
            model_name="fidelityreview",
            index=models.Index(fields=["team", "review_date"], name="ips_review_team_date_idx"),
        ),
    ]
