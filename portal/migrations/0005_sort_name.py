from django.db import migrations, models

from portal.words import sort_name


def fill(apps, schema_editor):
    """The sort name of every existing user (User.save keeps it after)."""
    User = apps.get_model("portal", "User")
    users = list(User.objects.only("pk", "last_name"))
    for user in users:
        user.sort_name = sort_name(user.last_name)
    User.objects.bulk_update(users, ["sort_name"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_submission_last_form"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "ordering": ["sort_name", "first_name", "email"],
                "verbose_name": "gebruiker",
                "verbose_name_plural": "gebruikers",
            },
        ),
        migrations.AddField(
            model_name="user",
            name="sort_name",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
