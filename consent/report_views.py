"""Reports requested from the consent pages: the toestemmingsverklaring of one consent, the
overview of a client's consents, and the beheerder's AVG-inzage (art. 15). Each POST makes a
report record (portal.reports) and goes to the report's page; the PDF is made by a worker.
Who may ask is decided by the same rules as the pages (consent.views, consent.services)."""

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Client
from portal.constants import Role
from portal.middleware import repeatable
from portal.models import ReportType
from portal.reports import request_report
from portal.views import role_required

from . import services
from .constants import Action, Category
from .services import client_consents_decision
from .views import CLIENT_SEARCH_LIMIT, _find_clients, get_consent


@repeatable
@require_POST
@login_required
def consent_report(request, pk):
    """The consent form (toestemmingsverklaring) as a PDF to read and sign."""
    consent, _decision, _case = get_consent(request, pk, Action.EXPORT)
    report = request_report(
        request.user,
        ReportType.TOESTEMMINGSVERKLARING,
        _("Toestemmingsverklaring nr. %(pk)s") % {"pk": consent.pk},
        client=consent.client,
        params={"consent": consent.pk},
    )
    return redirect("portal:report_detail", report.pk)


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
    report = request_report(
        request.user,
        ReportType.TOESTEMMINGSOVERZICHT,
        _("Overzicht toestemmingen"),
        client=client,
    )
    return redirect("portal:report_detail", report.pk)


# --- Beheerder: AVG-inzage (art. 15) ------------------------------------------------------

AVG = "avg-inzage"


@role_required(Role.BEHEERDER)
def avg_inzage(request):
    """The beheerder handles a client's request for access: look the client up, then make
    the report (after confirming the password)."""
    form, clients = _find_clients(request, object_type="cliëntzoekactie")
    return render(
        request,
        "consent/avg_inzage.html",
        {"form": form, "clients": clients, "limit": CLIENT_SEARCH_LIMIT},
    )


@repeatable
@require_POST
@role_required(Role.BEHEERDER)
@reauthentication_required
def avg_inzage_request(request, client_pk):
    """Everything the organisation holds about the client and the full access log, as a
    PDF. Only the beheerder of the client's own organisation, after re-authentication;
    the request itself is written to the access log."""
    user = request.user
    client = Client.objects.select_related("organisation").filter(pk=client_pk).first()
    if client is None:
        raise Http404
    decision = services.beheer_decision(user, client, Category.IDENTIFICATIE, Action.EXPORT)
    if not decision.allowed:
        services.log_denied(
            request,
            user,
            object_type=AVG,
            object_id="",
            client=client.pk,
            category=Category.IDENTIFICATIE,
            action=Action.EXPORT,
        )
        raise Http404
    report = request_report(
        user, ReportType.AVG_INZAGE, _("AVG-inzage (artikel 15)"), client=client
    )
    services.log(
        request,
        user,
        decision=decision,
        action=Action.EXPORT,
        object_type=AVG,
        object_id=report.pk,
        category=Category.IDENTIFICATIE,
        client=client.pk,
    )
    return redirect("portal:report_detail", report.pk)
