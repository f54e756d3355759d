from django.db import migrations

CATEGORIES = [
    ("identificatie", "Identificatie en contact",
     "Uw naam, geboortedatum, BSN en hoe we u kunnen bereiken."),
    ("werksituatie", "Werksituatie en uitkering",
     "Of u werkt, hoeveel uur, welke uitkering u heeft en of u moet solliciteren."),
    ("mogelijkheden", "Arbeidsmogelijkheden en belastbaarheid",
     "Wat u kunt en wilt in werk, en welke aanpassingen u nodig heeft. Geen diagnoses."),
    ("ips", "IPS-traject en voortgang",
     "Uw traject met de IPS-trajectbegeleider: profiel, contacten met werkgevers en banen."),
    ("leidraad", "Uitkomsten gespreksleidraad",
     "Wat u en uw behandelaar hebben besproken over werk en herstel."),
    ("gespreksverslagen", "Gespreksverslagen",
     "Korte verslagen van gesprekken over uw motivatie voor werk."),
    ("afspraken", "Afspraken en doelen",
     "Uw doelen en de afspraken over wie wat doet en wanneer."),
    ("medisch", "Medische en behandelinformatie",
     "Diagnoses, behandeling en notities van uw behandelaar. Nooit voor gemeente of UWV."),
]

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION consent_accesslog_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'Het inzagelog is alleen aan te vullen.';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_accesslog_no_update_delete
  BEFORE UPDATE OR DELETE ON consent_accesslogentry
  FOR EACH ROW EXECUTE FUNCTION consent_accesslog_append_only();
"""


def load_categories(apps, schema_editor):
    DataCategory = apps.get_model("consent", "DataCategory")
    for position, (code, label, description) in enumerate(CATEGORIES):
        DataCategory.objects.update_or_create(
            code=code, defaults={"label": label, "description": description, "position": position}
        )


def append_only(apps, schema_editor):
    # Defence in depth next to the ORM guard: the database itself refuses changes.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        migrations.RunPython(load_categories, migrations.RunPython.noop),
        migrations.RunPython(append_only, migrations.RunPython.noop),
    ]
