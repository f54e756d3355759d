from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.utils.translation import gettext_lazy as _


class AccountAdapter(DefaultAccountAdapter):
    """No public self-registration: accounts are made by a beheerder of the organisation.

    The sign-in messages address the user as "u", like the rest of the portal.
    """

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _(
            "Dit account is gedeactiveerd. Neem contact op met de beheerder van uw organisatie."
        ),
        "email_password_mismatch": _("Het e-mailadres of het wachtwoord is niet juist."),
        "too_many_login_attempts": _(
            "Te veel mislukte inlogpogingen. Wacht enkele minuten en probeer het dan opnieuw."
        ),
        "incorrect_code": _("Deze code is niet juist."),
        # Changing the password: the current one was typed, but not right.
        "enter_current_password": _("Uw huidige wachtwoord is niet juist."),
        # Confirming the password before a sensitive step.
        "incorrect_password": _("Dit wachtwoord is niet juist. Probeer het opnieuw."),
        # Too many tries in a short time (also of a second-factor code).
        "rate_limited": _(
            "U probeert het te vaak achter elkaar. Wacht even en probeer het dan opnieuw."
        ),
    }

    def is_open_for_signup(self, request):
        return False


class MFAAdapter(DefaultMFAAdapter):
    """The second-factor messages in the portal's own Dutch ("u")."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": _("Deze code is niet juist. Controleer de code en probeer het opnieuw."),
    }
