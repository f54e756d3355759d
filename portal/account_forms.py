"""allauth's forms where Werkpad words things its own way (ACCOUNT_FORMS)."""

from allauth.account.forms import ResetPasswordKeyForm
from django.utils.translation import gettext_lazy as _


class NewPasswordForm(ResetPasswordKeyForm):
    """The new password after a reset link: a mismatch said as the rest of Werkpad speaks
    ("u"; allauth's Dutch says "je")."""

    def clean(self):
        first, second = self.data.get("password1"), self.data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Vul twee keer hetzelfde wachtwoord in."))
            return self.cleaned_data
        return super().clean()
