"""Views of the motiverende gesprekken: the case panel, the case's list with the progress
charts, logging, one log, editing (author, seven days), corrections, and the
professional's own MITI trend. Every case page goes through cases.views.get_case; reads
and denials are logged through consent.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from consent import services as consent
from consent.constants import Action, Category
from portal.constants import Role

from . import conversation_services as conversations
from . import services
from .conversation_forms import ConversationLogForm
from .views import _refuse_closed, _refuse_write, case_page, get_case

OBJECT_TYPE = "motiverend-gesprek"
CATEGORY = Category.GESPREKSVERSLAGEN
PANEL_ROWS = 5
# Who logs motivational conversations (and sees their own MITI trend).
PROFESSIONALS = (Role.BEHANDELAAR, Role.TRAJECTBEGELEIDER)


def _log_reads(request, access, rows, object_id=None, extra=()):
    shown = {(c.organisation_id, CATEGORY) for c in rows} | set(extra)
    if shown:
        consent.log_case_reads(request, access, shown, object_type=OBJECT_TYPE, object_id=object_id)


def _log_write(request, access, conversation, action, new_agreement=None):
    """The change to the conversation, and ``new_agreement``: the afspraak its next step
    became just now (a record of its own, in another category; a correction keeps the
    original's and creates none)."""
    consent.log_changes(
        request,
        access.case,
        [(OBJECT_TYPE, conversation.pk, CATEGORY, action)],
        [new_agreement] if new_agreement is not None else (),
    )


def _deny(request, case, cid, action=Action.READ):
    consent.log_denied(
        request,
        request.user,
        object_type=OBJECT_TYPE,
        object_id=cid,
        client=case.client_id,
        case=case,
        category=CATEGORY,
        action=action,
    )
    raise Http404


def _readable_or_404(request, case, access, cid):
    conversation = conversations.conversation_for(access, case, cid)
    if conversation is None:
        _deny(request, case, cid)
    return conversation


def _can_log(access, case):
    return services.write_allowed(access, CATEGORY) and case.is_open


# --- The case panel and the list ---------------------------------------------------------


def case_panel(request, case, access):
    """On the case page: the Zvw counter, progress over time (chart and table), the most
    recent change talk and the latest logs. Two reads, whatever the number of logs."""
    can_log = _can_log(access, case)
    if not access.readable_holders(CATEGORY) and not can_log:
        return None
    rows = list(conversations.conversations_for(access, case))
    if not rows and not can_log:
        return None
    return {
        "template": "cases/conversations/_panel.html",
        "log": consent.case_read_entries(
            request, access, {(c.organisation_id, CATEGORY) for c in rows}, object_type=OBJECT_TYPE
        ),
        "conversations": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
        "funding": conversations.funding(rows),
        "progress": conversations.progress(rows, limit=conversations.PANEL_POINTS),
        "latest_talk": conversations.latest_change_talk(rows),
        "can_log": can_log,
    }


@login_required
def conversation_list(request, pk):
    case, access = get_case(request, pk)
    rows = list(conversations.conversations_for(access, case))
    _log_reads(request, access, rows)
    return case_page(
        request,
        access,
        "cases/conversations/list.html",
        {
            "conversations": rows,
            "funding": conversations.funding(rows),
            "progress": conversations.progress(rows),
            "latest_talk": conversations.latest_change_talk(rows),
            "can_log": _can_log(access, case),
        },
    )


# --- Logging, one log, editing, correcting ----------------------------------------------------


@login_required
def conversation_create(request, pk):
    case, access = get_case(request, pk)
    _refuse_write(request, access, CATEGORY, case)
    if refused := _refuse_closed(request, case):
        return refused
    readable = list(conversations.conversations_for(access, case))
    own = [
        c for c in conversations.current(readable) if c.organisation_id == access.organisation_id
    ]
    initial = ConversationLogForm.initial_for(
        request.user,
        previous=own[0] if own else None,
        funded_so_far=conversations.funded_count(readable),
    )
    form = ConversationLogForm(request.POST or None, initial=initial, mode="new")
    if not services.write_allowed(access, Category.AFSPRAKEN):
        for name in ("next_what", "next_owner", "next_due"):
            form.fields.pop(name)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                conversation = conversations.log_conversation(
                    access,
                    form.data_fields(),
                    form.change_talk(),
                    miti=form.miti(),
                    next_step=form.next_step() if "next_what" in form.fields else None,
                )
                _log_write(request, access, conversation, Action.CREATE, conversation.next_step)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Gesprek vastgelegd."))
            return redirect("cases:detail", case.pk)
    _log_reads(request, access, readable)  # the counter and defaults come from these logs
    return case_page(
        request,
        access,
        "cases/conversations/form.html",
        {
            "form": form,
            "mode": "new",
            "funding": conversations.funding(readable),
        },
    )


@login_required
def conversation_detail(request, pk, cid):
    case, access = get_case(request, pk)
    conversation = _readable_or_404(request, case, access, cid)
    next_step = conversations.next_step_for(access, conversation)
    correction = (
        conversations.correction_of(access, conversation) if conversation.is_corrected else None
    )
    # The self-assessment is the author's alone: fetched only for them.
    assessment = conversations.own_assessment(request.user, conversation)
    _log_reads(
        request,
        access,
        [conversation],
        object_id=conversation.pk,
        extra={(next_step.organisation_id, Category.AFSPRAKEN)} if next_step else (),
    )
    return case_page(
        request,
        access,
        "cases/conversations/detail.html",
        {
            "conversation": conversation,
            "talk": sorted(conversation.change_talk.all(), key=lambda t: t.order),
            "next_step": next_step,
            "correction": correction,
            "assessment": assessment,
            "miti": conversations.summary_of(assessment) if assessment else None,
            "can_edit": conversations.may_edit(request.user, conversation),
            "can_correct": conversations.may_correct(access, conversation),
            "edit_window_days": conversations.EDIT_WINDOW.days,
        },
    )


def _writable(request, case, access, cid, action):
    """A log the user's organisation holds and the user's role may write; anyone else is
    logged as denied and gets a 404."""
    _refuse_write(request, access, CATEGORY, case)
    conversation = _readable_or_404(request, case, access, cid)
    if not access.can_update(CATEGORY, conversation.organisation_id):
        _deny(request, case, cid, action)
    return conversation


@login_required
def conversation_edit(request, pk, cid):
    case, access = get_case(request, pk)
    conversation = _writable(request, case, access, cid, Action.UPDATE)
    if conversation.author_id != request.user.pk:
        _deny(request, case, cid, Action.UPDATE)
    if not conversations.may_edit(request.user, conversation):
        messages.error(request, conversations.EDIT_CLOSED_MESSAGE)
        return redirect("cases:conversation_detail", case.pk, conversation.pk)
    assessment = conversations.own_assessment(request.user, conversation)
    form = ConversationLogForm(
        request.POST or None,
        initial=ConversationLogForm.initial_from(conversation, assessment),
        mode="edit",
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                conversations.edit_conversation(
                    access,
                    conversation,
                    form,
                    form.data_fields(),
                    form.change_talk(),
                    miti=form.miti(),
                )
                _log_write(request, access, conversation, Action.UPDATE)
        except services.ConflictError:
            messages.error(
                request,
                _(
                    "Niet opgeslagen: dit gesprek is intussen gewijzigd. "
                    "Bekijk de nieuwe stand en probeer het opnieuw."
                ),
            )
            return redirect("cases:conversation_edit", case.pk, conversation.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Gesprek bijgewerkt."))
            return redirect("cases:conversation_detail", case.pk, conversation.pk)
    _log_reads(request, access, [conversation], object_id=conversation.pk)
    return case_page(
        request,
        access,
        "cases/conversations/form.html",
        {"form": form, "mode": "edit", "conversation": conversation},
    )


@login_required
def conversation_correct(request, pk, cid):
    case, access = get_case(request, pk)
    original = _writable(request, case, access, cid, Action.CREATE)
    if original.is_corrected:
        messages.error(
            request,
            _("Dit gesprek is al gecorrigeerd. Corrigeer zo nodig de nieuwste versie."),
        )
        return redirect("cases:conversation_detail", case.pk, original.pk)
    initial = ConversationLogForm.initial_from(original)
    form = ConversationLogForm(request.POST or None, initial=initial, mode="correct")
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                correction = conversations.correct_conversation(
                    access,
                    original,
                    form.data_fields(),
                    form.change_talk(),
                    form.cleaned_data["correction_reason"],
                )
                _log_write(request, access, correction, Action.CREATE)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Correctie vastgelegd. Het oorspronkelijke verslag blijft bewaard.")
            )
            return redirect("cases:conversation_detail", case.pk, correction.pk)
    _log_reads(request, access, [original], object_id=original.pk)
    return case_page(
        request,
        access,
        "cases/conversations/form.html",
        {"form": form, "mode": "correct", "conversation": original},
    )


# --- The professional's own MITI trend ------------------------------------------------------


@login_required
def miti_trend(request):
    """The user's own self-scores over time, and their organisation's anonymous aggregate
    (only with enough colleagues). No client data: dates and scores only."""
    if request.user.role not in PROFESSIONALS:
        raise Http404
    trend = conversations.miti_trend(conversations.own_assessments(request.user))
    aggregate = conversations.organisation_aggregate(request.user)
    # A conversation on a case the user has left is no link: it would lead to "Niet gevonden".
    on_team = set(
        consent.cases_for(request.user)
        .filter(pk__in={row["assessment"].conversation.case_id for row in trend["rows"]})
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "cases/conversations/miti_trend.html",
        {
            "trend": trend,
            "on_team": on_team,
            "latest": trend["rows"][-1]["summary"] if trend["rows"] else None,
            "aggregate": aggregate,
            "minimum": conversations.MIN_PROFESSIONALS_FOR_AGGREGATE,
            "thresholds": conversations.THRESHOLDS,
        },
    )
