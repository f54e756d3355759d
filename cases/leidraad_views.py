"""Views of the gespreksleidraad 'Arbeid als medicijn': sessions on a case (through the one
door, cases.views.get_case), the client's preparation sheet and summary, the case panel,
and the beheer page that publishes a new content version."""

from collections.abc import Callable
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from consent import services as consent
from consent.constants import Action, Category
from portal.middleware import repeatable
from portal.models import ReportType
from portal.reports import requested

from . import carried, services
from . import leidraad_services as leidraad
from .constants import Judgement, LeidraadStatus, LeidraadStep, ReferralKind
from .leidraad_forms import (
    AgreementRowsForm,
    CorrectionForm,
    NotesForm,
    PublishForm,
    ReferralForm,
    SelectionForm,
    VersionForm,
)
from .leidraad_reports import client_summary
from .models import LeidraadVersion
from .views import _refuse_closed, _refuse_write, case_page, get_case

OBJECT_TYPE = "leidraadsessie"
PANEL_SESSIONS = 5


def _session_or_404(request, case, access, sid):
    session = leidraad.session_for(access, case, sid)
    if session is None:
        consent.log_denied(
            request,
            request.user,
            object_type=OBJECT_TYPE,
            object_id=sid,
            client=case.client_id,
            case=case,
            category=Category.LEIDRAAD,
        )
        raise Http404
    return session


def _writable_session(request, case, access, sid):
    """A session the user may change: their organisation holds it and their role writes
    category leidraad. Anyone else: logged as denied, 404."""
    _refuse_write(request, access, Category.LEIDRAAD, case)
    session = _session_or_404(request, case, access, sid)
    if not access.can_update(Category.LEIDRAAD, session.organisation_id):
        consent.log_denied(
            request,
            request.user,
            object_type=OBJECT_TYPE,
            object_id=session.pk,
            client=case.client_id,
            case=case,
            category=Category.LEIDRAAD,
            action=Action.UPDATE,
        )
        raise Http404
    return session


def _log_read(request, access, session, agreements=(), also=frozenset()):
    """One read entry per kind of data the page shows: the session, its agreements and
    ``also`` ((holder, category) pairs)."""
    shown = {(session.organisation_id, Category.LEIDRAAD), *also}
    shown |= {(a.organisation_id, Category.AFSPRAKEN) for a in agreements}
    consent.log_case_reads(request, access, shown, object_type=OBJECT_TYPE, object_id=session.pk)


def _log_write(
    request,
    access,
    session,
    action=Action.UPDATE,
    agreements=(),
    referral=None,
    work_discussed=False,
):
    """The change to the session (none when ``action`` is None), and each afspraak it
    created (``agreements``): a record of its own, in its own category; a ``referral`` that
    became an invitation on the case is logged as cases:refer logs one, and a change of the
    case's "werk besproken" (``work_discussed``) as cases:work_discussed logs one."""
    changes = [(OBJECT_TYPE, session.pk, Category.LEIDRAAD, action)] if action else []
    if referral is not None and referral.invitation_id is not None:
        changes.append(
            ("verwijzing", referral.invitation_id, Category.IDENTIFICATIE, Action.CREATE)
        )
    if work_discussed:
        changes.append(("casus", access.case.pk, Category.AFSPRAKEN, Action.UPDATE))
    consent.log_changes(request, access.case, changes, agreements)


def _step_url(case, session, step):
    return reverse("cases:leidraad_step", args=[case.pk, session.pk, step])


# --- A save that lost the race -------------------------------------------------------------
#
# Steps 1 and 2 carry, signed, the values their form was loaded with (cases.carried, as
# the conversation log's edit form does). After a save that lost the race (optimistic
# locking on the session's version), what the user changed is told apart from what they
# left as it was:
# the form comes back on the stored version with the stored value wherever the user changed
# nothing, and their own value wherever they did. Saving again can then not put an old
# value back over a colleague's newer one, and the message names what changed meanwhile.


class _Fields(NamedTuple):
    """A step's fields as stored now: ``values`` maps field name to the value as the form
    holds it; ``describe(name, value)`` gives what a message calls the field (a theme's
    title, a field's label) and the value in words."""

    values: dict
    describe: Callable


def _selection_fields(session):
    title = session.guide.theme_title

    def describe(name, value):
        if name == "themes":
            return _("Gekozen thema's"), ", ".join(title(key) for key in value) or _("geen")
        return SelectionForm.base_fields[name].label, value

    return _Fields(
        {
            "themes": [note.theme for note in session.theme_notes.all()],
            "client_questions": session.client_questions,
        },
        describe,
    )


def _notes_fields(session):
    values = {}
    for note in session.theme_notes.all():
        values[f"notes_{note.theme}"] = note.notes
        values[f"judgement_{note.theme}"] = note.judgement

    def describe(name, value):
        kind, key = name.split("_", 1)
        if kind == "judgement":
            value = Judgement(value).label if value in Judgement.values else _("geen oordeel")
        return session.guide.theme_title(key), value

    return _Fields(values, describe)


def _scope(session, step):
    return ("leidraad", session.pk, step)


def _loaded_token(session, step, fields):
    return carried.token(_scope(session, step), fields.values)


class _Merged(NamedTuple):
    values: dict  # field name -> value for the form shown again
    changed: list  # names someone else changed (to something other than the user has)
    clashes: list  # names both changed, differently: the user's value is in the form
    kept: list  # names where the form holds the user's value, not (yet) stored
    dropped: dict  # name -> typed value, of fields no longer on the step


def _merge(typed, loaded, stored):
    """Per field: ``typed`` what the user sent (the fields their form had), ``loaded`` what
    their form showed (None: not known), ``stored`` what is stored now. A field the user
    left as loaded takes the stored value; one they changed keeps theirs."""
    values, changed, clashes, kept = {}, [], [], []
    for name, now in stored.items():
        mine = typed.get(name, "")
        # Not on their page (a theme chosen meanwhile): not touched. Otherwise what their
        # form showed; None when that is not known.
        before = mine if name not in typed else (loaded or {}).get(name)
        if isinstance(now, list) and before is not None:
            # A choice of several (the themes): the user's own additions and removals, on
            # what is stored now, so that a colleague's are kept too. Never a clash.
            added = [v for v in mine if v not in before and v not in now]
            merged = [v for v in now if v in mine or v not in before] + added
            values[name] = merged
            if not carried.same(now, before):
                changed.append(name)
            if not carried.same(merged, now):
                kept.append(name)
            continue
        if before is None:  # not known what they saw: a value of theirs that differs stays
            untouched = carried.same(mine, now)
            theirs = not untouched
        else:
            untouched = carried.same(mine, before)
            theirs = not carried.same(now, before) and not carried.same(now, mine)
        values[name] = now if untouched else mine
        if theirs:
            changed.append(name)
            if not untouched:
                clashes.append(name)
        if not untouched and not carried.same(mine, now):
            kept.append(name)
    dropped = {
        name: typed.get(name, "")
        for name, before in (loaded or {}).items()
        if name not in stored and not carried.same(typed.get(name, ""), before)
    }
    return _Merged(values, changed, clashes, kept, dropped)


def _loaded_for(request, session, step, fields_of):
    """The loaded values the step's form carries: on a page shown fresh, what is stored; on
    a posted form shown again, what it was loaded with (none when it carried none: then it
    stays not known, rather than taken for what is stored now)."""
    if request.method == "POST":
        return request.POST.get(carried.FIELD, "")
    return _loaded_token(session, step, fields_of(session))


def _subjects(fields, names, values):
    """What the message calls ``names`` ('Geld en inkomen, Grip op uw situatie'), each once."""
    subjects = dict.fromkeys(str(fields.describe(name, values[name])[0]) for name in names)
    return ", ".join(subjects)


def _typed_again(request, session, step, form, make_form, fields_of):
    """A step's save that lost the race: (form, loaded) to show again, on the stored
    version, or (None, message) when nothing the user typed is left unsaved (a double
    click, or a colleague made the same change). ``make_form(data)`` builds the step's
    form, ``fields_of(session)`` gives its stored _Fields."""
    session.refresh_from_db()  # also drops the prefetched themes: read as stored now
    fields = fields_of(session)
    loaded = carried.posted(request, _scope(session, step))
    # What the user sent, of the fields their form had: those it was loaded with, or (not
    # known) those posted.
    if loaded is None:
        had = [name for name in form.fields if name in request.POST and name != "version"]
    else:
        had = list(loaded)
    typed = {
        name: form.cleaned_data[name] if name in form.fields else request.POST.get(name, "")
        for name in had
    }
    merged = _merge(typed, loaded, fields.values)
    meanwhile = ""
    if merged.changed:
        meanwhile = _("Intussen gewijzigd: %(what)s.") % {
            "what": _subjects(fields, merged.changed, fields.values)
        }
    if not merged.kept and not merged.dropped:
        nothing_new = _(
            "Niets nieuws om op te slaan: wat u invulde, stond intussen al zo opgeslagen."
        )
        return None, " ".join(filter(None, [nothing_new, meanwhile]))
    parts = [services.changed_meanwhile(_("dit gesprek")), meanwhile]
    if merged.clashes:
        parts.append(
            _("Bij %(what)s staat nu iets anders dan wat u invulde; wat er nu staat, leest u daar.")
            % {"what": _subjects(fields, merged.clashes, fields.values)}
        )
    dropped = {}  # a theme taken off in step 1 meanwhile: what was typed there, in words
    for name, value in merged.dropped.items():
        subject, words = fields.describe(name, value)
        dropped.setdefault(str(subject), []).append(str(words))
    for subject, words in dropped.items():
        parts.append(
            _(
                "%(what)s is intussen niet meer gekozen (stap 1), dus niet opgeslagen. Wat u "
                "daar invulde: “%(typed)s”."
            )
            % {"what": subject, "typed": "”, “".join(words)}
        )
    if merged.kept:
        parts.append(
            _(
                "Wat u invulde bij %(what)s, staat nog in het formulier; controleer het en "
                "sla opnieuw op."
            )
            % {"what": _subjects(fields, merged.kept, merged.values)}
        )
    data = request.POST.copy()
    data["version"] = str(session.version)
    for name, value in merged.values.items():
        if isinstance(value, (list, tuple)):
            data.setlist(name, list(value))
        else:
            data[name] = value
    again = make_form(data)
    again.is_valid()
    for name in merged.clashes:
        theirs = fields.describe(name, fields.values[name])[1]
        again.add_error(
            name,
            _(
                "Intussen opgeslagen, in een ander venster of door een collega: “%(theirs)s”. "
                "Hieronder staat wat u invulde."
            )
            % {"theirs": theirs}
            if theirs
            else _(
                "Intussen leeggemaakt, in een ander venster of door een collega. Hieronder "
                "staat wat u invulde."
            ),
        )
    again.add_error(None, " ".join(filter(None, parts)))
    return again, _loaded_token(session, step, fields)


# --- The case panel and the session list -------------------------------------------------


def case_panel(request, case, access):
    """Sessions on the case page: the latest few and the change per theme."""
    can_start = services.write_allowed(access, Category.LEIDRAAD)
    if not access.readable_holders(Category.LEIDRAAD) and not can_start:
        return None
    # Not asked on a case that never had a session (see conversation_views.case_panel).
    sessions = list(leidraad.sessions_for(access, case)) if case.has_leidraad_sessions else []
    if not sessions and not can_start:
        return None
    open_session = next((s for s in sessions if s.status == LeidraadStatus.BEZIG), None)
    return {
        "template": "cases/leidraad/_panel.html",
        "log": consent.case_read_entries(
            request,
            access,
            {(s.organisation_id, Category.LEIDRAAD) for s in sessions},
            object_type=OBJECT_TYPE,
        ),
        "sessions": sessions[:PANEL_SESSIONS],
        "more": len(sessions) > PANEL_SESSIONS,
        "trend": leidraad.trend(sessions),
        "can_start": can_start and case.is_open,
        "open_session": open_session
        if open_session and open_session.organisation_id == access.organisation_id and case.is_open
        else None,
    }


@login_required
def session_list(request, pk):
    case, access = get_case(request, pk)
    sessions = list(leidraad.sessions_for(access, case))
    if sessions:
        consent.log_case_reads(
            request,
            access,
            {(s.organisation_id, Category.LEIDRAAD) for s in sessions},
            object_type=OBJECT_TYPE,
        )
    can_start = services.write_allowed(access, Category.LEIDRAAD)
    return case_page(
        request,
        access,
        "cases/leidraad/session_list.html",
        {
            "sessions": sessions,
            "rows": [
                {
                    "session": session,
                    "discussed": [
                        item for item in leidraad.themes_of(session) if item["discussed"]
                    ],
                }
                for session in sessions
            ],
            "trend": leidraad.trend(sessions),
            "can_start": can_start and case.is_open,
        },
    )


@require_POST
@login_required
def session_start(request, pk):
    case, access = get_case(request, pk)
    _refuse_write(request, access, Category.LEIDRAAD, case)
    try:
        with transaction.atomic():
            session, created = leidraad.start(access)
            if created:
                _log_write(request, access, session, Action.CREATE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:detail", case.pk)
    if created:
        messages.success(request, _("Gesprek gestart. Kies samen met de cliënt de thema's."))
        return redirect(_step_url(case, session, LeidraadStep.VOORBEREIDING))
    messages.info(
        request,
        _("Er loopt al een gesprek van uw organisatie in deze casus. U gaat daarmee verder."),
    )
    return redirect("cases:leidraad_detail", case.pk, session.pk)


# --- One session -------------------------------------------------------------------------


@login_required
def session_detail(request, pk, sid):
    """The session as recorded, for every reader; a finished one with its corrections."""
    case, access = get_case(request, pk)
    session = _session_or_404(request, case, access, sid)
    agreements = leidraad.readable_agreements(access, session)
    _log_read(request, access, session, agreements)
    referrals, all_referrals = leidraad.referrals_for(access, session)
    can_write = (
        services.write_allowed(access, Category.LEIDRAAD)
        and session.organisation_id == access.organisation_id
        and case.is_open
    )
    return case_page(
        request,
        access,
        "cases/leidraad/session_detail.html",
        {
            "session": session,
            "themes": leidraad.themes_of(session),
            "agreements": agreements,
            "referrals": referrals,
            "all_referrals": all_referrals,
            "corrections": list(session.corrections.all()),
            "can_write": can_write,
            "resume_step": _resume_step(session),
        },
    )


def _resume_step(session):
    notes = list(session.theme_notes.all())
    if not notes:
        return LeidraadStep.VOORBEREIDING
    if not any(n.judgement for n in notes):
        return LeidraadStep.IN_GESPREK
    return LeidraadStep.VOLGENDE_STAPPEN


@login_required
def session_step(request, pk, sid, step):
    case, access = get_case(request, pk)
    session = _writable_session(request, case, access, sid)
    if step not in LeidraadStep.values:
        raise Http404
    if session.is_finished:
        messages.error(request, leidraad.FINISHED_MESSAGE)
        return redirect("cases:leidraad_detail", case.pk, session.pk)
    if not case.is_open:  # its forms would only be refused on saving: read-only instead
        messages.error(request, services.CASE_CLOSED_MESSAGE)
        return redirect("cases:leidraad_detail", case.pk, session.pk)
    handler = {
        LeidraadStep.VOORBEREIDING: _step_selection,
        LeidraadStep.IN_GESPREK: _step_notes,
        LeidraadStep.VOLGENDE_STAPPEN: _step_next,
    }[step]
    return handler(request, case, access, session)


def _render_step(request, access, session, step, context):
    return case_page(
        request,
        access,
        f"cases/leidraad/step_{step}.html",
        {
            "session": session,
            "step": step,
            "steps": [
                {"number": number, "label": label, "content": content}
                for (number, label), content in zip(
                    LeidraadStep.choices, session.guide.steps, strict=True
                )
            ],
            "step_content": session.guide.steps[step - 1],
            **context,
        },
    )


def _after_save(request, case, session, step):
    """Where a saved form step goes: where its button said ('naar': the case, or step 1),
    else to ``step``. The form steps have no links away: they would lose what was typed."""
    to = request.POST.get("naar")
    if to == "casus":
        return redirect("cases:detail", case.pk)
    if to == "1":
        step = LeidraadStep.VOORBEREIDING
    return redirect(_step_url(case, session, step))


def _step_selection(request, case, access, session):
    initial = {
        "version": session.version,
        "themes": [n.theme for n in session.theme_notes.all()],
        "client_questions": session.client_questions,
    }
    form = SelectionForm(request.POST or None, session=session, initial=initial)
    loaded = _loaded_for(request, session, LeidraadStep.VOORBEREIDING, _selection_fields)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                leidraad.save_selection(
                    session,
                    form,
                    request.user,
                    form.cleaned_data["themes"],
                    form.cleaned_data["client_questions"],
                )
                _log_write(request, access, session)
        except services.ConflictError:
            form, loaded = _typed_again(
                request,
                session,
                LeidraadStep.VOORBEREIDING,
                form,
                lambda data: SelectionForm(data, session=session),
                _selection_fields,
            )
            if form is None:
                messages.info(request, loaded)
                return _after_save(request, case, session, LeidraadStep.IN_GESPREK)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thema's en vragen opgeslagen."))
            return _after_save(request, case, session, LeidraadStep.IN_GESPREK)
    _log_read(request, access, session)
    themes = [
        {"theme": theme, "checkbox": next(c for c in form["themes"] if c.data["value"] == key)}
        for theme, key in ((t, t["key"]) for t in session.guide.themes)
    ]
    return _render_step(
        request,
        access,
        session,
        LeidraadStep.VOORBEREIDING,
        {"form": form, "themes": themes, "in_form": True, "loaded": loaded},
    )


def _step_notes(request, case, access, session):
    themes = leidraad.themes_of(session)
    if not themes:
        messages.info(request, _("Kies eerst de thema's in stap 1."))
        return redirect(_step_url(case, session, LeidraadStep.VOORBEREIDING))
    form = NotesForm(request.POST or None, themes=themes, initial={"version": session.version})
    loaded = _loaded_for(request, session, LeidraadStep.IN_GESPREK, _notes_fields)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                leidraad.save_notes(session, form, request.user, form.values())
                _log_write(request, access, session)
        except services.ConflictError:
            form, loaded = _typed_again(
                request,
                session,
                LeidraadStep.IN_GESPREK,
                form,
                # The themes as stored now: one chosen meanwhile is in the form again.
                lambda data: NotesForm(data, themes=leidraad.themes_of(session)),
                _notes_fields,
            )
            if form is None:
                messages.info(request, loaded)
                return _after_notes(request, case, session)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Aantekeningen opgeslagen."))
            return _after_notes(request, case, session)
    _log_read(request, access, session)
    return _render_step(
        request,
        access,
        session,
        LeidraadStep.IN_GESPREK,
        {"form": form, "in_form": True, "loaded": loaded},
    )


def _after_notes(request, case, session):
    if "verder" in request.POST:
        return redirect(_step_url(case, session, LeidraadStep.VOLGENDE_STAPPEN))
    return _after_save(request, case, session, LeidraadStep.IN_GESPREK)


def _step_next(request, case, access, session):
    action = request.POST.get("action") if request.method == "POST" else None
    agreement_form = AgreementRowsForm(request.POST if action == "afspraken" else None)
    posted_kind = request.POST.get("kind") if action == "verwijzen" else None
    referral_forms = {
        kind: ReferralForm(
            request.POST if kind == posted_kind else None,
            kind=kind,
            initial={"reason": ""},
        )
        for kind in ReferralKind.values
    }
    if action == "afspraken":
        _refuse_write(request, access, Category.AFSPRAKEN, case)
        if agreement_form.is_valid():
            try:
                with transaction.atomic():
                    created = leidraad.add_agreements(access, session, agreement_form.agreements)
                    _log_write(request, access, session, None, agreements=created)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("cases:leidraad_detail", case.pk, session.pk)
            messages.success(
                request,
                ngettext(
                    "%(n)s afspraak toegevoegd aan de casus.",
                    "%(n)s afspraken toegevoegd aan de casus.",
                    len(created),
                )
                % {"n": len(created)},
            )
            return redirect(_step_url(case, session, LeidraadStep.VOLGENDE_STAPPEN))
    elif action == "verwijzen":
        form = referral_forms.get(posted_kind)
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    referral = leidraad.refer(
                        access,
                        session,
                        posted_kind,
                        reason=data.get("reason", ""),
                        organisation=data.get("organisation"),
                        destination=data.get("destination", ""),
                    )
                    _log_write(request, access, session, referral=referral)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Vastgelegd: %(what)s.") % {"what": referral.label})
                return redirect(_step_url(case, session, LeidraadStep.VOLGENDE_STAPPEN))
    elif action == "afronden":
        finish_form = VersionForm(request.POST)
        if finish_form.is_valid():
            try:
                with transaction.atomic():
                    work_discussed = leidraad.finish(session, finish_form, request.user)
                    _log_write(request, access, session, work_discussed=work_discussed)
            except services.ConflictError:
                messages.error(
                    request,
                    " ".join(
                        [
                            services.changed_meanwhile(
                                _("dit gesprek"), refused=_("Niet afgerond:")
                            ),
                            _("Bekijk de nieuwe stand en rond opnieuw af."),
                        ]
                    ),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _(
                        "Het gesprek is afgerond. "
                        "U kunt de samenvatting nu afdrukken voor de cliënt."
                    ),
                )
                return redirect("cases:leidraad_detail", case.pk, session.pk)
        else:  # the version missing or garbled (a stale cached page): said, not dropped
            for message in finish_form.non_field_errors():
                messages.error(request, message)
        return redirect(_step_url(case, session, LeidraadStep.VOLGENDE_STAPPEN))
    elif action is not None:
        raise Http404
    agreements = leidraad.readable_agreements(access, session)
    ips_open, ips_shown = leidraad.describe_open_ips(access, leidraad.open_ips_for(case))
    _log_read(request, access, session, agreements, also=ips_shown)
    # Step 3 is for the session's organisation, which sees every referral it recorded.
    referrals, _all = leidraad.referrals_for(access, session)
    return _render_step(
        request,
        access,
        session,
        LeidraadStep.VOLGENDE_STAPPEN,
        {
            "agreement_form": agreement_form,
            "referral_forms": referral_forms,
            "agreements": agreements,
            "referrals": referrals,
            "ips_open": ips_open,
            "themes": leidraad.themes_of(session),
            "finish_form": VersionForm(initial={"version": session.version}),
            "can_write_agreements": services.write_allowed(access, Category.AFSPRAKEN),
        },
    )


@login_required
def session_correction(request, pk, sid):
    case, access = get_case(request, pk)
    session = _writable_session(request, case, access, sid)
    if refused := _refuse_closed(request, case):
        return refused
    if not session.is_finished:
        return redirect(_step_url(case, session, _resume_step(session)))
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                correction = leidraad.add_correction(access, session, form.cleaned_data["body"])
                consent.log_changes(
                    request,
                    case,
                    [("leidraadcorrectie", correction.pk, Category.LEIDRAAD, Action.CREATE)],
                )
        except ValidationError as exc:  # the case was closed meanwhile
            messages.error(request, " ".join(exc.messages))
            return redirect("cases:leidraad_detail", case.pk, session.pk)
        messages.success(request, _("Correctie toegevoegd. Het gesprek zelf is niet gewijzigd."))
        return redirect("cases:leidraad_detail", case.pk, session.pk)
    _log_read(request, access, session)
    return case_page(
        request,
        access,
        "cases/leidraad/correction_form.html",
        {"session": session, "form": form},
    )


@login_required
def session_summary(request, pk, sid):
    """'Samenvatting van ons gesprek over werk': for the client, in plain words."""
    case, access = get_case(request, pk)
    session = _session_or_404(request, case, access, sid)
    if not session.is_finished:
        messages.info(request, _("De samenvatting is er zodra het gesprek is afgerond."))
        return redirect("cases:leidraad_detail", case.pk, session.pk)
    agreements = leidraad.readable_agreements(access, session)
    _log_read(request, access, session, agreements)
    client_visible = access.can_read(Category.IDENTIFICATIE, case.client.organisation_id)
    if client_visible:
        consent.log_case_reads(
            request,
            access,
            {(case.client.organisation_id, Category.IDENTIFICATIE)},
            object_type=OBJECT_TYPE,
            object_id=session.pk,
        )
    return render(
        request,
        "cases/leidraad/summary.html",
        {
            "case": case,
            **client_summary(access, session, agreements, client_visible),
            "can_export": access.decide(
                Category.LEIDRAAD, session.organisation_id, Action.EXPORT
            ).allowed,
        },
    )


@repeatable
@require_POST
@login_required
def summary_report(request, pk, sid):
    """The client's summary as a PDF, made by a worker; back to the report's page, which
    shows its progress and the download. Every request makes a new report of the session as
    it is now (with the corrections added since): repeatable, like cases:progress_report."""
    case, access = get_case(request, pk)
    session = _session_or_404(request, case, access, sid)
    if not session.is_finished:
        messages.info(request, _("De samenvatting is er zodra het gesprek is afgerond."))
        return redirect("cases:leidraad_detail", case.pk, session.pk)
    if not access.decide(Category.LEIDRAAD, session.organisation_id, Action.EXPORT).allowed:
        consent.log_denied(
            request,
            request.user,
            object_type=OBJECT_TYPE,
            object_id=session.pk,
            client=case.client_id,
            case=case,
            category=Category.LEIDRAAD,
            action=Action.EXPORT,
        )
        raise Http404
    return requested(
        request,
        ReportType.LEIDRAAD,
        _("Samenvatting van ons gesprek over werk (%(date)s)")
        % {"date": date_format(timezone.localtime(session.started_at), "j F Y")},
        case=case,
        client=case.client,
        params={"session": session.pk},
    )


@login_required
def preparation_sheet(request, pk=None, sid=None):
    """The client's preparation sheet: every theme with its questions. From a session, the
    themes already chosen are marked and the client's own questions are printed."""
    session = None
    if pk is not None:
        case, access = get_case(request, pk)
        session = _session_or_404(request, case, access, sid)
        _log_read(request, access, session)
        guide = session.guide
        chosen = {n.theme for n in session.theme_notes.all()}
    else:
        case, guide, chosen = None, leidraad.current_version(), set()
    return render(
        request,
        "cases/leidraad/preparation.html",
        {
            "case": case,
            "session": session,
            "guide": guide,
            "themes": [{**theme, "chosen": theme["key"] in chosen} for theme in guide.themes],
        },
    )


# --- Beheer: publishing content versions ---------------------------------------------------


@login_required
def beheer(request):
    if not leidraad.may_publish(request.user):
        raise Http404
    form = PublishForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "publiceren":
            try:
                version = leidraad.publish(form.content, request.user, form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Versie %(n)s is gepubliceerd. Nieuwe gesprekken gebruiken deze versie; "
                        "eerdere gesprekken houden hun eigen versie."
                    )
                    % {"n": version.number},
                )
                return redirect("cases:leidraad_beheer")
        else:
            preview = form.content
            form = PublishForm(
                initial={"text": form.cleaned_data["text"], "note": form.cleaned_data["note"]}
            )
    versions = LeidraadVersion.objects.select_related("published_by").annotate(
        session_count=Count("sessions")
    )
    return render(
        request,
        "cases/leidraad/beheer.html",
        {"form": form, "preview": preview, "versions": versions},
    )


@login_required
def beheer_download(request, number):
    if not leidraad.may_publish(request.user):
        raise Http404
    version = LeidraadVersion.objects.filter(number=number).first()
    if version is None:
        raise Http404
    response = JsonResponse(version.content, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="leidraad_v{version.number}.json"'
    return response
