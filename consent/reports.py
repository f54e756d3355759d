"""Consent reports: the toestemmingsverklaring (one consent as a form for the client to read
and sign) and the overview of a client's consents. Who may have them is decided by the same
rules as the consent pages (consent.services.record_decision / client_consents_decisions),
for the requester when the PDF is made and again at every download."""

from django.utils import timezone

from portal.models import ReportType
from portal.reports import Built, all_allowed

from .constants import Action, Category
from .forms import shares_nothing
from .models import SHARES_NOTHING, Consent
from .services import DENIED, client_consents_decisions, record_decision


def _consents():
    return Consent.objects.select_related(
        "client", "provider", "recipient", "recorded_by", "withdrawal", "superseded_by"
    ).prefetch_related("categories")


def _the_consent(report):
    return _consents().filter(pk=report.params.get("consent"), client=report.client_id).first()


def build(report):
    if report.type == ReportType.TOESTEMMINGSVERKLARING:
        return _build_form(report)
    return _build_overview(report)


def _build_form(report):
    consent = _the_consent(report)
    if (
        consent is None
        or not record_decision(report.requested_by, consent, Action.EXPORT)[0].allowed
    ):
        raise PermissionError("De aanvrager mag deze toestemming niet (meer) afdrukken.")
    today = timezone.localdate()
    return Built(
        template="reports/toestemmingsverklaring.html",
        context={
            "consent": consent,
            "categories": list(consent.categories.all()),
            "state": consent.state(today),
            # Live, yet no one at the recipient reads under its purpose: a copy marked at
            # the top not to be signed, with why (the print view refuses it outright).
            "shares_nothing_flag": SHARES_NOTHING,
            "shares_nothing": shares_nothing(consent.purpose, consent.recipient)
            if consent.shares_nothing(today)
            else None,
        },
        contents={(consent.provider_id, Category.IDENTIFICATIE)},
    )


def _build_overview(report):
    user, client = report.requested_by, report.client
    decisions, case = client_consents_decisions(user, client)
    if not decisions[user.organisation_id].allowed:
        raise PermissionError("De aanvrager mag de toestemmingen van deze cliënt niet zien.")
    # The records are the requester's organisation's; the name and date of birth are the
    # client's organisation's, on the PDF only when the requester may export them.
    contents = {(user.organisation_id, Category.IDENTIFICATIE)}
    name_visible = decisions[client.organisation_id].allowed
    if name_visible:
        contents.add((client.organisation_id, Category.IDENTIFICATIE))
    today = timezone.localdate()
    consents = list(
        _consents()
        .filter(client=client, provider_id=user.organisation_id)
        .order_by("-valid_from", "-pk")
    )
    rows = []
    for c in consents:
        rows.append(
            {
                "consent": c,
                "state": c.state(today),
                "categories": list(c.categories.all()),
                # Live, yet no one at the recipient reads under its purpose: why, or None.
                "shares_nothing": shares_nothing(c.purpose, c.recipient)
                if c.shares_nothing(today)
                else None,
            }
        )
    return Built(
        template="reports/toestemmingsoverzicht.html",
        context={
            "client": client,
            "name_visible": name_visible,
            "case": case,
            "rows": rows,
            "shares_nothing_flag": SHARES_NOTHING,
            "active": [r for r in rows if r["state"] == "actief"],
        },
        contents=contents,
    )


def download_decisions(user, report):
    """One decision per (holder, category) the PDF holds, each on its own basis: the
    requester's organisation's records, and for the overview the client's name from the
    client's organisation (own organisation, or the client's consent with its number)."""
    if report.type == ReportType.TOESTEMMINGSVERKLARING:
        consent = _the_consent(report)
        if consent is None:
            return None
        decision = record_decision(user, consent, Action.EXPORT)[0]
        return all_allowed([(holder, category, decision) for holder, category in report.contents])
    decisions, _case = client_consents_decisions(user, report.client)
    return all_allowed(
        [(holder, category, decisions.get(holder, DENIED)) for holder, category in report.contents]
    )
