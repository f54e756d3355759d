"""The voortgangsrapportage (progress report) of a case: exactly what the requesting user
may see when it is rendered, re-checked at every download."""

from django.db.models import Q

from consent import services as consent
from consent.constants import Action, Category
from portal.reports import Built, case_download_decisions, exportable_filter, exportable_holders

from . import conversation_services as conversation_data
from .models import TimelineEntry, WorkSituation

RECENT_ENTRIES = 10
RECENT_CONVERSATIONS = 5


def build(report):
    user, case = report.requested_by, report.case
    access = consent.case_access(user, case)
    contents = set()
    if not access.is_member:
        raise PermissionError("De aanvrager zit niet meer in het team van deze casus.")
    # A report leaves the portal: every piece must be exportable for the requester, not only
    # readable (a trajectbegeleider may read a medical note on screen, not take it along).
    client_visible = access.decide(
        Category.IDENTIFICATIE, case.client.organisation_id, Action.EXPORT
    ).allowed
    if client_visible:
        contents.add((case.client.organisation_id, Category.IDENTIFICATIE))
    work = (
        WorkSituation.objects.filter(case=case)
        .filter(exportable_filter(access, Category.WERKSITUATIE))
        .first()
    )
    afspraken = exportable_filter(access, Category.AFSPRAKEN)
    goals = list(case.goals.readable(afspraken, exportable_filter(access, Category.MEDISCH)))
    agreements = list(case.agreements.filter(afspraken))
    meetings = list(case.meetings.filter(afspraken))
    any_exportable = Q(pk__in=[])
    for category in Category:
        any_exportable |= Q(category=category) & exportable_filter(access, category)
    entries = list(
        TimelineEntry.objects.filter(case=case)
        .filter(any_exportable & access.news_filter())
        .select_related("author", "organisation")[:RECENT_ENTRIES]
    )
    # Motivational conversations as far as the requester may read them; the MITI
    # self-assessments are the professional's own and never part of a report.
    conversations = [
        c
        for c in conversation_data.conversations_for(access, case)
        if access.decide(Category.GESPREKSVERSLAGEN, c.organisation_id, Action.EXPORT).allowed
    ]
    for conversation in conversations:
        contents.add((conversation.organisation_id, Category.GESPREKSVERSLAGEN))
    recent = conversation_data.chronological(conversations)[-RECENT_CONVERSATIONS:][::-1]
    # The IPS trajectory as the case page's IPS card shows it (one selection for both), as
    # far as the requester may export it.
    from ips import summary as ips_summary  # ips builds on cases: import at call time

    ips = ips_summary.summary(case, exportable_holders(access, Category.IPS))
    if work:
        contents.add((work.organisation_id, Category.WERKSITUATIE))
    if ips is not None:
        contents |= ips.shown
    for goal in goals:
        contents.add((goal.organisation_id, goal.data_category))
    for item in goals + agreements + meetings:
        contents.add((item.organisation_id, Category.AFSPRAKEN))
    for entry in entries:
        contents.add((entry.organisation_id, entry.category))
    return Built(
        template="cases/reports/voortgang.html",
        context={
            "case": case,
            "client_visible": client_visible,
            "work": work,
            "ips": ips,
            "goals": goals,
            "agreements": agreements,
            "meetings": meetings,
            "entries": entries,
            "conversations": recent,
            "conversation_funding": conversation_data.funding(conversations)
            if conversations
            else None,
            "conversation_progress": conversation_data.progress(
                conversations, limit=conversation_data.PANEL_POINTS
            ),
            "requester": user,
        },
        contents=contents,
    )


download_decisions = case_download_decisions
