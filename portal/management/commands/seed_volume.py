from django.core.management.base import BaseCommand, CommandError

from portal import volume


class Command(BaseCommand):
    help = (
        "Vult PostgreSQL met realistische, fictieve gegevens op schaal (alleen in demo- of "
        "testmodus): organisaties, gebruikers, cliënten, casussen met teams, toestemmingen, "
        "tijdlijnen, IPS-trajecten en een geldig inzagelog."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--clients", type=int, required=True, help="Aantal cliënten, bijvoorbeeld 100000."
        )
        parser.add_argument(
            "--seed", type=int, default=7513, help="Startwaarde van het toeval (herhaalbaar)."
        )

    def handle(self, *args, clients, seed, **options):
        try:
            counts = volume.seed(clients, random_seed=seed, say=self.stdout.write)
        except volume.VolumeError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label:35} {count:>10}")
        self.stdout.write(self.style.SUCCESS(f"Volumegegevens voor {clients} cliënten geladen."))
