from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.utils import user_pk_to_url_str

from .constants import Role


def send_invitation(request, user, invited_by):
    """Email a new user a link to choose their own password (allauth's reset-from-key
    page, with an invitation text instead of a "forgot your password" text)."""
    adapter = get_adapter(request)
    token = app_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    url = adapter.get_reset_password_from_key_url(f"{user_pk_to_url_str(user)}-{token}")
    adapter.send_mail(
        "portal/email/invitation",
        user.email,
        {
            "user": user,
            "role": Role(user.role).in_sentence,
            "invited_by": invited_by,
            "url": url,
            "request": request,
        },
    )
