import hashlib
import json
import time
import uuid
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .models import Submission

# Paths a professional without a second factor may still open whatever lies behind them:
# static files, the monitoring endpoint and the language switch.
MFA_EXEMPT_PREFIXES = ("/static/", "/gezondheid/", "/i18n/")
# Of the account pages (allauth's, under /accounts/), only those such a professional needs to
# set the second factor up or to leave, by URL name: not the whole prefix, so a page mounted
# there later waits for the second factor like every other. The recovery codes and the MFA
# overview that follow the activation need no place here: by then TOTP is set up.
MFA_SETUP_URL_NAMES = frozenset(
    {
        "account_login",
        "account_logout",
        # The activation asks for the password again first.
        "account_reauthenticate",
        "mfa_activate_totp",
        # A reset link opened while signed in to another account signs that one out.
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
    }
)


class MethodNotAllowedPageMiddleware:
    """An address for a form's POST opened with GET (a bookmark, a pasted link) gets
    Django's 405 with an empty body, a blank page: a Dutch page like 403 and 404 instead,
    still a 405 with its Allow header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response


class RequestIdMiddleware:
    """Give every request an id; the access log and the response carry it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class PrivatePagesMiddleware:
    """What a signed-in user is shown is stored by no browser or proxy cache: Back after
    signing out on a shared computer fetches the page again (and meets the sign-in page)
    instead of showing client data from the cache. A response with a Cache-Control of its
    own (a download) keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class RequireMFAMiddleware:
    """Outside demo mode, a professional, and a platform administrator (the Django admin
    opens every record), must set up TOTP before opening anything else."""

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
        if not user.is_authenticated or not (user.is_professional or user.is_staff):
            return False
        if request.path.startswith(MFA_EXEMPT_PREFIXES):
            return False
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            return False
        # Middleware runs before the URL is resolved (request.resolver_match is still None):
        # resolve it here, only for the few requests that get this far. The view name
        # carries the namespace, so a page of our own called "account_login" is no match.
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            return True
        return view_name not in MFA_SETUP_URL_NAMES


# The hidden field of {% submit_once %} (portal.templatetags.werkpad).
SUBMISSION_FIELD = "submission"
# How long a repeated POST waits for the first to finish, and how often it looks.
REPEAT_WAIT_SECONDS = 3.0
REPEAT_POLL_SECONDS = 0.1
# A first POST still unfinished after this never finishes (its worker was stopped: the
# gunicorn timeout is far shorter): a repeat takes its place.
ABANDONED_AFTER = timedelta(minutes=2)
# The same content as the last form sent to an address, sent again this soon from a fresh
# rendering of that form, is a repeat: Back after saving shows the form anew (the page is not
# cached), and the browser fills in what was typed. Later, or after another form to that
# address (A, then B, then A again to put it back), it is taken to be meant.
SAME_CONTENT_WITHIN = timedelta(minutes=10)
# Fields that differ on every rendering of the same form.
NOT_CONTENT = {SUBMISSION_FIELD, "csrfmiddlewaretoken"}


def repeatable(view):
    """For a form whose every sending asks for something new (a report of the data as they
    are now): the same content sent again from a fresh rendering is handled again."""
    view.repeatable = True
    return view


def _fingerprint(request):
    """A hash of what was sent: the fields but the tokens, and the files' names and sizes."""
    content = [
        sorted(
            (k, v) for k, values in request.POST.lists() if k not in NOT_CONTENT for v in values
        ),
        sorted((k, f.name, f.size) for k, files in request.FILES.lists() for f in files),
    ]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


class SubmitOnceMiddleware:
    """A form with a one-time token ({% submit_once %}) is handled once.

    The first POST of the token claims it: a row with the token as primary key, committed at
    once, so a repeat of that POST (a double click, a slow answer clicked again, the answer
    reloaded) finds it whatever the timing. The repeat waits for the first to finish and is
    sent where the first went, with a message; nothing is added twice. When the first did
    not end in a redirect (errors in the form, an error page, a fault), the claim is
    dropped, so the form can be corrected and sent again. Runs after the CSRF check
    (process_view).

    Back after saving renders the form anew, with a new token, and the browser fills in
    what was typed: the same content as the user's last form to that address, handled less
    than SAME_CONTENT_WITHIN ago, is a repeat as well (unless the view is ``repeatable``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "submission_token", None)
        if token is not None:
            claim = Submission.objects.filter(token=token)
            if 300 <= response.status_code < 400 and response.has_header("Location"):
                claim.update(redirect_to=response["Location"])
            else:
                claim.delete()
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.user.is_authenticated:
            return None
        try:
            token = uuid.UUID(request.POST.get(SUBMISSION_FIELD) or "")
        except ValueError:
            return None
        path, fingerprint = "", ""
        if not getattr(view_func, "repeatable", False):
            path, fingerprint = request.path[:500], _fingerprint(request)
        if path and (earlier := _sent_just_now(request.user, token, path, fingerprint)):
            messages.info(
                request,
                _(
                    "U hebt dit formulier om %(time)s al met precies deze inhoud verzonden. U "
                    "ziet wat dat opleverde; er is niets dubbel vastgelegd. Wilt u echt twee "
                    "keer hetzelfde vastleggen? Verander dan iets aan de invoer."
                )
                % {"time": date_format(timezone.localtime(earlier.created_at), "H:i")},
            )
            return HttpResponseRedirect(earlier.redirect_to)
        deadline = time.monotonic() + REPEAT_WAIT_SECONDS
        while True:
            try:
                with transaction.atomic():
                    Submission.objects.create(
                        token=token, user=request.user, path=path, fingerprint=fingerprint
                    )
            except IntegrityError:
                first = Submission.objects.filter(token=token).first()
            else:
                request.submission_token = token
                return None
            if first is None:
                continue  # the first ended without effect meanwhile: this one counts
            if first.user_id != request.user.pk:
                raise PermissionDenied
            if first.redirect_to:
                messages.info(
                    request,
                    _(
                        "Dit formulier was al verzonden. U ziet wat de eerste keer opleverde; "
                        "er is niets dubbel vastgelegd."
                    ),
                )
                return HttpResponseRedirect(first.redirect_to)
            if first.created_at < timezone.now() - ABANDONED_AFTER:
                Submission.objects.filter(pk=first.pk, redirect_to="").delete()
                continue
            if time.monotonic() >= deadline:
                messages.warning(
                    request,
                    _(
                        "Dit formulier is al verzonden en wordt nog verwerkt. Kijk zo of het "
                        "is vastgelegd voordat u het opnieuw invult."
                    ),
                )
                return HttpResponseRedirect(_page_before(request))
            time.sleep(REPEAT_POLL_SECONDS)


def _sent_just_now(user, token, path, fingerprint):
    """The user's last form to ``path`` (another rendering: another token), if it had this
    very content, was handled (it ended in a redirect) and is less than SAME_CONTENT_WITHIN
    old; else None."""
    last = (
        Submission.objects.filter(
            user=user, path=path, created_at__gte=timezone.now() - SAME_CONTENT_WITHIN
        )
        .exclude(token=token)
        .order_by("-created_at")
        .first()
    )
    if last is not None and last.fingerprint == fingerprint and last.redirect_to:
        return last
    return None


def _page_before(request):
    """The page the form was on (the Referer, when it is one of ours), else the start page:
    the URL a form posts to may answer POST only."""
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"
