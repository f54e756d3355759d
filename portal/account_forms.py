"""allauth's forms where Werkpad words things its own way (ACCOUNT_FORMS)."""

from allauth.account import forms
from django.utils.translation import gettext_lazy as _


class SamePasswordTwice:
    """A mismatch of the new password and its repetition said as the rest of Werkpad speaks
    ("u"; allauth's Dutch says "Je moet hetzelfde wachtwoord twee keer intoetsen")."""

    def clean(self):
        first, second = self.data.get("password1"), self.data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Vul twee keer hetzelfde wachtwoord in."))
            return self.cleaned_data
        return super().clean()


class NewPasswordForm(SamePasswordTwice, forms.ResetPasswordKeyForm):
    """The new password after a reset link (or the invitation's link)."""


class ChangePasswordForm(SamePasswordTwice, forms.ChangePasswordForm):
    """Changing one's password."""
