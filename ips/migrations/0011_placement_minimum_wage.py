import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

# The minimum table and age rule as they stood when this migration was written (a migration
# does not follow later code): see ips.constants.minimum_hourly_wage.
WAGES = (
    (datetime.date(2024, 1, 1), Decimal("13.27")),
    (datetime.date(2024, 7, 1), Decimal("13.68")),
    (datetime.date(2025, 1, 1), Decimal("14.06")),
    (datetime.date(2025, 7, 1), Decimal("14.40")),
    (datetime.date(2026, 1, 1), Decimal("14.71")),
)
SHARES = {20: "0.800", 19: "0.600", 18: "0.500", 17: "0.395", 16: "0.345", 15: "0.300"}


def minimum_hourly_wage(day, born):
    amount = next((wage for since, wage in reversed(WAGES) if since <= day), WAGES[0][1])
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    share = SHARES.get(min(max(age, 15), 21))
    if share is not None:
        amount = (amount * Decimal(share)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount


def fill(apps, schema_editor):
    """The minimum that held on each recorded job's first day, for its client."""
    Placement = apps.get_model("ips", "Placement")
    rows = Placement.objects.values_list(
        "pk", "start_date", "trajectory__case__client__date_of_birth"
    )
    for pk, start, born in rows.iterator(chunk_size=2000):
        Placement.objects.filter(pk=pk).update(minimum_wage=minimum_hourly_wage(start, born))


class Migration(migrations.Migration):
    dependencies = [
        ("ips", "0010_placement_wage_at_most_250"),
    ]

    operations = [
        migrations.AddField(
            model_name="placement",
            name="minimum_wage",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=6,
                null=True,
                verbose_name="minimumuurloon bij de start (€)",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="placement",
            name="minimum_wage",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=6,
                verbose_name="minimumuurloon bij de start (€)",
            ),
        ),
    ]
