"""'Samenvatting van ons gesprek over werk' for the client (plain Dutch, B1): the summary of a
finished gespreksleidraad session, as a page (leidraad_views.session_summary) and as a PDF
report. The PDF holds what the requesting user may export when it is rendered (category
leidraad of the session, afspraken as far as readable, the referrals they may learn of:
leidraad_services.referrals_for), re-checked at every download."""

from django.utils.translation import gettext_lazy

from consent import services as consent
from consent.constants import Action, Category
from portal.reports import Built, case_download_decisions, exportable_filter

from . import leidraad_services as leidraad
from .constants import Judgement

# How the client-facing summary says each judgement.
CLIENT_WORDS = {
    Judgement.HELPT: gettext_lazy("Werk helpt u nu bij uw herstel."),
    Judgement.NEUTRAAL: gettext_lazy("Werk maakt voor uw herstel nu niet veel uit."),
    Judgement.BELEMMERT: gettext_lazy("Werk staat uw herstel nu in de weg."),
    Judgement.ONDUIDELIJK: gettext_lazy("Dat weten we nog niet. We komen erop terug."),
}


def client_summary(access, session, agreements, client_visible):
    """The context of the summary: the themes talked about in the client's words, the
    agreements given, the next step as far as ``access`` may learn of it
    (leidraad_services.referrals_for) and later corrections."""
    referrals, all_referrals = leidraad.referrals_for(access, session)
    return {
        "session": session,
        "client_visible": client_visible,
        "themes": [
            {**item, "words": CLIENT_WORDS.get(item["note"].judgement, "")}
            for item in leidraad.themes_of(session)
            if item["discussed"]
        ],
        "agreements": agreements,
        "referrals": referrals,
        "all_referrals": all_referrals,
        "corrections": list(session.corrections.all()),
    }


def build(report):
    user, case = report.requested_by, report.case
    access = consent.case_access(user, case)
    if not access.is_member:
        raise PermissionError("De aanvrager zit niet meer in het team van deze casus.")
    session = leidraad.session_for(access, case, report.params.get("session"))
    if (
        session is None
        or not access.decide(Category.LEIDRAAD, session.organisation_id, Action.EXPORT).allowed
    ):
        raise PermissionError("De aanvrager mag dit gesprek niet (meer) exporteren.")
    if not session.is_finished:
        raise ValueError("Het gesprek is nog niet afgerond.")
    agreements = list(
        session.agreements.filter(exportable_filter(access, Category.AFSPRAKEN)).order_by(
            "due_date", "pk"
        )
    )
    client_holder = case.client.organisation_id
    client_visible = access.decide(Category.IDENTIFICATIE, client_holder, Action.EXPORT).allowed
    contents = {(session.organisation_id, Category.LEIDRAAD)}
    contents |= {(a.organisation_id, Category.AFSPRAKEN) for a in agreements}
    if client_visible:
        contents.add((client_holder, Category.IDENTIFICATIE))
    return Built(
        template="reports/leidraad.html",
        context={"case": case, **client_summary(access, session, agreements, client_visible)},
        contents=contents,
    )


download_decisions = case_download_decisions
