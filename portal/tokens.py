from django.contrib.auth.tokens import PasswordResetTokenGenerator


class ActiveAccountTokenGenerator(PasswordResetTokenGenerator):
    """allauth's e-mail-aware token for the links that set a password (the invitation of a
    new user, a forgotten password), which stops working while the beheerder has the
    account deactivated: a deactivated person could otherwise still choose a password
    through a link in an old e-mail. Reactivated within the link's lifetime, the link works
    again, as the beheerder restored the account. Links of active accounts are unchanged."""

    def _make_hash_value(self, user, timestamp):
        # Imported here: allauth.account.forms reads this setting when it is imported.
        from allauth.account.forms import EmailAwarePasswordResetTokenGenerator

        value = EmailAwarePasswordResetTokenGenerator()._make_hash_value(user, timestamp)
        return value if user.is_active else f"{value}|inactive"
