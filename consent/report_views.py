"""Reports requested from the consent pages: the toestemmingsverklaring of one consent, the
overview of a client's consents. Each POST makes a
report record (portal.reports) and goes to the report's page; the PDF is made by a worker.
Who may ask is decided by the same rules as the pages (consent.views, consent.services)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Client
from portal.models import ReportType
from portal.reports import request_report

from . import services
from .constants import Action, Category
from .views import client_consents_decision, get_consent


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
