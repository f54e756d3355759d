"""Reports requested from the consent pages: the toestemmingsverklaring of one consent, the
overview of a client's consents, and the beheerder's AVG-inzage (art. 15). Each POST makes a
report record (portal.reports) and goes to the report's page; the PDF is made by a worker.
Who may ask is decided by the same rules as the pages (consent.views, consent.services)."""

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases.models import Client
from portal.constants import Role
from portal.middleware import repeatable
from portal.models import ReportType
from portal.reports import TooManyWaiting, request_report, requested
from portal.views import audit_event, role_required

from . import services
from .constants import Action, Category
from .forms import AccessRequestForm
from .models import AccessRequest
from .services import client_consents_decision
from .views import CLIENT_SEARCH_LIMIT, _find_clients, found_by_bsn, get_consent


@repeatable
@require_POST
@login_required
def consent_report(request, pk):
    """The consent form (toestemmingsverklaring) as a PDF to read and sign."""
    consent, _decision, _case = get_consent(request, pk, Action.EXPORT)
    return requested(
        request,
        ReportType.TOESTEMMINGSVERKLARING,
        _("Toestemmingsverklaring nr. %(pk)s") % {"pk": consent.pk},
        client=consent.client,
        params={"consent": consent.pk},
    )


@repeatable
@require_POST
@login_required
def client_consents_report(request, client_pk):
    """An overview of the consents the user's organisation recorded for one client."""
    client = Client.objects.select_related("organisation").filter(pk=client_pk).first()
    if client is None:
        raise Http404
    decision, case = client_consents_decision(request.user, client)
    if not decision.allowed:
        services.log_denied(
            request,
            request.user,
            object_type="toestemmingenoverzicht",
            object_id="",
            client=client.pk,
            case=case,
            category=Category.IDENTIFICATIE,
            action=Action.EXPORT,
        )
        raise Http404
    return requested(
        request,
        ReportType.TOESTEMMINGSOVERZICHT,
        _("Overzicht toestemmingen"),
        client=client,
    )


# --- Beheerder: AVG-inzage (art. 15) ------------------------------------------------------

AVG = "avg-inzage"


@role_required(Role.BEHEERDER)
def avg_inzage(request):
    """The beheerder handles a client's request for access: look the client up, then record
    the request and make the report (after confirming the password)."""
    form, clients = _find_clients(request, object_type="cliëntzoekactie", worked_with=True)
    return render(
        request,
        "consent/avg_inzage.html",
        {
            "form": form,
            "clients": clients,
            "limit": CLIENT_SEARCH_LIMIT,
            # One person, registered by two organisations (a BSN is unique per organisation):
            # each registration has its own report.
            "registered_more_than_once": len({c.bsn for c in clients}) < len(clients),
        },
    )


# The page with the request form shows who the client is.
AVG_FORM = "inzageverzoekformulier"
# The recorded request itself (consent.models.AccessRequest).
AVG_REQUEST = "inzageverzoek"


# Not repeatable: each sending records a request of the client. The same request sent
# again (Back, then send) is the same request, not a second one with a second export.
@require_http_methods(["GET", "POST"])
@role_required(Role.BEHEERDER)
@reauthentication_required
def avg_inzage_request(request, client_pk):
    """Everything the organisation holds about the client and the access log, as a PDF
    (consent.avg_report). Only a beheerder whose organisation holds data about the client
    (services.avg_decisions), after re-authentication, and only on a recorded request of
    the client: when it came in, how, and how the client's identity was checked
    (AccessRequest, shown on the PDF's first page). The request and the export are written
    to the access log together, so the log says why.

    Another organisation's client only as the search finds them: by the BSN the client
    handed over, in this session (found_by_bsn). By its id alone the page named the client
    (name, date of birth, where registered) to a beheerder walking through the ids, also
    one whose organisation never received the name."""
    user = request.user
    client = Client.objects.select_related("organisation").filter(pk=client_pk).first()
    if client is None:
        raise Http404
    decision = services.avg_decisions(user, client)[Category.IDENTIFICATIE]
    if not decision.allowed or (
        client.organisation_id != user.organisation_id and not found_by_bsn(request, client)
    ):
        services.log_denied(
            request,
            user,
            object_type=AVG,
            object_id="",
            client=client.pk,
            category=Category.IDENTIFICATIE,
            action=Action.EXPORT if request.method == "POST" else Action.READ,
        )
        raise Http404
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_request, report = _record_avg_request(
                request, client, decision, form.cleaned_data
            )
        except TooManyWaiting as refused:
            # The form again with what was typed: the request is recorded once sent.
            form.add_error(None, str(refused))
            return _avg_form(request, user, client, form, status=429)
        audit_event(
            request,
            "avg_inzage_aangevraagd",
            client_id=client.pk,
            report_id=report.pk,
            access_request_id=access_request.pk,
            received_on=str(access_request.received_on),
            channel=access_request.channel,
            identity_check=access_request.identity_check,
        )
        return redirect("portal:report_detail", report.pk)
    return _avg_form(request, user, client, form)


def _avg_form(request, user, client, form, status=200):
    # The page names the client (name, date of birth, BSN partly hidden): a read.
    services.log(
        request,
        user,
        decision=services.avg_decisions(user, client, Action.READ)[Category.IDENTIFICATIE],
        action=Action.READ,
        object_type=AVG_FORM,
        category=Category.IDENTIFICATIE,
        client=client.pk,
    )
    return render(
        request, "consent/avg_inzage_request.html", {"form": form, "client": client}, status=status
    )


def _record_avg_request(request, client, decision, data):
    """The request, its report and their two access-log entries: all or nothing."""
    user = request.user
    with transaction.atomic():
        report = request_report(
            user, ReportType.AVG_INZAGE, _("AVG-inzage (artikel 15)"), client=client
        )
        access_request = AccessRequest.objects.create(
            client=client,
            organisation=user.organisation,
            received_on=data["received_on"],
            channel=data["channel"],
            identity_check=data["identity_check"],
            identity_note=data["identity_note"],
            note=data["note"],
            report=report,
            recorded_by=user,
        )
        services.write_log(
            [
                services.entry(
                    request,
                    user,
                    decision=decision,
                    action=Action.CREATE,
                    object_type=AVG_REQUEST,
                    object_id=access_request.pk,
                    category=Category.IDENTIFICATIE,
                    client=client.pk,
                ),
                services.entry(
                    request,
                    user,
                    decision=decision,
                    action=Action.EXPORT,
                    object_type=AVG,
                    object_id=report.pk,
                    category=Category.IDENTIFICATIE,
                    client=client.pk,
                ),
            ]
        )
    return access_request, report
