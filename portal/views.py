import structlog
from allauth.account.decorators import reauthentication_required
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import Http404, HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_POST

from cases import services as cases
from consent import services as consent
from consent.constants import Action, Basis, Category
from consent.policy import CASE_ROLES_BY_ROLE
from ips import services as ips
from ips.models import TeamMember

from .constants import OrganisationType, Role
from .forms import EMAIL_TAKEN, OrganisationUserForm, UserFilterForm
from .invitations import send_invitation
from .models import User
from .words import in_words

audit = structlog.get_logger("werkpad.audit")


class RoleDenied(PermissionDenied):
    """A page refused for the user's role or organisation. Its message is written for the
    user, and the 403 page shows it (a library's PermissionDenied text is not)."""


@requires_csrf_token
def permission_denied(request, exception):
    """handler403: the Dutch page, with the reason when it is one of ours."""
    reason = str(exception) if isinstance(exception, RoleDenied) else ""
    return render(request, "403.html", {"reason": reason}, status=403)


# The 500 page when even its template fails (a static file missing from the manifest).
BARE_500 = (
    '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Er ging iets mis · '
    "Werkpad</title></head><body><main><h1>Er ging iets mis</h1><p>Probeer het over enkele "
    'ogenblikken opnieuw.</p><p><a href="/">Terug naar Werkpad</a></p></main></body></html>'
)


def server_error(request):
    """handler500: a page that needs no database or session (which may be what failed),
    with the request's id, logged with the error and its traceback so the helpdesk can
    find it."""
    request_id = getattr(request, "request_id", "")
    structlog.get_logger("werkpad.errors").error(
        "server_error", request_id=request_id, path=request.path, exc_info=True
    )
    try:
        body = loader.get_template("500.html").render({"request_id": request_id})
    except Exception:  # the error page must not fail in its turn
        body = BARE_500
    return HttpResponseServerError(body)


def role_required(*roles, at=None):
    """Allow only signed-in users with one of ``roles`` (and, with ``at``, of an organisation
    of that type); others get 403."""

    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise RoleDenied(_("Deze pagina is niet beschikbaar voor uw functie."))
            if at is not None and request.user.organisation.type != at:
                raise RoleDenied(
                    _("Deze pagina is alleen voor medewerkers van een %(type)s.")
                    % {"type": OrganisationType(at).label}
                )
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


def audit_event(request, event, **fields):
    """A beheer action as a structured audit event: who did it, from which organisation, in
    which request, and what (``fields``: ids and field names, never personal details)."""
    audit.info(
        event,
        by_user_id=request.user.pk,
        organisation_id=request.user.organisation_id,
        request_id=getattr(request, "request_id", ""),
        **fields,
    )


def _get_organisation_user(request, pk):
    """A user of the beheerder's own organisation; anyone else's is a 404."""
    return get_object_or_404(User, pk=pk, organisation=request.user.organisation)


USERS_PER_PAGE = 50


def query_id(query, name):
    """The id in parameter ``name`` of ``query`` (GET or POST data), or None: ASCII digits
    only, and no more than a database id holds (a longer number is no id of ours)."""
    value = query.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def query_without(request, *names):
    """The page's query string without the parameters ``names`` (its place in a list), for
    the links to the next and previous pages: the filters stay, the place is the link's."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@role_required(Role.BEHEERDER)
def user_list(request):
    """The organisation's accounts, a page at a time (a regional GGZ has hundreds), with a
    search on name and e-mail address."""
    users = User.objects.filter(organisation=request.user.organisation)
    form = UserFilterForm(request.GET)
    if form.is_valid():
        for word in form.cleaned_data["q"].split():
            users = users.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
    # Whether each has a second factor: the reset is offered only then.
    users = users.annotate(
        has_second_factor=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        )
    ).order_by("-is_active", "sort_name", "first_name", "pk")
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "portal/user_list.html",
        {
            "form": form,
            "page": page,
            "users": page.object_list,
            "query_string": query_without(request, "pagina"),
        },
    )


@role_required(Role.BEHEERDER)
@reauthentication_required(allow_get=True)
def user_create(request):
    form = OrganisationUserForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Made meanwhile (a second tab, another beheerder), after the form's check.
            if not User.objects.filter(email__iexact=user.email).exists():
                raise
            form.add_error("email", EMAIL_TAKEN)
            return render(request, "portal/user_form.html", {"form": form, "creating": True})
        audit_event(request, "user_created", user_id=user.pk, role=user.role)
        send_invitation(request, user, invited_by=request.user)
        messages.success(
            request,
            _("Account voor %(name)s aangemaakt. Er is een uitnodiging gestuurd naar %(email)s.")
            % {"name": user.get_full_name(), "email": user.email},
        )
        return redirect("portal:user_list")
    return render(request, "portal/user_form.html", {"form": form, "creating": True})


@role_required(Role.BEHEERDER)
@reauthentication_required(allow_get=True)
def user_edit(request, pk):
    subject = _get_organisation_user(request, pk)
    role_before = subject.role
    # Counted before the form sets the new role on the instance.
    led = cases.cases_led_only_by(subject) if request.method == "POST" else 0
    could_open = _open_cases_of(subject) if request.method == "POST" else set()
    form = OrganisationUserForm(
        request.POST or None, instance=subject, organisation=request.user.organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                left_team, withdrawn = _save_user(request, form, subject, role_before, led)
        except cases.ConflictError as conflict:
            form = _changed_meanwhile(request, form, subject, conflict)
            if form is None:
                return redirect("portal:user_list")
        except ValidationError as refusal:
            form.add_error("role", refusal)
        else:
            if form.changed_data:
                audit_event(
                    request,
                    "user_changed",
                    user_id=subject.pk,
                    fields=sorted(form.changed_data),
                    role_before=role_before,
                    role=subject.role,
                )
            messages.success(request, _("Gegevens van %(name)s opgeslagen.") % {"name": subject})
            if subject.role != role_before:
                _tell_what_the_new_role_ends(request, subject, left_team)
                _tell_withdrawn(request, subject, withdrawn)
                _tell_what_the_new_role_gives_back(request, subject, could_open)
            return redirect("portal:user_list")
    return render(request, "portal/user_form.html", {"form": form, "subject": subject})


def _save_user(request, form, subject, role_before, led):
    """Save the beheerder's edit of ``subject`` (call inside a transaction). Refused with
    ConflictError when the account changed since the form was rendered: the version it
    carries is no longer the stored one, and saving would put back what the other save
    changed (a role taken away, a corrected name). Refused with a ValidationError when the
    role may not change. Returns whether ``subject`` left an IPS team, and the invitations
    withdrawn because their case role no longer fits (as _withdraw_invitations gives them)."""
    current = User.objects.select_for_update().get(pk=subject.pk)
    if current.version != form.cleaned_data["version"]:
        # What the beheerder can compare: the fields where the stored account differs from
        # what they typed, and a deactivation, which the form does not show.
        changes = [
            (form.fields[name].label, in_words(current, User._meta.get_field(name)))
            for name in form.fields
            if name != "version" and getattr(current, name) != form.cleaned_data[name]
        ]
        if not current.is_active:
            changes.append((_("Account"), _("gedeactiveerd")))
        raise cases.ConflictError(changes)
    role = form.cleaned_data["role"]
    if subject == request.user and role != Role.BEHEERDER:
        raise ValidationError(_("U kunt uw eigen beheerdersrol niet wijzigen."))
    if led and role != role_before:
        raise ValidationError(_hand_over_first(subject, led))
    if form.has_changed():
        subject.version = current.version + 1
        form.save()
    # IPS teams are of trajectbegeleiders: another role leaves the team.
    left_team = (
        subject.role != Role.TRAJECTBEGELEIDER
        and TeamMember.objects.filter(coach=subject).delete()[0]
    )
    return left_team, _withdraw_invitations(request, subject) if role != role_before else []


def _changed_meanwhile(request, form, subject, conflict):
    """The account changed since this beheerder opened the form (in another window, or a
    colleague saved): as the case and IPS forms do, the form again with what they typed,
    now on the stored version (so saving again is a deliberate choice to overwrite), and a
    message that says what is stored now. None, with a message, when the account already
    holds what they typed: nothing is lost. ``subject`` is read again, for the page's
    heading (the form had put what was typed on it)."""
    subject.refresh_from_db()
    account = _("het account van %(name)s") % {"name": subject}
    if not conflict.changes:
        messages.info(
            request,
            _("%(subject)s stond intussen al zo opgeslagen; er is niets anders gewijzigd.")
            % {"subject": capfirst(account)},
        )
        return None
    return cases.typed_again(
        lambda data: OrganisationUserForm(
            data, instance=User.objects.get(pk=subject.pk), organisation=request.user.organisation
        ),
        form,
        subject.version,
        account,
        conflict.changes,
        _("de gebruikers"),
    )


def _open_cases_of(user):
    """Ids of the open cases ``user`` can open in their current role."""
    return set(consent.cases_for(user).open().values_list("pk", flat=True))


def _tell_what_the_new_role_gives_back(request, subject, could_open):
    """A place on a case team stays after a role change (consent.policy.fitting_case_roles).
    Changed back, the old role fits those places again and opens the cases without a new
    invitation: the beheerder is told, so that it is not a silent return of access."""
    if back := len(_open_cases_of(subject) - could_open):
        messages.warning(
            request,
            ngettext(
                "%(name)s heeft weer toegang tot %(n)s open casus: de plaats in het team "
                "bleef staan en past bij de nieuwe functie. Hoort %(name)s daar niet meer bij, "
                "vraag dan degene die de regie voert om %(name)s uit het team te halen.",
                "%(name)s heeft weer toegang tot %(n)s open casussen: de plaatsen in de teams "
                "bleven staan en passen bij de nieuwe functie. Hoort %(name)s daar niet meer "
                "bij, vraag dan degene die de regie voert om %(name)s uit het team te halen.",
                back,
            )
            % {"name": subject, "n": back},
        )


def _hand_over_first(subject, led):
    """A case needs someone who leads it (invites, refers, closes): a role change waits
    until the regie is handed over."""
    return ngettext(
        "%(name)s voert als enige de regie in %(n)s open casus. Laat %(name)s die eerst "
        "overdragen: een collega uitnodigen die de regie overneemt, en dan het team verlaten.",
        "%(name)s voert als enige de regie in %(n)s open casussen. Laat %(name)s die eerst "
        "overdragen: per casus een collega uitnodigen die de regie overneemt, en dan het team "
        "verlaten.",
        led,
    ) % {"name": subject, "n": led}


def _tell_what_the_new_role_ends(request, subject, left_team):
    name = {"name": subject}
    if left_team:
        messages.info(request, _("%(name)s is geen lid meer van een IPS-team.") % name)
    _tell_who_takes_over_trajectories(request, subject)
    if stale := consent.cases_outside_role(subject):
        text = ngettext(
            "%(name)s staat in %(n)s open casusteam in een rol die niet bij de nieuwe functie "
            "past en kan die casus niet meer openen.",
            "%(name)s staat in %(n)s open casusteams in een rol die niet bij de nieuwe functie "
            "past en kan die casussen niet meer openen.",
            stale,
        ) % {**name, "n": stale}
        if CASE_ROLES_BY_ROLE.get(subject.role):
            text += " " + _("Wie de regie voert, kan %(name)s opnieuw uitnodigen.") % name
        messages.warning(request, text)


@require_POST
@role_required(Role.BEHEERDER)
@reauthentication_required
def user_set_active(request, pk):
    subject = _get_organisation_user(request, pk)
    # Said in so many words: a form that lost its field (cut short, made by hand, a new
    # page that forgot it) shuts nobody out.
    activate = {"1": True, "0": False}.get(request.POST.get("actief"))
    if activate is None:
        messages.error(
            request,
            _(
                "Er is niets gewijzigd: uit het formulier bleek niet of %(name)s geactiveerd of "
                "gedeactiveerd moest worden. Vernieuw de pagina en probeer het opnieuw."
            )
            % {"name": subject},
        )
    elif subject == request.user:
        messages.error(request, _("U kunt uw eigen account niet deactiveren."))
    else:
        with transaction.atomic():
            if subject.is_active != activate:
                subject.is_active = activate
                # An edit form opened before this is refused (user_edit), not saved unchecked.
                subject.version = F("version") + 1
                subject.save(update_fields=["is_active", "version"])
            withdrawn = [] if activate else _withdraw_invitations(request, subject)
        audit_event(
            request, "user_activated" if activate else "user_deactivated", user_id=subject.pk
        )
        if activate:
            messages.success(request, _("%(name)s is weer actief.") % {"name": subject})
        else:
            messages.success(
                request,
                _("%(name)s is gedeactiveerd en kan niet meer inloggen.") % {"name": subject},
            )
            _tell_withdrawn(request, subject, withdrawn)
            # Someone who left is shut out at once, even when nobody else leads their cases.
            _tell_who_appoints_new_leads(request, subject)
            _tell_who_takes_over_trajectories(request, subject)
    return redirect("portal:user_list")


def _withdraw_invitations(request, subject):
    """After a deactivation or a role change: withdraw the open invitations ``subject`` can
    no longer answer (cases.services.withdraw_invitations_to), each change logged on the
    beheer basis. Call inside a transaction. Returns [(case, invitation id)]."""
    withdrawn = cases.withdraw_invitations_to(subject, request.user)
    consent.write_log(
        entry
        for case, pk in withdrawn
        for entry in consent.change_entries(
            request,
            case,
            [("uitnodiging", pk, Category.IDENTIFICATIE, Action.UPDATE)],
            basis=Basis.BEHEER,
        )
    )
    return withdrawn


def _tell_withdrawn(request, subject, withdrawn):
    if withdrawn:
        messages.info(
            request,
            ngettext(
                "De open uitnodiging aan %(name)s is ingetrokken.",
                "De %(n)s open uitnodigingen aan %(name)s zijn ingetrokken.",
                len(withdrawn),
            )
            % {"name": subject, "n": len(withdrawn)},
        )


def _tell_who_takes_over_trajectories(request, subject):
    """After a deactivation or a role change: the open IPS trajectories ``subject`` coached
    wait until this beheerder hands them over (ips.services.former_coaches)."""
    former = ips.former_coaches(subject.organisation).filter(pk=subject.pk).first()
    if former is None:
        return
    messages.warning(
        request,
        ngettext(
            "%(name)s begeleidde nog %(n)s open IPS-traject. Draag het bij 'IPS-teams "
            "indelen' over aan een andere trajectbegeleider.",
            "%(name)s begeleidde nog %(n)s open IPS-trajecten. Draag ze bij 'IPS-teams "
            "indelen' over aan een andere trajectbegeleider.",
            former.open_trajectories,
        )
        % {"name": subject, "n": former.open_trajectories},
    )


def _tell_who_appoints_new_leads(request, subject):
    """After a deactivation: the open cases ``subject`` alone led. This beheerder appoints
    new leads for those the organisation opened; another organisation's beheerder for the
    rest."""
    name = {"name": subject}
    if own := cases.cases_led_only_by(subject, opened_by_own_organisation=True):
        messages.warning(
            request,
            ngettext(
                "%(name)s voerde als enige de regie in %(n)s open casus. Wijs bij "
                "'Casussen zonder regie' een collega aan die de regie overneemt.",
                "%(name)s voerde als enige de regie in %(n)s open casussen. Wijs bij "
                "'Casussen zonder regie' per casus een collega aan die de regie overneemt.",
                own,
            )
            % {**name, "n": own},
        )
    if elsewhere := cases.cases_led_only_by(subject, opened_by_own_organisation=False):
        messages.warning(
            request,
            ngettext(
                "%(name)s voerde ook als enige de regie in %(n)s open casus van een andere "
                "organisatie. Daar wijst de beheerder van die organisatie een nieuwe "
                "regievoerder aan.",
                "%(name)s voerde ook als enige de regie in %(n)s open casussen van andere "
                "organisaties. Daar wijst de beheerder van die organisatie een nieuwe "
                "regievoerder aan.",
                elsewhere,
            )
            % {**name, "n": elsewhere},
        )


@require_POST
@role_required(Role.BEHEERDER)
@reauthentication_required
def user_reset_mfa(request, pk):
    """A user who lost their phone: remove their second factor so they set up a new one at
    the next sign-in. Re-authentication first; the reset is an audit event."""
    subject = _get_organisation_user(request, pk)
    removed, _detail = Authenticator.objects.filter(user=subject).delete()
    if not removed:  # a list older than the reset, or one set up in another tab
        messages.info(
            request,
            _("%(name)s heeft geen tweede factor ingesteld; er is niets verwijderd.")
            % {"name": subject},
        )
        return redirect("portal:user_list")
    ended = _end_sessions(subject, but=request.session.session_key)
    audit_event(request, "mfa_reset", user_id=subject.pk, removed=removed, sessions_ended=ended)
    messages.success(
        request,
        _(
            "De tweede factor van %(name)s is verwijderd en wie nog met dit account was "
            "ingelogd, is uitgelogd. Bij de volgende keer inloggen stelt %(name)s een nieuwe in."
        )
        % {"name": subject},
    )
    return redirect("portal:user_list")


def _end_sessions(user, but=None):
    """End every session of ``user`` (but the one keyed ``but``): after a second factor is
    reset because a phone was lost, a browser still signed in on that phone would otherwise
    go on, and could set up a factor of its own. Sessions are kept in the database; one pass
    over the unexpired ones, as a reset is rare and sessions end after 30 idle minutes."""
    ended = 0
    unexpired = Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=but)
    for session in unexpired.iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@require_GET
@never_cache
def health(request):
    """Reachability of database, Redis and a Celery worker, for monitoring. Nothing else."""
    checks = {"database": _check_database(), "redis": "niet ingesteld", "worker": "eager"}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis()
        checks["worker"] = _check_worker() if checks["redis"] == "ok" else "onbereikbaar"
    healthy = checks["database"] == "ok" and checks["redis"] in ("ok", "niet ingesteld")
    return JsonResponse(checks, status=200 if healthy else 503)


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "onbereikbaar"


def _check_redis():
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "onbereikbaar"


def _check_worker():
    from .celery import app

    try:
        replies = app.control.ping(timeout=1.0, limit=1)
    except Exception:
        return "onbereikbaar"
    return "ok" if replies else "onbereikbaar"


def csrf_failure(request, reason=""):
    """A refused form (CSRF): the portal's own Dutch page, nothing saved (settings
    CSRF_FAILURE_VIEW)."""
    return render(request, "403_csrf.html", status=403)


@login_required
def account(request):
    """The user's own account: who they are in Werkpad (the beheerder sets it) and the way
    to their password and second factor (allauth's pages, which nothing linked to)."""
    kinds = set(Authenticator.objects.filter(user=request.user).values_list("type", flat=True))
    return render(
        request,
        "portal/account.html",
        {
            "has_second_factor": Authenticator.Type.TOTP in kinds,
            "has_recovery_codes": Authenticator.Type.RECOVERY_CODES in kinds,
        },
    )


def too_many_requests(request, exception=None):
    """handler429, for allauth's rate limits: the Dutch page (allauth's is English)."""
    return render(request, "429.html", status=429)


def not_offered(request, *args, **kwargs):
    """allauth pages the portal does not offer (see portal/urls.py)."""
    raise Http404
