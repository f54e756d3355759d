"""Django's password rules with their refusals in Werkpad's Dutch. Django 5.2.8 reworded the
minimum-length message, and its Dutch catalogue has no translation of the new one: users
read "This password is too short"; and "lijkt te veel op de e-mailadres" is not Dutch."""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return _("Dit wachtwoord is te kort: gebruik minstens %(min_length)d tekens.") % {
            "min_length": self.min_length
        }


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return _("Dit wachtwoord lijkt te veel op uw %(verbose_name)s.")
