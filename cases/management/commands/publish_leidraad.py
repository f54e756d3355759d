"""Publish a new version of the gespreksleidraad from a JSON file (same checks as the
beheer page). Without a file: make sure the bundled version 1 exists."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases import leidraad_content as content
from cases import leidraad_services as leidraad


class Command(BaseCommand):
    help = "Publiceer een nieuwe versie van de gespreksleidraad uit een JSON-bestand."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="JSON-bestand met de inhoud")
        parser.add_argument("--note", default="", help="Wat is er veranderd?")

    def handle(self, *args, path=None, note="", **options):
        if not path:
            version = leidraad.ensure_bundled()
            self.stdout.write(f"Versie in gebruik: {version.number}")
            return
        try:
            with open(path, encoding="utf-8") as handle:
                data = content.parse(handle.read())
            version = leidraad.publish(data, note=note)
        except OSError as exc:
            raise CommandError(f"Kan {path} niet lezen: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Versie {version.number} is gepubliceerd."))
