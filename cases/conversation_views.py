"""Views of the motiverende gesprekken: the case panel, the case's list with the progress
charts, logging, one log, editing (author, seven days), corrections, and the
professional's own MITI trend. Every case page goes through cases.views.get_case; reads
and denials are logged through consent.services."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent import services as consent
from consent.constants import Action, Category
from portal.constants import Role

from . import carried, services
from . import conversation_services as conversations
from .constants import ChangeTalkKind
from .conversation_forms import ConversationLogForm
from .views import _refuse_closed, _refuse_write, _report_conflict, case_page, get_case

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
    original's and creates none); and a change of the case's "werk besproken" that a new
    log made, as cases:work_discussed logs one."""
    changes = [(OBJECT_TYPE, conversation.pk, CATEGORY, action)]
    if getattr(conversation, "work_discussed", False):
        changes.append(("casus", access.case.pk, Category.AFSPRAKEN, Action.UPDATE))
    consent.log_changes(
        request, access.case, changes, [new_agreement] if new_agreement is not None else ()
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
    recent change talk and the latest logs. Two reads, whatever the number of logs (none on
    a case that never had one)."""
    can_log = _can_log(access, case)
    if not access.readable_holders(CATEGORY) and not can_log:
        return None
    # A case that never had a log is not asked at all: evaluating the empty queryset
    # conversations_for returns then still builds its whole SELECT (≈ 0.8 ms a case page).
    rows = list(conversations.conversations_for(access, case)) if case.has_conversations else []
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
            "talk": conversation.heard_change_talk,
            "next_step": next_step,
            "correction": correction,
            "assessment": assessment,
            "miti": conversations.summary_of(assessment) if assessment else None,
            "can_edit": case.is_open and conversations.may_edit(request.user, conversation),
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


NOTHING_CHANGED = gettext_lazy("Er was niets gewijzigd.")


def _scope(conversation):
    return ("gesprek", conversation.pk)


def _loaded_token(conversation, initial):
    values = {name: value for name, value in initial.items() if name != "version"}
    return carried.token(_scope(conversation), values)


def _edit_groups(form):
    """The form's fields in groups that only make sense together, in form order: kept or
    replaced as a whole, named once."""
    grouped = {
        "target_behaviour": ("target_behaviour", "target_other"),
        **{
            f"talk_{kind.value}": (f"talk_{kind.value}", f"quote_{kind.value}")
            for kind in ChangeTalkKind
        },
        "questions": ConversationLogForm.MITI_FIELDS,
    }
    members = {name for group in grouped.values() for name in group}
    groups = []
    for name in form.fields:
        if name in grouped:
            groups.append(grouped[name])
        elif name not in members and name != "version":
            groups.append((name,))
    return groups


def _group_label(form, group):
    if group[0].startswith("talk_"):
        return _("Gehoorde verandertaal")
    if group[0] in ConversationLogForm.MITI_FIELDS:
        return _("Zelfbeoordeling (MITI)")
    return form.fields[group[0]].label


def _group_stored(conversation, group):
    """What the stored log holds for ``group``, in words (for a field both changed)."""
    if group[0].startswith("talk_"):
        return conversations.talk_text((t.kind, t.quote) for t in conversation.change_talk.all())
    if group[0] == "target_behaviour":
        return conversation.target_label
    return Truncator(conversations.in_words(conversation, group[0])).chars(80)


def _as_posted(field, value):
    """A stored value as the browser would post it (None: not posted at all)."""
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _typed_again(request, access, cid, form, conflict):
    """An edit that lost the race: the form again, on the stored version (so that saving
    again is a deliberate choice), with what the user typed, and the stored values where
    they changed nothing, so a second save keeps the other change. The message names what
    changed meanwhile. None when the user had changed nothing at all."""
    case = access.case
    conversation = _readable_or_404(request, case, access, cid)
    stored = ConversationLogForm.initial_from(
        conversation, conversations.own_assessment(request.user, conversation)
    )
    loaded = carried.posted(request, _scope(conversation))
    data = request.POST.copy()
    data["version"] = str(conversation.version)
    if loaded is None:
        # A form that did not carry its loaded values: all that was typed stays.
        what = ", ".join(str(label) for label, _value in conflict.changes)
        explain = _("Anders dan wat u invulde: %(what)s.") % {"what": what}
        keep = _("Hieronder staat wat u invulde. Sla opnieuw op om dat te bewaren.")
    else:
        changed, meanwhile = [], []
        for group in _edit_groups(form):
            ours = any(not carried.same(form.cleaned_data.get(n), loaded.get(n)) for n in group)
            theirs = any(not carried.same(loaded.get(n), stored.get(n)) for n in group)
            if ours:
                changed.append(group)
            else:
                for name in group:
                    value = _as_posted(form.fields[name], stored.get(name))
                    if value is None:
                        data.pop(name, None)
                    else:
                        data[name] = value
            if theirs:
                label = str(_group_label(form, group))
                if ours and group[0] not in ConversationLogForm.MITI_FIELDS:
                    # The form shows what the user typed: say what is stored instead.
                    now = _group_stored(conversation, group) or "—"
                    label += " " + _("(nu: %(value)s)") % {"value": now}
                meanwhile.append(label)
        if not changed:
            return None
        explain = ""
        if meanwhile:
            explain = _("Het gaat om: %(what)s.") % {"what": ", ".join(meanwhile)}
        keep = _(
            "Hieronder staat wat u wijzigde; de andere velden tonen de nieuwe stand. "
            "Sla opnieuw op om uw wijzigingen te bewaren."
        )
    messages.error(
        request,
        " ".join(filter(None, [services.changed_meanwhile(_("dit gesprek")), explain, keep])),
    )
    again = ConversationLogForm(data, initial=stored, mode="edit")
    return conversation, again, _loaded_token(conversation, stored)


@login_required
def conversation_edit(request, pk, cid):
    case, access = get_case(request, pk)
    conversation = _writable(request, case, access, cid, Action.UPDATE)
    if conversation.author_id != request.user.pk:
        _deny(request, case, cid, Action.UPDATE)
    if refused := _refuse_closed(request, case):
        return refused
    if refusal := conversations.edit_refusal(request.user, conversation):
        messages.error(request, refusal)
        return redirect("cases:conversation_detail", case.pk, conversation.pk)
    assessment = conversations.own_assessment(request.user, conversation)
    initial = ConversationLogForm.initial_from(conversation, assessment)
    form = ConversationLogForm(request.POST or None, initial=initial, mode="edit")
    # A posted form carries back what it was loaded with, or nothing: then that stays not
    # known, rather than taken for what is stored now (an older value it still shows would
    # count as the user's change and undo a newer one).
    loaded = (
        request.POST.get(carried.FIELD, "")
        if request.method == "POST"
        else _loaded_token(conversation, initial)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved, client_data_changed = conversations.edit_conversation(
                    access,
                    conversation,
                    form,
                    form.data_fields(),
                    form.change_talk(),
                    miti=form.miti(),
                )
                if client_data_changed:  # not for the professional's self-assessment alone
                    _log_write(request, access, saved, Action.UPDATE)
        except services.ConflictError as conflict:
            if not conflict.changes:  # the stored log already holds what was sent
                _report_conflict(request, conflict, _("dit gesprek"))
                return redirect("cases:conversation_detail", case.pk, conversation.pk)
            again = _typed_again(request, access, conversation.pk, form, conflict)
            if again is None:
                messages.info(request, NOTHING_CHANGED)
                return redirect("cases:conversation_detail", case.pk, conversation.pk)
            conversation, form, loaded = again
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if saved is None:
                messages.info(request, NOTHING_CHANGED)
            else:
                messages.success(request, _("Gesprek bijgewerkt."))
            return redirect("cases:conversation_detail", case.pk, conversation.pk)
    _log_reads(request, access, [conversation], object_id=conversation.pk)
    return case_page(
        request,
        access,
        "cases/conversations/form.html",
        {"form": form, "mode": "edit", "conversation": conversation, "loaded": loaded},
    )


@login_required
def conversation_correct(request, pk, cid):
    case, access = get_case(request, pk)
    original = _writable(request, case, access, cid, Action.CREATE)
    if refused := _refuse_closed(request, case):
        return refused
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
