"""Views of consent/: recording and withdrawing consent, the consent record and its printable
form, the beheerder's consent overview and access log (inzagelog), the case panel and the
"Wie ziet wat" help page.

Every decision comes from consent.services (case_access, beheer_decision) and every view
that shows or changes client data writes the access log through it. A consent record is
held by its provider: only the provider's team members on one of the client's cases and
the provider's beheerder open it; anyone else gets a 404 and a denied log entry.
"""

import re
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.constants import CaseRole, CaseStatus, TimelineKind
from cases.models import Case, Client
from cases.services import add_timeline
from cases.views import get_case
from portal.constants import Role
from portal.models import User
from portal.storage import open_private
from portal.views import query_id, query_without, role_required

from . import policy, services
from .constants import (
    CARE_ONLY_CATEGORIES,
    LIVE_STATES,
    Action,
    Basis,
    Category,
    ConsentState,
    Outcome,
    Purpose,
    label_of,
)
from .forms import (
    CONTENT_TYPES,
    AccessLogFilterForm,
    ClientSearchForm,
    ConsentForm,
    OverviewFilterForm,
    SignedFormForm,
    WithdrawalForm,
    replaceable_consents,
    shares_nothing,
    withdrawal_refused,
)
from .models import SHARES_NOTHING, AccessLogEntry, Consent, ConsentWithdrawal, DataCategory

PAGE_SIZE = 25
LOG_PAGE_SIZE = 50
CLIENT_SEARCH_LIMIT = 20
PANEL_CONSENTS = 20
PANEL_VISITS = 10
# The client's newest log entries "wie heeft dit dossier ingezien" looks at (a page view logs
# one entry per category it shows, 4 to 9 on the case page): some 15 page views or more.
# Grouping 120 costs what the 60 of the page-view list did (timed in process, N = 1 000).
PANEL_READ_WINDOW = 120

CONSENT = "toestemming"


def _consent_queryset():
    return Consent.objects.select_related(
        "client__organisation",
        "provider",
        "recipient",
        "recorded_by",
        "form_added_by",
        "withdrawal__recorded_by",
        "superseded_by",
        "supersedes",
    ).prefetch_related("categories")


def _open_case(client, preferred=None):
    if preferred is not None and preferred.status == CaseStatus.OPEN:
        return preferred
    return Case.objects.filter(client=client, status=CaseStatus.OPEN).first()


def get_consent(request, pk, action=Action.READ):
    """The one door to a consent record: (consent, decision, case or None). Anyone
    services.record_decision refuses gets a 404, and a denied entry in the access log."""
    user = request.user
    consent = _consent_queryset().filter(pk=pk).first()
    if consent is None:
        raise Http404
    decision, case = services.record_decision(user, consent, action)
    if not decision.allowed:
        services.log_denied(
            request,
            user,
            object_type=CONSENT,
            object_id=consent.pk,
            client=consent.client_id,
            case=case,
            category=Category.IDENTIFICATIE,
            action=action,
        )
        raise Http404
    return consent, decision, case


def _log(request, decision, action, consent_or_client, case=None, object_type=CONSENT):
    if isinstance(consent_or_client, Consent):
        object_id, client_id = consent_or_client.pk, consent_or_client.client_id
    else:
        object_id, client_id = "", consent_or_client.pk
    services.log(
        request,
        request.user,
        decision=decision,
        action=action,
        object_type=object_type,
        object_id=object_id,
        category=Category.IDENTIFICATIE,
        client=client_id,
        case=case,
    )


# --- Recording consent ---------------------------------------------------------------------


@login_required
def create_for_case(request, pk):
    """From the case page: a behandelaar or klantmanager of the organisation that
    registered the client (the provider) records the client's consent."""
    case, access = get_case(request, pk)
    client = case.client
    decision = access.decide(Category.IDENTIFICATIE, access.organisation_id, Action.CREATE)
    if client.organisation_id != access.organisation_id or not decision.allowed:
        services.log_denied(
            request,
            request.user,
            object_type=CONSENT,
            object_id="",
            client=client.pk,
            case=case,
            category=Category.IDENTIFICATIE,
            action=Action.CREATE,
        )
        raise Http404
    return _consent_form(
        request, client, decision, case, back=reverse("cases:detail", args=[case.pk])
    )


@role_required(Role.BEHEERDER)
def beheer_create(request):
    """The beheerder records a consent received on paper, for a client of their own
    organisation; without ?client= they first look the client up."""
    user = request.user
    if not request.GET.get("client"):
        return _client_search(request)
    client_id = query_id(request.GET, "client")
    client = (
        Client.objects.select_related("organisation").filter(pk=client_id).first()
        if client_id is not None
        else None
    )
    if client is None:
        raise Http404
    decision = services.beheer_decision(user, client, Category.IDENTIFICATIE)
    if not decision.allowed:
        services.log_denied(
            request,
            user,
            object_type=CONSENT,
            object_id="",
            client=client.pk,
            category=Category.IDENTIFICATIE,
            action=Action.CREATE,
        )
        raise Http404
    return _consent_form(request, client, decision, None, back=reverse("consent:overview"))


def _client_search(request):
    form, clients = _find_clients(request, object_type="cliëntzoekactie")
    return render(
        request,
        "consent/client_search.html",
        {"form": form, "clients": clients, "limit": CLIENT_SEARCH_LIMIT},
    )


# The ids of other organisations' clients the beheerder found by BSN (_find_clients) in
# this session: the request page opens for them (found_by_bsn). A session ends after
# SESSION_IDLE_MINUTES without a request and when the browser closes.
FOUND_BY_BSN = "avg_found_by_bsn"


def found_by_bsn(request, client):
    """Whether the beheerder found ``client`` by BSN in this session."""
    return client.pk in request.session.get(FOUND_BY_BSN, ())


def _remember_found_by_bsn(request, clients):
    if clients:
        found = set(request.session.get(FOUND_BY_BSN, ())) | {c.pk for c in clients}
        request.session[FOUND_BY_BSN] = sorted(found)


def _find_clients(request, object_type, worked_with=False):
    """The beheerder looks up clients of their own organisation by name or BSN; every
    client shown is logged as read. With ``worked_with`` (a request for access, AVG art.
    15) a BSN also finds another organisation's client whose data the organisation's people
    worked with (services.worked_with): the BSN comes from the client, a name would list
    other organisations' clients. The session keeps whom a BSN found that way: the request
    page opens for another organisation's client only then, not by its id alone."""
    user = request.user
    form = ClientSearchForm(request.GET or None)
    clients = []
    if form.is_valid() and form.cleaned_data["q"].strip():
        text = form.cleaned_data["q"].strip()
        whose = Q(organisation_id=user.organisation_id)
        found = Client.objects.select_related("organisation")
        digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
        by_bsn = len(digits) == 9 and digits == re.sub(r"[\s.-]", "", text)
        if by_bsn:
            if worked_with:
                whose |= Q(services.worked_with(user.organisation_id))
            found = found.filter(whose, bsn=digits)
        else:
            found = found.filter(whose)
            for word in services.name_words(text):
                found = found.filter(search_name__contains=word)
        clients = list(found.order_by("sort_name", "first_name", "pk")[:CLIENT_SEARCH_LIMIT])
        if by_bsn and worked_with:
            _remember_found_by_bsn(
                request, [c for c in clients if c.organisation_id != user.organisation_id]
            )
        services.write_log(
            services.entry(
                request,
                user,
                decision=(
                    services.avg_decisions(user, client, Action.READ)[Category.IDENTIFICATIE]
                    if worked_with
                    else services.beheer_decision(user, client, Category.IDENTIFICATIE)
                ),
                action=Action.READ,
                object_type=object_type,
                category=Category.IDENTIFICATIE,
                client=client,
            )
            for client in clients
        )
    return form, clients


def _consent_form(request, client, decision, case, back):
    user = request.user
    initial = {"valid_from": timezone.localdate()}
    renewing = query_id(request.GET, "vervangt")
    notice = None
    if renewing is not None:
        old = (
            replaceable_consents(client, user.organisation)
            .prefetch_related("categories")
            .filter(pk=renewing)
            .first()
        )
        if old is not None:
            initial.update(
                recipient=old.recipient_id, categories=[c.pk for c in old.categories.all()]
            )
            if old.purpose_fits:
                initial.update(supersedes=old.pk, purpose=old.purpose)
            else:
                # A purpose no one at the recipient reads under (recorded before the form
                # refused it): renewing it would share nothing again, and a replacement
                # keeps the purpose. A new consent for a fitting purpose instead.
                notice = " ".join(
                    [
                        _("Toestemming nr. %(pk)s deelt niets.") % {"pk": old.pk},
                        shares_nothing(old.purpose, old.recipient),
                        _(
                            "Verlengen heeft geen zin: leg hieronder een nieuwe toestemming "
                            "vast voor een doel dat past, als de cliënt daarmee instemt. Nr. "
                            "%(pk)s loopt af op %(end)s; trek haar eerder in als de cliënt dat "
                            "wil."
                        )
                        % {"pk": old.pk, "end": old.valid_until.strftime("%d-%m-%Y")},
                    ]
                )
    form = ConsentForm(
        request.POST or None,
        request.FILES or None,
        client=client,
        provider=user.organisation,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = _record_consent(request, form, client, case, decision)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("De toestemming is vastgelegd (nr. %(pk)s). Ze geldt vanaf %(date)s.")
                % {"pk": record.pk, "date": record.valid_from.strftime("%d-%m-%Y")},
            )
            return redirect("consent:detail", record.pk)
    # A browser does not send a chosen file again: say so next to the field.
    if (
        request.method == "POST"
        and request.FILES.get("signed_form")
        and "signed_form" not in form.errors
    ):
        form.add_error(
            "signed_form",
            _("Kies het ondertekende formulier opnieuw: het is nog niet opgeslagen."),
        )
    # The page names the client: a read, also when a refused consent shows it again.
    _log(request, decision, Action.READ, client, case, object_type="toestemmingsformulier")
    return render(
        request,
        "consent/consent_form.html",
        {
            "form": form,
            "client": client,
            "case": case,
            "back": back,
            "notice": notice,
            "max_months": settings.WERKPAD_CONSENT_MAX_MONTHS,
        },
    )


def _record_consent(request, form, client, case, decision):
    """Store the consent, supersede the old one, note it on the case and log it: all or
    nothing. A lost race (the old consent was withdrawn or superseded meanwhile) raises a
    ValidationError and stores nothing, and so does a second consent next to one that still
    holds for the same recipient and purpose in the same period (renewing replaces it):
    withdrawing one of two would leave the other sharing."""
    user = request.user
    data = form.cleaned_data
    record = None
    try:
        with transaction.atomic():
            # One client's consents are recorded one at a time (a double click included).
            Client.objects.select_for_update(no_key=True).only("pk").get(pk=client.pk)
            old = data["supersedes"]
            overlapping = (
                replaceable_consents(client, user.organisation)
                .filter(
                    recipient=data["recipient"],
                    purpose=data["purpose"],
                    valid_from__lte=data["valid_until"],
                    valid_until__gte=data["valid_from"],
                )
                .exclude(pk=old.pk if old is not None else None)
                .first()
            )
            if overlapping is not None:
                raise ValidationError(
                    _(
                        "Er is al een toestemming om gegevens te delen met %(recipient)s voor "
                        "%(purpose)s in deze periode: nr. %(pk)s, van %(start)s tot en met "
                        "%(end)s. Kies die bij ‘Vervangt een eerdere toestemming’ om haar te "
                        "verlengen of te wijzigen."
                    )
                    % {
                        "recipient": overlapping.recipient,
                        "purpose": overlapping.get_purpose_display(),
                        "pk": overlapping.pk,
                        "start": overlapping.valid_from.strftime("%d-%m-%Y"),
                        "end": overlapping.valid_until.strftime("%d-%m-%Y"),
                    }
                )
            if old is not None:
                old = Consent.objects.select_for_update(no_key=True).get(pk=old.pk)
                if (
                    ConsentWithdrawal.objects.filter(consent=old).exists()
                    or Consent.objects.filter(supersedes=old).exists()
                ):
                    raise ValidationError(
                        _("Toestemming nr. %(pk)s is intussen ingetrokken of al vervangen.")
                        % {"pk": old.pk}
                    )
            record = Consent(
                client=client,
                provider=user.organisation,
                recipient=data["recipient"],
                purpose=data["purpose"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                method=data["method"],
                purpose_explained=True,
                supersedes=old,
                recorded_by=user,
            )
            if data["signed_form"]:
                record.form = data["signed_form"]
            record.save()
            categories = list(data["categories"])
            record.categories.set(categories)
            open_case = _open_case(client, case)
            if open_case is not None:
                body = _("Gegevens: %(categories)s. Geldig van %(start)s tot en met %(end)s.") % {
                    "categories": ", ".join(c.label for c in categories),
                    "start": record.valid_from.strftime("%d-%m-%Y"),
                    "end": record.valid_until.strftime("%d-%m-%Y"),
                }
                if old is not None:
                    body += " " + _("Vervangt toestemming nr. %(pk)s.") % {"pk": old.pk}
                add_timeline(
                    open_case,
                    user,
                    TimelineKind.TOESTEMMING,
                    Category.IDENTIFICATIE,
                    _("Toestemming vastgelegd: delen met %(recipient)s voor %(purpose)s")
                    % {"recipient": record.recipient, "purpose": record.get_purpose_display()},
                    body=body,
                )
            _log(request, decision, Action.CREATE, record, open_case or case)
    except IntegrityError as exc:
        _discard_file(record)
        raise ValidationError(
            _(
                "De toestemming is niet opgeslagen: intussen is er iets gewijzigd, bijvoorbeeld "
                "aan de toestemming die u vervangt. Probeer het opnieuw."
            )
        ) from exc
    except Exception:
        _discard_file(record)
        raise
    return record


def _discard_file(record):
    if record is not None and record.form and record.form.name:
        record.form.storage.delete(record.form.name)


# --- One consent: detail, print view, signed form, withdrawal ------------------------------


def _records_consents(user, case):
    """Whether ``user``, who may open a consent record of their organisation (get_consent),
    may also record its consents: its beheerder, or a team member on ``case`` who may record
    the client's identificatie (the behandelaar or klantmanager; create_for_case)."""
    if user.role == Role.BEHEERDER:
        return True
    return case is not None and services.case_access(user, case).can_write(Category.IDENTIFICATIE)


def _renew_url(consent, case, user):
    if user.role == Role.BEHEERDER:
        base = reverse("consent:beheer_create") + f"?client={consent.client_id}&"
    else:
        base = reverse("consent:create_for_case", args=[case.pk]) + "?"
    return f"{base}vervangt={consent.pk}"


@login_required
def detail(request, pk):
    consent, decision, case = get_consent(request, pk)
    _log(request, decision, Action.READ, consent, case)
    today = timezone.localdate()
    state = consent.state(today)
    live = state in LIVE_STATES
    records = _records_consents(request.user, case)
    renew_url = (
        _renew_url(consent, case, request.user)
        if records and state != ConsentState.INGETROKKEN and not hasattr(consent, "superseded_by")
        else None
    )
    # A purpose no one at the recipient reads under (recorded before the form refused it):
    # the consent shares nothing. Renewing would keep the purpose, so the renew link offers
    # a new consent instead (_consent_form explains why and fills in recipient and data).
    # Nor is it offered for signing: the client would sign to share what no one receives.
    fits = consent.purpose_fits
    nothing = consent.shares_nothing(today)
    return render(
        request,
        "consent/detail.html",
        {
            "consent": consent,
            "case": case,
            "state": state,
            "categories": list(consent.categories.all()),
            "can_withdraw": live,
            "can_sign": live and not nothing,
            # Printed and signed after it was recorded: the proof belongs with the record,
            # also for a consent that has ended since.
            "can_add_form": records and not consent.form,
            "renew_url": renew_url if fits else None,
            "new_consent_url": renew_url if not fits else None,
            "shares_nothing_flag": SHARES_NOTHING if nothing else None,
            "shares_nothing": _shares_nothing(consent) if nothing else None,
        },
    )


def _shares_nothing(consent):
    """Why ``consent`` shares nothing: its purpose does not fit the recipient."""
    return " ".join(
        [
            _("Deze toestemming deelt niets."),
            shares_nothing(consent.purpose, consent.recipient),
            _(
                "Verlengen heeft geen zin. Leg een nieuwe toestemming vast voor een doel dat "
                "past, als de cliënt daarmee instemt."
            ),
        ]
    )


@login_required
def print_view(request, pk):
    """The consent as a document to sign: recipient, purpose, categories in plain words,
    period and how to withdraw. Printing takes client data out of the portal: an export.

    Not for a consent that shares nothing (Consent.shares_nothing): the client would sign
    to share data no one at the recipient may read. Refused, back on the consent page,
    which says why and offers a new consent for a purpose that fits; nothing is exported.
    (The toestemmingsverklaring PDF stays, as a copy marked not to be signed.)"""
    consent, decision, case = get_consent(request, pk, Action.EXPORT)
    today = timezone.localdate()
    if consent.shares_nothing(today):
        messages.error(
            request,
            _(
                "Dit formulier wordt niet afgedrukt: toestemming nr. %(pk)s deelt niets. Laat "
                "de cliënt het niet ondertekenen."
            )
            % {"pk": consent.pk},
        )
        return redirect("consent:detail", consent.pk)
    _log(request, decision, Action.EXPORT, consent, case, object_type="toestemmingsformulier")
    state = consent.state(today)
    return render(
        request,
        "consent/print.html",
        {
            "consent": consent,
            "categories": list(consent.categories.all()),
            "printed_at": timezone.localtime(),
            # A withdrawn, replaced or expired consent is printed as a record, not to sign.
            "ended": None if state in LIVE_STATES else state.label.lower(),
        },
    )


@login_required
def form_add(request, pk):
    """The signed form of a consent recorded without it (printed from the consent, signed by
    the client, scanned), added once by whoever may record the organisation's consents: the
    proof that the client gave it (AVG art. 7). Never replaced: a record is not changed."""
    consent, decision, case = get_consent(request, pk)
    if not _records_consents(request.user, case):
        services.log_denied(
            request,
            request.user,
            object_type=SIGNED_FORM,
            object_id=consent.pk,
            client=consent.client_id,
            case=case,
            category=Category.IDENTIFICATIE,
            action=Action.CREATE,
        )
        raise Http404
    if consent.form:
        messages.info(request, FORM_ALREADY_ADDED % {"pk": consent.pk})
        return redirect("consent:detail", consent.pk)
    sent = request.method == "POST"
    form = SignedFormForm(request.POST if sent else None, request.FILES if sent else None)
    if sent and form.is_valid():
        if _add_signed_form(request, consent, form.cleaned_data["signed_form"], decision, case):
            messages.success(
                request,
                _("Het ondertekende formulier is bij toestemming nr. %(pk)s opgeslagen.")
                % {"pk": consent.pk},
            )
        else:
            messages.info(request, FORM_ALREADY_ADDED % {"pk": consent.pk})
        return redirect("consent:detail", consent.pk)
    # The page names the client: a read.
    _log(request, decision, Action.READ, consent, case)
    return render(
        request, "consent/form_add.html", {"consent": consent, "case": case, "form": form}
    )


SIGNED_FORM = "ondertekend formulier"
FORM_ALREADY_ADDED = gettext_lazy(
    "Toestemming nr. %(pk)s heeft al een ondertekend formulier; dat blijft zoals het is."
)


def _add_signed_form(request, consent, upload, decision, case):
    """Store ``upload`` as the consent's signed form, note it on the client's open case and
    log it: all or nothing. False, and nothing stored, when a colleague added one first."""
    user = request.user
    record, ours = None, False
    try:
        with transaction.atomic():
            record = Consent.objects.select_for_update(no_key=True).get(pk=consent.pk)
            if record.form:
                return False
            record.form, ours = upload, True  # to private storage by save(), under our name
            record.form_added_by, record.form_added_at = user, timezone.now()
            record.save(
                update_fields=["form", "form_added_by", "form_added_at"], _allow_update=True
            )
            open_case = _open_case(consent.client, case)
            if open_case is not None:
                add_timeline(
                    open_case,
                    user,
                    TimelineKind.TOESTEMMING,
                    Category.IDENTIFICATIE,
                    _("Ondertekend formulier toegevoegd aan toestemming nr. %(pk)s")
                    % {"pk": consent.pk},
                )
            where = open_case or case
            _log(request, decision, Action.CREATE, consent, where, object_type=SIGNED_FORM)
    except Exception:
        if ours:  # stored in the files, not in the database
            _discard_file(record)
        raise
    return True


@login_required
def form_download(request, pk):
    """The uploaded signed form, from private storage, only through this checked and logged
    view. The content type follows the bytes checked at upload, never the uploader."""
    consent, decision, case = get_consent(request, pk, Action.EXPORT)
    if not consent.form:
        raise Http404
    kind = consent.form.name.rsplit(".", 1)[-1].lower()
    if kind not in CONTENT_TYPES:
        raise Http404
    handle = open_private(consent.form)
    _log(request, decision, Action.EXPORT, consent, case, object_type=SIGNED_FORM)
    response = FileResponse(
        handle,
        content_type=CONTENT_TYPES[kind],
        as_attachment=True,
        filename=f"toestemming-{consent.pk}.{kind}",
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def withdraw(request, pk):
    """Withdrawal: one short form, for any team member of the provider or its beheerder.
    It takes effect on the very next request (access is computed from active consents)."""
    consent, decision, case = get_consent(request, pk)
    later = list(follow_ons(consent))
    form = WithdrawalForm(request.POST or None, consent=consent, follow_ons=later)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawn = _record_withdrawal(request, consent, form.cleaned_data, decision, case)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _withdrawn_message(consent, withdrawn))
            return redirect("consent:detail", consent.pk)
    # The page shows the client's name, the recipient and the purpose: a read, also when a
    # refused withdrawal shows it again.
    _log(request, decision, Action.READ, consent, case)
    refused = withdrawal_refused(consent, later)
    return render(
        request,
        "consent/withdraw.html",
        {
            "consent": consent,
            "form": form,
            "case": case,
            # After a POST the form says why (its errors).
            "refused": refused if request.method == "GET" else None,
            # Withdrawn along with it, only when it can be withdrawn.
            "follow_ons": later if refused is None else [],
            "instead": _withdraw_instead(consent, later) if refused is not None else None,
        },
    )


def _withdraw_instead(consent, later):
    """The consent the refusal to withdraw ``consent`` points to (withdrawal_refused), for
    a link to its own withdrawal page: the replacement, or once ``consent`` has expired,
    its first follow-on that has not ended. None when there is nothing left to withdraw."""
    state = consent.state()
    if state == ConsentState.VERVANGEN:
        return consent.superseded_by
    if state == ConsentState.VERLOPEN and later:
        return later[0]
    return None


def _withdrawn_message(consent, later):
    """What the withdrawal means for the recipient: nothing more from this consent (nor
    from its follow-ons, ``later``), but what another consent of the client from the same
    provider to the same recipient (for another purpose) allows goes on, now or from its
    start."""
    withdrawn = _("De toestemming is ingetrokken.")
    if later:
        withdrawn = _(
            "De toestemming is ingetrokken, en ook de vervolgtoestemming nr. %(pks)s."
        ) % {"pks": ", ".join(str(pk) for pk in later)}
    today = timezone.localdate()
    others = list(
        Consent.objects.live()
        .filter(
            client_id=consent.client_id,
            provider_id=consent.provider_id,
            recipient_id=consent.recipient_id,
            valid_until__gte=today,
        )
        .values_list("pk", "valid_from")
        .order_by("valid_from", "pk")
    )
    now = [pk for pk, starts in others if starts <= today]
    coming = [(pk, starts) for pk, starts in others if starts > today]
    recipient = consent.recipient
    if now:
        parts = [
            _(
                "%(recipient)s ziet nu alleen nog wat een andere toestemming van deze cliënt "
                "toestaat: nr. %(others)s."
            )
            % {"recipient": recipient, "others": ", ".join(str(pk) for pk in now)}
        ]
    else:
        parts = [
            _("Vanaf nu ziet %(recipient)s deze gegevens niet meer.") % {"recipient": recipient}
        ]
    parts += [
        _(
            "Toestemming nr. %(pk)s van deze cliënt gaat in op %(date)s; vanaf dan ziet "
            "%(recipient)s wat die toestaat."
        )
        % {"pk": pk, "date": date_format(starts, "j F Y"), "recipient": recipient}
        for pk, starts in coming
    ]
    return " ".join([withdrawn, *parts])


def follow_ons(consent):
    """The follow-ons of ``consent`` that have not ended. Withdrawing ``consent`` withdraws
    these too: the client stops the sharing, not one period of it."""
    return (
        Consent.objects.follow_ons(consent)
        .filter(valid_until__gte=timezone.localdate())
        .order_by("valid_from", "pk")
    )


def _record_withdrawal(request, consent, data, decision, case):
    """Withdraw ``consent`` and its follow-ons, each with a withdrawal record and an
    access-log entry; one line on the timeline. Returns the withdrawn consents' ids."""
    user = request.user
    try:
        with transaction.atomic():
            locked = Consent.objects.select_for_update(no_key=True).get(pk=consent.pk)
            if ConsentWithdrawal.objects.filter(consent=locked).exists():
                raise ValidationError(_("Deze toestemming is intussen al ingetrokken."))
            if Consent.objects.filter(supersedes=locked).exists():
                raise ValidationError(_("Deze toestemming is intussen vervangen."))
            later = list(follow_ons(locked).select_for_update(no_key=True, of=("self",)))
            withdrawals = [
                ConsentWithdrawal.objects.create(
                    consent=record,
                    withdrawn_on=data["withdrawn_on"],
                    method=data["method"],
                    reason=data["reason"],
                    recorded_by=user,
                )
                for record in [locked, *later]
            ]
            open_case = _open_case(consent.client, case)
            if open_case is not None:
                body = _("Toestemming nr. %(pk)s (%(purpose)s), ingetrokken op %(date)s.") % {
                    "pk": consent.pk,
                    "purpose": consent.get_purpose_display(),
                    "date": data["withdrawn_on"].strftime("%d-%m-%Y"),
                }
                if later:
                    body += " " + _("Ook ingetrokken: de vervolgtoestemming nr. %(pks)s.") % {
                        "pks": ", ".join(str(c.pk) for c in later)
                    }
                add_timeline(
                    open_case,
                    user,
                    TimelineKind.TOESTEMMING,
                    Category.IDENTIFICATIE,
                    _("Toestemming ingetrokken: niet meer delen met %(recipient)s")
                    % {"recipient": consent.recipient},
                    body=body,
                )
            services.write_log(
                services.entry(
                    request,
                    user,
                    decision=decision,
                    action=Action.CREATE,
                    object_type="intrekking",
                    object_id=withdrawal.pk,
                    category=Category.IDENTIFICATIE,
                    client=consent.client_id,
                    case=open_case or case,
                )
                for withdrawal in withdrawals
            )
    except IntegrityError as exc:  # a parallel withdrawal won
        raise ValidationError(_("Deze toestemming is intussen al ingetrokken.")) from exc
    return [c.pk for c in later]


# --- Beheerder: consent overview -----------------------------------------------------------


def state_tabs():
    """(key, label) of the overview's tabs; 'verloopt' says the days of
    WERKPAD_CONSENT_WARN_DAYS, as the beheerder's start page and the regiebehandelaar's
    notice count them."""
    return (
        ("alle", _("Alle")),
        ("actief", ConsentState.ACTIEF.label),
        (
            "verloopt",
            _("Verloopt binnen %(days)s dagen") % {"days": settings.WERKPAD_CONSENT_WARN_DAYS},
        ),
        ("toekomstig", ConsentState.TOEKOMSTIG.label),
        ("verlopen", ConsentState.VERLOPEN.label),
        ("ingetrokken", ConsentState.INGETROKKEN.label),
        ("vervangen", ConsentState.VERVANGEN.label),
    )


@role_required(Role.BEHEERDER)
def overview(request):
    """Consents given by the beheerder's organisation for its own clients, by state."""
    user = request.user
    filters = services.state_filters(timezone.localdate())
    state = request.GET.get("status", "alle")
    if state not in filters:
        state = "alle"
    form = OverviewFilterForm(request.GET or None)
    consents = services.own_consents(user.organisation_id)
    if form.is_valid():
        for word in services.name_words(form.cleaned_data["q"]):
            consents = consents.filter(client__search_name__contains=word)
    counts = (
        services.own_state_counts(user.organisation_id)
        if not form.is_valid() or not form.cleaned_data["q"].split()
        else services.count_states(consents, filters)
    )
    rows = (
        consents.filter(filters[state])
        .select_related("client__organisation", "recipient", "withdrawal", "superseded_by")
        .prefetch_related("categories")
        .order_by("valid_until", "pk")
    )
    paginator = Paginator(rows, PAGE_SIZE)
    # The tabs' aggregate has already counted these rows: not a second count (it grows with
    # the organisation's consents).
    paginator.count = counts[state]
    page = paginator.get_page(request.GET.get("pagina"))
    shown = list(page.object_list)
    today = timezone.localdate()
    services.write_log(
        services.entry(
            request,
            user,
            decision=services.beheer_decision(user, client, Category.IDENTIFICATIE),
            action=Action.READ,
            object_type="toestemmingenoverzicht",
            category=Category.IDENTIFICATIE,
            client=client,
        )
        for client in {c.client_id: c.client for c in shown}.values()
    )
    return render(
        request,
        "consent/overview.html",
        {
            "form": form,
            "state": state,
            "tabs": [(key, label, counts[key]) for key, label in state_tabs()],
            "page": page,
            "rows": shown,
            "query_string": query_without(request, "pagina"),
            "q": form.cleaned_data["q"] if form.is_valid() else "",
            # The rows' consents that share nothing, flagged in their state column.
            "shares_nothing": {c.pk for c in shown if c.shares_nothing(today)},
            "shares_nothing_flag": SHARES_NOTHING,
        },
    )


# --- Beheerder: access log (inzagelog) -----------------------------------------------------


# The object type of a beheerder's read of this log.
LOG_REVIEW = "inzagelog"


@role_required(Role.BEHEERDER)
def access_log(request):
    """Entries about the organisation's own clients, and what its own people did in the
    files of other organisations' clients (NEN 7513: an organisation reviews its staff's
    access; a klantmanager reads a GGZ client's data under consent), newest first, with
    filters. Those rows name the client by case number only: the name is the other
    organisation's data, so a search on a client's name finds only the organisation's own."""
    user = request.user
    form = AccessLogFilterForm(request.GET)
    own_clients = Q(client__organisation_id=user.organisation_id)
    entries = AccessLogEntry.objects.filter(own_clients | Q(organisation_id=user.organisation_id))
    if (hidden := services.log_hidden_from(user.organisation)) is not None:
        entries = entries.exclude(hidden)
    if form.is_valid():
        data = form.cleaned_data
        # As a range on the timestamp itself (local days), so accesslog_time_idx serves
        # it; timestamp__date would compute a date for every row of the log.
        start = _start_of_day(data["date_from"]) if data["date_from"] else None
        if start is not None:
            entries = entries.filter(timestamp__gte=start)
        if data["date_to"] and data["date_to"] < date.max:
            entries = entries.filter(timestamp__lt=_start_of_day(data["date_to"] + timedelta(1)))
        if data["user"].split():
            # The matching users first (a small table), then their entries through
            # accesslog_user_time_idx. As one join the planner could not estimate a name
            # match and walked the whole period's log, dropping other users' entries.
            entries = entries.filter(user_id__in=_matching_users(data["user"]))
        for word in services.name_words(data["client"]):
            entries = entries.filter(own_clients & Q(client__search_name__contains=word))
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["outcome"]:
            entries = entries.filter(outcome=data["outcome"])
        if not data["with_log_reviews"]:
            # Only the beheerder's own: a colleague's review of the log is worth seeing.
            entries = entries.exclude(object_type=LOG_REVIEW, user=user)
    else:
        entries = entries.none()
    entries = entries.select_related("user", "organisation", "client")
    shown, older, newer = _log_page(entries, request.GET)
    for item in shown:
        item.client_named = (
            item.client is not None and item.client.organisation_id == user.organisation_id
        )
    services.write_log(
        services.entry(
            request,
            user,
            decision=services.beheer_decision(user, client, Category.IDENTIFICATIE),
            action=Action.READ,
            object_type=LOG_REVIEW,
            category=Category.IDENTIFICATIE,
            client=client,
        )
        for client in {e.client_id: e.client for e in shown if e.client_named}.values()
    )
    return render(
        request,
        "consent/access_log.html",
        {
            "form": form,
            "entries": shown,
            "older": older,
            "newer": newer,
            "query_string": query_without(request, "ouder_dan", "nieuwer_dan"),
        },
    )


def _matching_users(text):
    """Ids of the users (of any organisation: a klantmanager elsewhere may have read this
    organisation's clients) whose name or e-mail contains every word of ``text``."""
    users = User.objects.all()
    for word in text.split():
        users = users.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return list(users.values_list("pk", flat=True))


def _log_page(entries, query):
    """One page of the log, newest first, by keyset: ``ouder_dan`` (or ``nieuwer_dan``) an
    entry id. No count of all matches: a month of a large organisation's log is hundreds of
    thousands of entries, and counting them made the page slower as the organisation grew.
    Returns (entries, id for the older page or None, id for the newer page or None)."""
    before, after = query_id(query, "ouder_dan"), query_id(query, "nieuwer_dan")
    if after is not None:
        rows = list(entries.filter(pk__gt=after).order_by("pk")[: LOG_PAGE_SIZE + 1])
        more = len(rows) > LOG_PAGE_SIZE
        rows = rows[:LOG_PAGE_SIZE][::-1]
        newer = rows[0].pk if more else None
        return rows, (rows[-1].pk if rows else None), newer
    if before is not None:
        entries = entries.filter(pk__lt=before)
    rows = list(entries.order_by("-pk")[: LOG_PAGE_SIZE + 1])
    more = len(rows) > LOG_PAGE_SIZE
    rows = rows[:LOG_PAGE_SIZE]
    older = rows[-1].pk if more else None
    newer = rows[0].pk if rows and before is not None else None
    return rows, older, newer


def _start_of_day(day):
    """Local midnight at the start of ``day``, as an aware datetime; None (no bound) for the
    calendar's first day, whose local midnight lies before what a datetime holds in UTC."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    try:
        start.astimezone(UTC)
    except OverflowError:
        return None
    return start


# --- The case panel ------------------------------------------------------------------------


def case_panel_context(request, case, access):
    """The consent panel on the case page, for team members: the consents of this client
    that concern the user's organisation (as provider or recipient), and "wie heeft dit
    dossier ingezien". Follows cases.panels (nothing to log: consent records and the log
    itself are not client data categories). Three queries, whatever the number of consents
    or log entries."""
    if not access.is_member:
        return None
    organisation_id = access.organisation_id
    consents = list(
        Consent.objects.filter(client_id=case.client_id, superseded_by__isnull=True)
        .filter(Q(provider_id=organisation_id) | Q(recipient_id=organisation_id))
        .select_related("provider", "recipient", "withdrawal", "superseded_by")
        .prefetch_related("categories")
        .order_by("-recorded_at", "-pk")[:PANEL_CONSENTS]
    )
    today = timezone.localdate()
    rows = [
        {
            "consent": c,
            "state": c.state(today),
            "categories": [cat.label for cat in c.categories.all()],
            "own": c.provider_id == organisation_id,
        }
        for c in consents
    ]
    for row in rows:
        row["shares_nothing"] = row["consent"].shares_nothing(today)
    # The log of the file is the client's organisation's to review: others see only the
    # reads of their own organisation, not when and how often the care provider looked.
    holder = case.client.organisation_id == organisation_id
    return {
        "template": "consent/_case_panel.html",
        "log": [],
        "consent_rows": rows,
        "shares_nothing_flag": SHARES_NOTHING,
        "can_record": holder and access.can_write(Category.IDENTIFICATIE),
        "visits": recent_visits(
            case.client_id,
            None if holder else organisation_id,
            hidden=services.log_hidden_from(access.user.organisation),
        ),
        "own_visits_only": not holder,
    }


def recent_visits(client_id, organisation_id=None, hidden=None):
    """Who read this client's file lately, one row per person: their last read, their
    organisation, and the bases they read on (with ``organisation_id``: only that
    organisation's users; without the entries the Q ``hidden`` matches). One query,
    grouped in the database, as this runs on every case page. A row per page view let one
    colleague's reloads push everyone else off the panel (a tester's klantmanager was gone
    after eight of them).

    The client's newest PANEL_READ_WINDOW entries are picked first, in a subquery of their
    own, as ids only: an index-only scan backwards on accesslog_client_idx (client, -id)
    that stops after the window, however long the client's log is. Asked in one go with the
    filters, PostgreSQL estimated a client's log at the average (≈ 20 entries) and read all
    of a much-visited client's entries to sort them (3.5 ms at 1 500 entries, growing)."""
    window = AccessLogEntry.objects.filter(client_id=client_id)
    if organisation_id is not None:
        window = window.filter(organisation_id=organisation_id)
    window = window.order_by("-pk").values("pk")[:PANEL_READ_WINDOW]
    rows = AccessLogEntry.objects.filter(
        pk__in=window, action=Action.READ, outcome=Outcome.TOEGESTAAN
    )
    if hidden is not None:  # services.log_hidden_from: not the viewer's to know
        rows = rows.exclude(hidden)
    rows = (
        rows.values(
            "user_id",
            "role",
            "basis",
            "user__first_name",
            "user__last_name",
            "user__email",
            "organisation__name",
        )
        .annotate(last=Max("timestamp"))
        .order_by("-last", "user_id", "basis")
    )
    people = {}
    for row in rows:  # newest first: a person's first row is their last read
        person = people.get(row["user_id"])
        if person is None:
            if len(people) == PANEL_VISITS:
                continue
            person = people[row["user_id"]] = {
                "who": f"{row['user__first_name']} {row['user__last_name']}".strip()
                or row["user__email"],
                "organisation": row["organisation__name"],
                "role": label_of(Role, row["role"]),
                "when": row["last"],
                "bases": [],
            }
        label = label_of(Basis, row["basis"])
        if label not in person["bases"]:
            person["bases"].append(label)
    return list(people.values())


# --- Help: "Wie ziet wat" ------------------------------------------------------------------

ACTION_ORDER = (Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE, Action.EXPORT)


@login_required
def help_page(request):
    """The access policy (consent.policy) as a table anyone signed in can check."""
    roles = list(policy.ROLE_ACTIONS)
    categories = list(DataCategory.objects.order_by("position"))
    rows = []
    for category in categories:
        cells = []
        for role in roles:
            actions = policy.ROLE_ACTIONS[role].get(category.code, ())
            cells.append([str(a.label).lower() for a in ACTION_ORDER if a in actions])
        rows.append({"category": category, "cells": cells})
    purposes = [
        (CaseRole(case_role).label, [Purpose(p).label for p in Purpose if p in allowed])
        for case_role, allowed in policy.PURPOSES_BY_CASE_ROLE.items()
    ]
    return render(
        request,
        "consent/help.html",
        {
            "roles": [Role(r).label for r in roles],
            "rows": rows,
            "purposes": purposes,
            "care_only": [c.label for c in categories if c.code in CARE_ONLY_CATEGORIES],
            "max_months": settings.WERKPAD_CONSENT_MAX_MONTHS,
            "warn_days": settings.WERKPAD_CONSENT_WARN_DAYS,
        },
    )
