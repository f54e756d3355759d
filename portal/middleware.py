import uuid

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect

# Paths a professional without a second factor may still open: sign-out, the MFA
# set-up itself, static files and the monitoring endpoint.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/gezondheid/", "/i18n/")


class RequestIdMiddleware:
    """Give every request an id; the access log and the response carry it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class RequireMFAMiddleware:
    """Outside demo mode, a professional must set up TOTP before opening anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up_mfa(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _must_set_up_mfa(request):
        if not settings.WERKPAD_REQUIRE_MFA:
            return False
        user = request.user
        if not user.is_authenticated or not user.is_professional:
            return False
        if request.path.startswith(MFA_EXEMPT_PREFIXES):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
