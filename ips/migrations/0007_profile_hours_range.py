"""The beroepsprofiel's preferred hours per week: more than 0, at most 60 (the data were
made to fit in 0006)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ips', '0006_profile_hours_decimal'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='beroepsprofiel',
            constraint=models.CheckConstraint(condition=models.Q(('preferred_hours__isnull', True), models.Q(('preferred_hours__gt', 0), ('preferred_hours__lte', 60)), _connector='OR'), name='ips_profile_hours_range', violation_error_message='Het gewenste aantal uren per week ligt boven 0 en is hoogstens 60.'),
        ),
    ]
