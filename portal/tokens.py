from allauth.account.forms import EmailAwarePasswordResetTokenGenerator


class ActiveAccountTokenGenerator(EmailAwarePasswordResetTokenGenerator):
    """The links that set a password (the invitation of a new user, a forgotten password)
    stop working when the beheerder deactivates the account: a deactivated person could
    otherwise still choose a password through a link in an old e-mail. Reactivated within
    the link's lifetime, the link works again, as the beheerder restored the account."""

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}|{user.is_active}"
