"""Authentication backends that read the signed-in user together with their organisation.

Every page shows the organisation in its header (and the access policy asks for it), so
reading both in the query that loads the user from the session saves one query per request.
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class _WithOrganisation:
    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.select_related("organisation")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None


class UserBackend(_WithOrganisation, ModelBackend):
    """Django's backend (sign-in by e-mail address and password, the admin site)."""


class AccountBackend(_WithOrganisation, AuthenticationBackend):
    """allauth's backend (the sign-in pages, re-authentication)."""
