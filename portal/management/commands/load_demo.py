from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import demo


class Command(BaseCommand):
    help = "Laadt de fictieve demowereld (alleen in demo- of DEBUG-modus)."

    def handle(self, *args, **options):
        if not (settings.DEMO_MODE or settings.DEBUG):
            raise CommandError(
                "De demowereld wordt alleen geladen in demomodus (WERKPAD_DEMO=1) of met DEBUG."
            )
        demo.build_world()
        self.stdout.write(
            "Demowereld geladen. Demo-accounts (wachtwoord: %s):" % settings.DEMO_PASSWORD
        )
        for email, _first, _last, org, role in demo.ACCOUNTS:
            self.stdout.write(f"  {email:32} {role.label} bij {org}")
