from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.stages import AuthenticateStage
from django.contrib import messages
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

# allauth's second-factor step of the sign-in, and ours in its place.
ALLAUTH_MFA_STAGE = "allauth.mfa.stages.AuthenticateStage"
MFA_STAGE = "portal.adapters.PasswordCheckedAuthenticateStage"


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

    def get_login_stages(self):
        # The second-factor step ends a sign-in whose password changed meanwhile.
        return [
            MFA_STAGE if path == ALLAUTH_MFA_STAGE else path for path in super().get_login_stages()
        ]


class PasswordCheckedAuthenticateStage(AuthenticateStage):
    """The second-factor step of the sign-in, ended when the password changed after it was
    typed.

    A sign-in with the password given and the code not yet waits in the session. Without
    this, a new password (set by the user elsewhere, or a beheerder's reset after a leak) left
    that half-finished sign-in to be completed with the old one and a code. The check comes
    when the code was found right (allauth's view has no earlier hook): the code is spent,
    the user starts again at the sign-in page.
    """

    def handle(self):
        # Runs right after the password was checked: remember which password that was, as
        # the keyed hash of its hash Django keeps in a signed-in session for the same end.
        # Never overwritten, so nothing later can bring a new password into this sign-in.
        if self.login.user is not None:
            self.state.setdefault("password_hash", self.login.user.get_session_auth_hash())
        return super().handle()

    def exit(self):
        # The pending sign-in loads the user afresh on every request: this is the password
        # as it is now. A sign-in begun before this check existed has no hash: it starts again.
        now = self.login.user.get_session_auth_hash()
        if not constant_time_compare(self.state.get("password_hash", ""), now):
            messages.error(
                self.request,
                _(
                    "Uw wachtwoord is gewijzigd nadat u het invulde. Log opnieuw in met uw "
                    "huidige wachtwoord."
                ),
            )
            return self.abort()
        return super().exit()


class MFAAdapter(DefaultMFAAdapter):
    """The second-factor messages in the portal's own Dutch ("u")."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": _("Deze code is niet juist. Controleer de code en probeer het opnieuw."),
    }
