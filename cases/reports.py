"""The voortgangsrapportage (progress report) of a case: exactly what the requesting user
may see when it is rendered, re-checked at every download."""

from consent import services as consent
from consent.constants import Category
from portal.reports import Built

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
    client_visible = access.can_read(Category.IDENTIFICATIE, case.client.organisation_id)
    if client_visible:
        contents.add((case.client.organisation_id, Category.IDENTIFICATIE))
    work = (
        WorkSituation.objects.filter(case=case)
        .filter(access.readable_filter(Category.WERKSITUATIE))
        .first()
    )
    goals = list(case.goals.filter(access.readable_filter(Category.AFSPRAKEN)))
    agreements = list(case.agreements.filter(access.readable_filter(Category.AFSPRAKEN)))
    meetings = list(case.meetings.filter(access.readable_filter(Category.AFSPRAKEN)))
    entries = list(
        TimelineEntry.objects.filter(case=case)
        .filter(access.readable_filter())
        .select_related("author", "organisation")[:RECENT_ENTRIES]
    )
    # Motivational conversations as far as the requester may read them; the MITI
    # self-assessments are the professional's own and never part of a report.
    conversations = list(conversation_data.conversations_for(access, case))
    for conversation in conversations:
        contents.add((conversation.organisation_id, Category.GESPREKSVERSLAGEN))
    recent = conversation_data.chronological(conversations)[-RECENT_CONVERSATIONS:][::-1]
    if work:
        contents.add((work.organisation_id, Category.WERKSITUATIE))
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


def may_download(user, report):
    access = consent.case_access(user, report.case)
    if not access.is_member:
        return False
    return all(access.can_read(category, holder) for holder, category in report.contents)
