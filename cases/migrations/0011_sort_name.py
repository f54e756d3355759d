from django.db import migrations, models

from portal.words import sort_name


def fill(apps, schema_editor):
    """The sort name of every client registered before (Client.save keeps it after)."""
    Client = apps.get_model("cases", "Client")
    batch = []
    for client in Client.objects.only("pk", "last_name").iterator(chunk_size=2000):
        client.sort_name = sort_name(client.last_name)
        batch.append(client)
        if len(batch) == 2000:
            Client.objects.bulk_update(batch, ["sort_name"])
            batch = []
    Client.objects.bulk_update(batch, ["sort_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_timeline_subject_organisation"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="sort_name",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
