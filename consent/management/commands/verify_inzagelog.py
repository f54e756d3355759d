from django.core.management.base import BaseCommand, CommandError

from consent.services import verify_chain


class Command(BaseCommand):
    help = "Controleert de hash-keten van het inzagelog en meldt de eerste verbroken regel."

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Inzagelog verbroken bij regel {broken.pk} "
                f"({broken.timestamp:%Y-%m-%d %H:%M:%S}); de {checked} regels ervoor zijn in orde."
            )
        self.stdout.write(self.style.SUCCESS(f"Inzagelog in orde: {checked} regels gecontroleerd."))
