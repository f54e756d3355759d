"""Load version 1 of the gespreksleidraad content (cases/content/leidraad_v1.json).

Self-contained on purpose: it reads the file as shipped with this migration and does not
import application code that may change later. Later versions are published by a beheerder
(beheer page) or with ``manage.py publish_leidraad``.
"""

import hashlib
import json
from pathlib import Path

from django.db import migrations

CONTENT = Path(__file__).resolve().parent.parent / "content" / "leidraad_v1.json"


def load_v1(apps, schema_editor):
    LeidraadVersion = apps.get_model("cases", "LeidraadVersion")
    if LeidraadVersion.objects.exists():
        return
    data = json.loads(CONTENT.read_text(encoding="utf-8"))
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    LeidraadVersion.objects.create(
        number=1,
        title=data["title"],
        content=data,
        checksum=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        note="Eerste versie, meegeleverd met Werkpad.",
    )


def unload_v1(apps, schema_editor):
    LeidraadVersion = apps.get_model("cases", "LeidraadVersion")
    LeidraadVersion.objects.filter(number=1, sessions__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_leidraad"),
    ]

    operations = [
        migrations.RunPython(load_v1, unload_v1),
    ]
