from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_sort_name"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["bsn"], name="client_bsn_idx"),
        ),
    ]
