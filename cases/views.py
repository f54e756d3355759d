from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Prefetch, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from consent import services as consent
from consent.constants import Action, Basis, Category
from consent.models import Consent
from consent.policy import CASE_ROLES_BY_ROLE
from portal.constants import OrganisationType, Role
from portal.forms import NOT_SAVED_RELOAD
from portal.middleware import repeatable
from portal.models import ReportType
from portal.reports import requested
from portal.views import RoleDenied, query_id, query_without, role_required
from portal.words import in_words

from . import leidraad_services, services
from .constants import (
    CaseStatus,
    GoalStatus,
    InvitationStatus,
    LeidraadStatus,
    MeetingStatus,
    TimelineKind,
)
from .forms import (
    AgreementDoneForm,
    AgreementForm,
    ClientForm,
    DriegesprekPlanForm,
    DriegesprekRecordForm,
    GoalForm,
    GoalStatusForm,
    InviteForm,
    LeadForm,
    LeaveForm,
    NoteForm,
    ReferralForm,
    RespondForm,
    WorkDiscussedForm,
    WorklistFilterForm,
    WorkSituationForm,
    not_started_message,
)
from .models import (
    Agreement,
    Case,
    Client,
    Invitation,
    LeidraadSession,
    TimelineEntry,
    WorkSituation,
)
from .panels import case_panels

PAGE_SIZE = 25
TIMELINE_ON_CASE_PAGE = 15


def get_case(request, pk):
    """The one door to a case: returns (case, access) for a team member; anyone else gets
    a 404 (not whether the case exists) and a denied entry in the access log."""
    try:
        case = Case.objects.select_related("client__organisation", "organisation").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404 from None
    access = consent.case_access(request.user, case)
    if not access.is_member:
        not_found(request, case, "casus", case.pk, "", Action.READ)
    return case, access


# Who sees a driegesprek in Werkpad: it is the planning organisation's afspraken. Said on the
# plan form and the case page, as the other participants do not see it without consent.
MEETING_SEEN_BY = gettext_lazy(
    "Een driegesprek hoort bij de gegevens van de organisatie die het plant. De andere "
    "deelnemers zien het in Werkpad alleen als de cliënt die organisatie toestemming gaf om "
    "afspraken en doelen met hen te delen; nodig hen dus ook zelf uit."
)


def _log_change(
    request, case, object_type, object_id, category, action=Action.CREATE, agreements=()
):
    """One access-log entry for a change to client data (NEN 7513: every create and update),
    on the basis the user writes with: their own organisation holds what they record; and
    one for each afspraak the change created (``agreements``), a record of its own."""
    consent.log_changes(request, case, [(object_type, object_id, category, action)], agreements)


def _add_to_case(request, case, record, object_type, category, kind, title):
    """Store a new ``record`` of the user's organisation on ``case`` with its timeline entry
    and its access-log entry: all three, or none (a fault in between would leave a half record
    that a retry adds again, or a change missing from the log)."""
    record.case, record.organisation = case, request.user.organisation
    with transaction.atomic():
        record.save()
        services.add_timeline(case, request.user, kind, category, title)
        _log_change(request, case, object_type, record.pk, category)
    return record


def log_refusal(request, case, object_type, object_id, category, action=Action.UPDATE):
    """A refused attempt on ``case`` (or an object of it), in the access log."""
    consent.log_denied(
        request,
        request.user,
        object_type=object_type,
        object_id=object_id,
        client=case.client_id,
        case=case,
        category=category,
        action=action,
    )


def not_found(request, case, object_type, object_id, category, action=Action.UPDATE):
    """An object of the case this user may not reach (or that is not on this case): logged
    as a denied attempt, then 404 like any outsider gets."""
    log_refusal(request, case, object_type, object_id, category, action)
    raise Http404


def _updatable(request, access, records, pk, object_type, category):
    """The record ``pk`` among ``records`` (the case's) that this user may change: one held
    by their own organisation, in a category their role updates. One they may only read (
    another organisation's, shared by consent) or not see at all: logged as denied, 404."""
    record = records.filter(pk=pk).first()
    if record is None or not access.can_update(category, record.organisation_id):
        not_found(request, access.case, object_type, pk, category)
    return record


def _report_conflict(request, conflict, subject):
    """A save that lost the race. When the stored record already holds what this user
    wanted (a double click, or a colleague made the same change), nothing is lost and
    the message says so; otherwise it names what the other change holds now."""
    if not conflict.changes:
        messages.info(
            request,
            _("%(subject)s stond intussen al zo opgeslagen; er is niets anders gewijzigd.")
            % {"subject": capfirst(subject)},
        )
        return
    messages.error(
        request,
        " ".join(
            [
                services.changed_meanwhile(subject),
                services.stored_now(conflict.changes),
                _("Bekijk de nieuwe stand en probeer het opnieuw."),
            ]
        ),
    )


def case_page(request, access, template, context, shown=()):
    """Render a page about one case other than the case page itself. Its banner names the
    client when this user may read the identification (logged as a read, on its basis),
    so that nobody reads or writes in a file without seeing whose it is; otherwise it gives
    the case number only. ``shown``: the (holder, category) of other client data the page
    shows, logged with the banner's read in one write."""
    case = access.case
    holder = case.client.organisation_id
    shown = set(shown)
    name = None
    if access.can_read(Category.IDENTIFICATIE, holder):
        shown.add((holder, Category.IDENTIFICATIE))
        name = case.client.full_name
    consent.log_case_reads(request, access, shown)
    return render(
        request,
        template,
        {"case": case, **context, "case_banner": {"name": name, "number": case.pk}},
    )


def case_form_page(request, access, form, title, submit=None, intro="", shown=(), can_submit=True):
    """A form about one case on a page of its own: after a refused submission the page shows
    the form again with the typed values and the errors next to their fields. ``shown``:
    the client data the form shows (see case_page). ``can_submit`` False: a form that can no
    longer be saved, shown only to keep what was typed (no button)."""
    return case_page(
        request,
        access,
        "cases/case_form.html",
        {
            "form": form,
            "title": title,
            "submit": submit,
            "intro": intro,
            "can_submit": can_submit,
        },
        shown=shown,
    )


def _refuse_write(request, access, category, case):
    """A write the role table does not allow: logged as denied, then 404 like any outsider."""
    if not services.write_allowed(access, category):
        not_found(request, case, "casus", case.pk, category, Action.CREATE)


def _refuse_closed(request, case):
    """A closed case takes no new entries and no changes (services.ensure_open, the rule
    the gespreksleidraad and the conversation logs follow): back to the case page with the
    reason. Returns that redirect, or None on an open case."""
    try:
        services.ensure_open(case)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:detail", case.pk)
    return None


# --- Werkvoorraad ---------------------------------------------------------------------------


@login_required
def worklist(request):
    user = request.user
    if not user.role:
        return render(request, "portal/home.html")
    if user.role == Role.BEHEERDER:
        return _beheer_start(request)
    context = _worklist_context(request, request.GET)
    context["query_string"] = query_without(request, "pagina")
    return render(request, "cases/worklist.html", context)


def _worklist_context(request, query, answer=None):
    """The werkvoorraad page's context: the user's cases, filtered and paged by ``query``
    (the start page's query string), and their open invitations, each with its form to
    answer it. ``answer``: a bound RespondForm that did not validate (see ``respond``),
    shown again in its own invitation's card with what was typed and its errors."""
    user = request.user
    form = WorklistFilterForm(query or None, role=user.role)
    cases = consent.cases_for(user).select_related("client__organisation")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            cases = cases.filter(status=data["status"])
        if data.get("role"):
            cases = cases.filter(members__user=user, members__permission__codename=data["role"])
        if data["q"]:
            cases = consent.name_search(user, cases, data["q"])
    cases = (
        consent.with_last_seen_activity(user, cases)
        .prefetch_related(
            Prefetch(
                "agreements",
                queryset=Agreement.objects.filter(done=False).order_by("due_date"),
                to_attr="open_agreements",
            )
        )
        # Nothing to read (None): last, not first as PostgreSQL would put it.
        .order_by(F("last_seen_at").desc(nulls_last=True), "-pk")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(query.get("pagina"))
    rows = _worklist_rows(request, user, list(page.object_list))
    invitations = list(services.open_invitations_for(user))
    for invitation in invitations:
        if answer is not None and answer.invitation_pk == invitation.pk:
            invitation.answer_form = answer
        else:
            invitation.answer_form = RespondForm(invitation=invitation)
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "invitations": invitations,
        "can_register": user.role in (Role.BEHANDELAAR, Role.KLANTMANAGER),
        "answer_refused": answer is not None,
    }


def _beheer_start(request):
    """A beheerder is on no case team, so has no werkvoorraad: their start page is their
    tasks, with what waits for them. Counts only, no client data (nothing to log)."""
    organisation = request.user.organisation
    return render(
        request,
        "portal/beheer_home.html",
        {
            "without_lead": services.cases_without_lead(organisation).count(),
            "consents": consent.own_state_counts(organisation.pk),
            "warn_days": settings.WERKPAD_CONSENT_WARN_DAYS,
            "manages_ips_teams": organisation.type == OrganisationType.GGZ,
            "publishes_leidraad": leidraad_services.may_publish(request.user),
        },
    )


def _worklist_rows(request, user, cases):
    """The werkvoorraad's rows, and one access-log entry per kind of client data each row
    shows: the client's name, the next afspraak, the 'werk niet besproken' flag (the case
    organisation's afspraken) and, through its time, the newest timeline entry the user
    may read. (The 'toestemming verloopt' flag comes from the consent records, which the
    log does not cover: they are not a category of client data.)"""
    accesses = consent.accesses_for(user, cases)
    expiring = _expiring_consent_case_ids(user, cases)
    newest = _newest_seen(user, cases, accesses)
    rows, entries = [], []
    for case in cases:
        access = accesses[case.pk]
        shown = set(newest.get(case.pk, ()))
        name_visible = access.can_read(Category.IDENTIFICATIE, case.client.organisation_id)
        if name_visible:
            shown.add((case.client.organisation_id, Category.IDENTIFICATIE))
        # A closed case takes no more work: an afspraak left open on it is not 'next'.
        next_action = next(
            (
                a
                for a in case.open_agreements
                if case.is_open and access.can_read(Category.AFSPRAKEN, a.organisation_id)
            ),
            None,
        )
        if next_action is not None:
            shown.add((next_action.organisation_id, Category.AFSPRAKEN))
        flags = []
        # Only for who can record it, as the case page's prompt: for anyone else the flag
        # would stay for good (on a case a gemeente opened, nobody can clear it).
        if (
            services.records_work_discussed(access)
            and case.work_needs_attention()
            and access.can_read(Category.AFSPRAKEN, case.organisation_id)
        ):
            flags.append(
                _("Werk nog niet besproken")
                if case.work_discussed_on is None
                else _("Werk lang niet besproken")
            )
            shown.add((case.organisation_id, Category.AFSPRAKEN))
        if case.pk in expiring:
            flags.append(
                _("Toestemming verloopt binnen %(days)s dagen")
                % {"days": settings.WERKPAD_CONSENT_WARN_DAYS}
            )
        rows.append(
            {
                "case": case,
                "name_visible": name_visible,
                "roles": access.case_role_labels,
                "next_action": next_action,
                "flags": flags,
            }
        )
        entries += consent.case_read_entries(
            request, access, shown, object_type="werkvoorraad", object_id=case.pk
        )
    consent.write_log(entries)
    return rows


def _newest_seen(user, cases, accesses):
    """Per case, the (holder, category) of the newest timeline entry the user may read: the
    entry whose time the werkvoorraad shows as 'laatste activiteit' (``last_seen_at``, from
    consent.with_last_seen_activity). One query for the whole page, on
    timeline_case_time_idx; entries made at the very same moment all count."""
    if not cases:
        return {}
    at = Q()
    for case in cases:
        at |= Q(case_id=case.pk, occurred_at=case.last_seen_at)
    newest = {}
    seen = TimelineEntry.objects.filter(at & consent.listed_news(user.organisation_id))
    for case_id, holder, category in seen.values_list("case_id", "organisation_id", "category"):
        if accesses[case_id].can_read(category, holder):
            newest.setdefault(case_id, set()).add((holder, category))
    return newest


def _expiring_consent_case_ids(user, cases):
    from datetime import timedelta

    from django.conf import settings

    if not cases:
        return set()
    today = timezone.localdate()
    soon = today + timedelta(days=settings.WERKPAD_CONSENT_WARN_DAYS)
    expiring = (
        Consent.objects.active(today)
        .without_follow_on()
        .filter(client__in={c.client_id for c in cases}, valid_until__lte=soon)
        .filter(Q(provider=user.organisation) | Q(recipient=user.organisation))
        # What Consent.shares_nothing reads, in the same query.
        .select_related("recipient", "withdrawal", "superseded_by")
    )
    # A consent that shares nothing (no one at the recipient reads under its purpose)
    # ends no sharing when it expires: nothing to warn about.
    client_ids = {c.client_id for c in expiring if not c.shares_nothing(today)}
    return {c.pk for c in cases if c.client_id in client_ids}


# --- Clients and cases ---------------------------------------------------------------------


@login_required
def client_create(request):
    user = request.user
    if user.role not in (Role.BEHANDELAAR, Role.KLANTMANAGER):
        raise Http404
    form = ClientForm(request.POST or None, organisation=user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                client = services.register_client(user, **form.cleaned_data)
                case = services.open_case(user, client)
                _log_change(request, case, "cliënt", client.pk, Category.IDENTIFICATIE)
        except services.DuplicateClient as duplicate:  # a colleague registered it just now
            form.duplicate = duplicate.client
            form.add_error(None, duplicate)  # at 'bsn', as the form's own check puts it
        else:
            messages.success(
                request, _("%(name)s is geregistreerd en de casus is geopend.") % {"name": client}
            )
            return redirect("cases:detail", case.pk)
    return render(request, "cases/client_form.html", {"form": form, **_duplicate(request, form)})


def _duplicate(request, form):
    """What the registration form says about a client of the organisation with the BSN
    just typed. That such a client exists is a read of identification, logged. The name
    only to those it is no news to: a member of the team of the client's open case, or
    someone who typed that very name and birth date. Others learn no name: only that the
    organisation has this BSN (and, to say why they cannot go on, whether a case of it is
    open), and whom to ask."""
    duplicate = form.duplicate
    if duplicate is None:
        return {}
    user = request.user
    own_case = consent.cases_for(user).filter(client=duplicate, status=CaseStatus.OPEN).first()
    typed = [form.cleaned_data.get(f, "").strip().casefold() for f in ("first_name", "last_name")]
    if own_case is not None:
        situation = "own_case"
    elif duplicate.cases.filter(status=CaseStatus.OPEN).exists():
        situation = "other_case"
    elif typed == [duplicate.first_name.casefold(), duplicate.last_name.casefold()] and (
        form.cleaned_data.get("date_of_birth") == duplicate.date_of_birth
    ):
        situation = "no_case"
    else:  # another name or birth date: a typing error, or someone else's BSN
        situation = "other_details"
    consent.log(
        request,
        user,
        decision=consent.Decision(True, Basis.EIGEN_ORGANISATIE),
        action=Action.READ,
        object_type="cliënt",
        object_id=duplicate.pk,
        category=Category.IDENTIFICATIE,
        client=duplicate,
        case=own_case,
    )
    return {"duplicate": duplicate, "duplicate_case": own_case, "situation": situation}


@require_POST
@login_required
def case_open(request, client_pk):
    """Open a new case for an existing client of the user's own organisation, from the
    registration form that found the client by the BSN typed: the BSN comes along. Opening
    makes the user regiebehandelaar, who reads the client's identification; without the
    BSN, an id in the URL would be enough to read any client of the organisation."""
    user = request.user
    client = Client.objects.filter(pk=client_pk).first()
    if client is None:
        raise Http404
    if client.organisation_id == user.organisation_id and request.POST.get("bsn") != client.bsn:
        # Nothing read and nothing learnt: the same answer for any id of the organisation.
        messages.error(
            request,
            _(
                "Open een nieuwe casus via ‘Cliënt registreren’, met het BSN van de cliënt: "
                "dan ziet Werkpad of de cliënt al bekend is."
            ),
        )
        return redirect("cases:client_create")
    if client.organisation_id != user.organisation_id:
        consent.log_denied(
            request,
            user,
            object_type="cliënt",
            object_id=client.pk,
            client=client,
            category=Category.IDENTIFICATIE,
            action=Action.CREATE,
        )
        raise Http404
    try:
        with transaction.atomic():
            case = services.open_case(user, client)
            _log_change(request, case, "casus", case.pk, Category.IDENTIFICATIE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:home")
    messages.success(request, _("Nieuwe casus geopend."))
    return redirect("cases:detail", case.pk)


@login_required
def case_detail(request, pk):
    case, access = get_case(request, pk)
    holder = case.client.organisation_id
    shown = set()

    def visible(category, holder_id):
        if access.can_read(category, holder_id):
            shown.add((holder_id, category))
            return True
        return False

    client_visible = visible(Category.IDENTIFICATIE, holder)
    work_rows = list(
        WorkSituation.objects.filter(case=case).filter(
            access.readable_filter(Category.WERKSITUATIE)
        )[:1]
    )
    for w in work_rows:
        shown.add((w.organisation_id, Category.WERKSITUATIE))
    goals = list(
        case.goals.readable(
            access.readable_filter(Category.AFSPRAKEN), access.readable_filter(Category.MEDISCH)
        )
    )
    agreements = list(case.agreements.filter(access.readable_filter(Category.AFSPRAKEN)))
    meetings = (
        list(case.meetings.filter(access.readable_filter(Category.AFSPRAKEN)))
        if case.has_meetings  # most cases have none: not asked (Case.has_conversations)
        else []
    )
    for goal in goals:
        shown.add((goal.organisation_id, goal.data_category))
    for item in goals + agreements + meetings:
        shown.add((item.organisation_id, Category.AFSPRAKEN))
        # Its form (status, done, report) only for those who may change it: another
        # organisation's record, shared by consent, is read-only.
        item.updatable = case.is_open and access.can_update(
            Category.AFSPRAKEN, item.organisation_id
        )
    timeline = list(
        TimelineEntry.objects.filter(case=case)
        .filter(access.timeline_filter())
        .select_related("author", "organisation")[:TIMELINE_ON_CASE_PAGE]
    )
    for item in timeline:
        shown.add((item.organisation_id, item.category))
    # Whether (and when) work was discussed as a treatment topic is the case organisation's
    # afspraken & doelen: shown, and prompted, only when the policy lets this user read it.
    work_status_visible = visible(Category.AFSPRAKEN, case.organisation_id)
    # Recording it changes that data: for behandelaars of that organisation only.
    work_prompt = services.records_work_discussed(access) and case.work_needs_attention()
    panels = case_panels(request, case, access)
    consent.write_log(
        consent.case_read_entries(request, access, shown)
        + [item for panel in panels for item in panel.pop("log")]
    )
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "access": access,
            "client_visible": client_visible,
            "show_full_bsn": client_visible
            and holder == access.organisation_id
            and access.user.role in (Role.BEHANDELAAR, Role.TRAJECTBEGELEIDER, Role.KLANTMANAGER),
            "work": work_rows[0] if work_rows else None,
            "goals": goals,
            "agreements": agreements,
            "timeline": timeline,
            "team": access.visible_team,
            "removable": {
                m.pk
                for m, _role in access.visible_team
                if m != access.user and not services.removal_refused(access, m)
            },
            "team_complete": access.sees_whole_team,
            # When the case was opened is the case organisation's to know (as in the
            # werkvoorraad: consent.with_last_seen_activity); for a GGZ case it says when
            # treatment began.
            "opened_visible": case.organisation_id == access.organisation_id,
            "work_prompt": work_prompt,
            "work_status_visible": work_status_visible,
            "can_lead": services.can_lead(access),
            "can_refer": services.can_refer(access),
            "can_write": {c.value: services.write_allowed(access, c) for c in Category},
            "meetings": meetings,
            "panels": panels,
            "goal_statuses": GoalStatus.choices,
            "meeting_seen_by": MEETING_SEEN_BY,
        },
    )


@login_required
def timeline(request, pk):
    case, access = get_case(request, pk)
    entries = (
        TimelineEntry.objects.filter(case=case)
        .filter(access.timeline_filter())
        .select_related("author", "organisation")
    )
    page = Paginator(entries, 50).get_page(request.GET.get("pagina"))
    consent.log_case_reads(
        request,
        access,
        {(e.organisation_id, e.category) for e in page.object_list},
        object_type="tijdlijn",
    )
    return case_page(request, access, "cases/timeline.html", {"access": access, "page": page})


@login_required
def work_situation(request, pk):
    case, access = get_case(request, pk)
    history = list(
        WorkSituation.objects.filter(case=case)
        .filter(access.readable_filter(Category.WERKSITUATIE))
        .select_related("recorded_by")
    )
    if request.method == "POST":
        _refuse_write(request, access, Category.WERKSITUATIE, case)
        if refused := _refuse_closed(request, case):
            return refused
    form = None
    if case.is_open and services.write_allowed(access, Category.WERKSITUATIE):
        initial = {}
        if history:
            latest = history[0]
            initial = {f: getattr(latest, f) for f in WorkSituationForm.Meta.fields}
        form = WorkSituationForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            situation = form.save(commit=False)
            situation.recorded_by = request.user
            _add_to_case(
                request,
                case,
                situation,
                "werksituatie",
                Category.WERKSITUATIE,
                TimelineKind.WERKSITUATIE,
                _("Werksituatie: %(kind)s") % {"kind": situation.get_kind_display()},
            )
            messages.success(request, _("Werksituatie vastgelegd."))
            return redirect("cases:detail", case.pk)
    consent.log_case_reads(
        request,
        access,
        {(w.organisation_id, Category.WERKSITUATIE) for w in history},
        object_type="werksituatie",
    )
    return case_page(
        request,
        access,
        "cases/work_situation.html",
        {
            "access": access,
            "history": history,
            "form": form,
        },
    )


@login_required
def work_discussed(request, pk):
    """A behandelaar of the organisation that opened the case records that work was
    discussed: the case's own afspraken & doelen (another organisation's behandelaar on the
    team neither reads nor changes them here). The form carries the case version it was
    opened on: a record from a form opened earlier is refused, as it would put back the
    'werk is een behandeldoel' that form showed."""
    case, access = get_case(request, pk)
    if not services.records_work_discussed(access):
        not_found(request, case, "casus", case.pk, Category.AFSPRAKEN)
    if refused := _refuse_closed(request, case):
        return refused
    form = WorkDiscussedForm(
        request.POST or None,
        initial={
            "version": case.version,
            "discussed_on": timezone.localdate(),
            "work_is_goal": case.work_is_goal,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        discussed_on = data["discussed_on"]
        title = _("Werk besproken")
        if discussed_on != timezone.localdate():
            title += " " + _("op %(date)s") % {"date": date_format(discussed_on, "j F Y")}
        if data["work_is_goal"]:
            title += " — " + _("werk is een behandeldoel")
        try:
            with transaction.atomic():
                # The case keeps the most recent date: a conversation recorded late
                # (backdated) goes on the timeline but does not move "werk laatst besproken"
                # back.
                updated = Case.objects.filter(pk=case.pk, version=data["version"]).update(
                    work_discussed_on=Greatest(
                        Coalesce("work_discussed_on", Value(discussed_on)), Value(discussed_on)
                    ),
                    work_is_goal=data["work_is_goal"],
                    version=F("version") + 1,
                )
                if not updated:
                    raise services.ConflictError([])
                services.add_timeline(
                    case,
                    request.user,
                    TimelineKind.WERK_BESPROKEN,
                    Category.AFSPRAKEN,
                    title,
                    body=data["note"],
                )
                _log_change(request, case, "casus", case.pk, Category.AFSPRAKEN, Action.UPDATE)
        except services.ConflictError:
            case.refresh_from_db(fields=["status", "version", "work_discussed_on", "work_is_goal"])
            if refused := _refuse_closed(request, case):
                return refused
            form = _work_discussed_again(form, case)
        else:
            messages.success(request, _("Vastgelegd dat werk is besproken."))
            if case.work_discussed_on and case.work_discussed_on > discussed_on:
                messages.info(
                    request,
                    _("Werk laatst besproken blijft %(date)s, de recentere datum.")
                    % {"date": date_format(case.work_discussed_on, "j F Y")},
                )
            return redirect("cases:detail", case.pk)
    # The form shows whether work is a treatment goal: the case's afspraken, read.
    return case_form_page(
        request,
        access,
        form,
        _("Werk besproken vastleggen"),
        submit=_("Vastleggen"),
        shown={(case.organisation_id, Category.AFSPRAKEN)},
    )


def _work_discussed_again(form, case):
    """The case changed since this user opened the form (work discussed recorded in another
    window, or by a colleague): the form again with what they typed, on the stored version
    (services.typed_again)."""
    fields = [Case._meta.get_field(name) for name in ("work_discussed_on", "work_is_goal")]
    return services.typed_again(
        WorkDiscussedForm,
        form,
        case.version,
        _("‘werk besproken’"),
        [(f.verbose_name, in_words(case, f)) for f in fields],
        _("de casus"),
    )


@login_required
def note_create(request, pk):
    case, access = get_case(request, pk)
    categories = [
        c for c in Category if c != Category.IDENTIFICATIE and services.write_allowed(access, c)
    ]
    if not categories:
        _refuse_write(request, access, Category.MEDISCH, case)
    if refused := _refuse_closed(request, case):
        return refused
    default = Category.MEDISCH if request.user.role == Role.BEHANDELAAR else Category.AFSPRAKEN
    form = NoteForm(request.POST or None, categories=categories, default=default)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            entry = services.add_timeline(
                case,
                request.user,
                TimelineKind.NOTITIE,
                data["category"],
                data["title"],
                body=data["body"],
            )
            _log_change(request, case, "notitie", entry.pk, data["category"])
        messages.success(request, _("Notitie toegevoegd."))
        return redirect("cases:detail", case.pk)
    return case_form_page(request, access, form, _("Notitie toevoegen"))


@login_required
def goal_create(request, pk):
    case, access = get_case(request, pk)
    _refuse_write(request, access, Category.AFSPRAKEN, case)
    if refused := _refuse_closed(request, case):
        return refused
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        goal = form.save(commit=False)
        goal.created_by = request.user
        _add_to_case(
            request,
            case,
            goal,
            "doel",
            Category.AFSPRAKEN,
            TimelineKind.DOEL,
            _("Doel (%(domain)s): %(text)s")
            % {"domain": goal.get_domain_display(), "text": goal.description},
        )
        messages.success(request, _("Doel toegevoegd."))
        return redirect(reverse("cases:detail", args=[case.pk]) + "#doelen")
    return case_form_page(request, access, form, _("Doel toevoegen"))


@login_required
def agreement_create(request, pk):
    case, access = get_case(request, pk)
    _refuse_write(request, access, Category.AFSPRAKEN, case)
    if refused := _refuse_closed(request, case):
        return refused
    form = AgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        agreement = form.save(commit=False)
        agreement.created_by = request.user
        _add_to_case(
            request,
            case,
            agreement,
            "afspraak",
            Category.AFSPRAKEN,
            TimelineKind.AFSPRAAK,
            _("Afspraak: %(what)s (%(who)s, uiterlijk %(date)s)")
            % {
                "what": agreement.what,
                "who": agreement.owner,
                "date": agreement.due_date.strftime("%d-%m-%Y"),
            },
        )
        messages.success(request, _("Afspraak toegevoegd."))
        return redirect(reverse("cases:detail", args=[case.pk]) + "#afspraken")
    return case_form_page(request, access, form, _("Afspraak toevoegen"))


@require_POST
@login_required
def agreement_done(request, pk, agreement_pk):
    case, access = get_case(request, pk)
    agreement = _updatable(
        request, access, case.agreements, agreement_pk, "afspraak", Category.AFSPRAKEN
    )
    if refused := _refuse_closed(request, case):
        return refused
    form = AgreementDoneForm(
        request.POST, initial={"version": agreement.version, "done": agreement.done}
    )
    if form.is_valid():
        agreement.done = form.cleaned_data["done"]
        try:
            with transaction.atomic():
                services.save_versioned(agreement, form, request.user, case)
                _log_change(
                    request, case, "afspraak", agreement.pk, Category.AFSPRAKEN, Action.UPDATE
                )
            messages.success(request, _("Afspraak bijgewerkt."))
        except services.ConflictError as conflict:
            _report_conflict(request, conflict, _("deze afspraak"))
    else:
        messages.error(request, NOT_SAVED_RELOAD)
    return redirect(reverse("cases:detail", args=[case.pk]) + "#afspraken")


# --- Team, invitations and referrals -----------------------------------------------------


@login_required
def invite(request, pk):
    case, access = get_case(request, pk)
    if not services.can_lead(access):
        not_found(request, case, "uitnodiging", "", Category.IDENTIFICATIE, Action.CREATE)
    if refused := _refuse_closed(request, case):
        return refused
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                invitation = services.invite(
                    access,
                    form.invitee,
                    form.cleaned_data["case_role"],
                    form.cleaned_data["reason"],
                )
                _log_change(request, case, "uitnodiging", invitation.pk, Category.IDENTIFICATIE)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s is uitgenodigd.") % {"name": form.invitee})
            return redirect("cases:detail", case.pk)
    return case_form_page(
        request, access, form, _("Professional uitnodigen"), submit=_("Uitnodigen")
    )


@login_required
def refer(request, pk):
    case, access = get_case(request, pk)
    if refused := _refuse_closed(request, case):
        return refused
    if not services.can_refer(access):
        log_refusal(request, case, "verwijzing", "", Category.IDENTIFICATIE, Action.CREATE)
        raise RoleDenied(services.ONLY_WHO_MAY_REFER)
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                referral = services.refer(
                    access,
                    form.cleaned_data["organisation"],
                    form.case_role,
                    form.cleaned_data["reason"],
                )
                _log_change(request, case, "verwijzing", referral.pk, Category.IDENTIFICATIE)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Verwijzing verstuurd naar %(org)s.")
                % {"org": form.cleaned_data["organisation"]},
            )
            return redirect("cases:detail", case.pk)
    return case_form_page(request, access, form, _("Verwijzen"), submit=_("Verwijzing versturen"))


@require_POST
@login_required
def respond(request, invitation_pk):
    invitation = services.get_open_invitation(request.user, invitation_pk)
    if invitation is None:
        other = Invitation.objects.filter(pk=invitation_pk).select_related("case").first()
        if other is None:
            raise Http404
        addressed = other.invitee_id == request.user.pk or (
            other.is_referral and other.organisation_id == request.user.organisation_id
        )
        if addressed and other.status != InvitationStatus.OPEN:  # answered in another tab
            return _already_answered(request)
        if addressed and other.case_role not in CASE_ROLES_BY_ROLE.get(request.user.role, ()):
            # Theirs, but from before a role change: no longer on their start page, and no
            # attempt on someone else's case (nothing to log). The start page says why.
            messages.error(request, _("Deze uitnodiging past niet bij uw functie."))
            return redirect("portal:home")
        not_found(request, other.case, "uitnodiging", other.pk, Category.IDENTIFICATIE)
    form = RespondForm(request.POST, invitation=invitation)
    if not form.is_valid():
        return _answer_refused(request, form)
    accept = form.cleaned_data["accept"]
    try:
        with transaction.atomic():
            services.respond(invitation, request.user, accept, form.cleaned_data["reason"])
            _log_change(
                request,
                invitation.case,
                "uitnodiging",
                invitation.pk,
                Category.IDENTIFICATIE,
                Action.UPDATE,
            )
    except ValidationError as exc:
        invitation.refresh_from_db(fields=["status"])
        if invitation.status != InvitationStatus.OPEN:  # answered meanwhile, in another tab
            return _already_answered(request)
        if accept:
            # Refused as a whole (the role no longer fits, the only lead would leave): no
            # field to tie it to and nothing typed to keep, so the start page's message.
            messages.error(request, " ".join(exc.messages))
            return redirect("portal:home")
        form.add_error("reason", exc)
        return _answer_refused(request, form)
    if accept:
        messages.success(request, _("U zit nu in het team van deze casus."))
        return redirect("cases:detail", invitation.case_id)
    messages.success(request, _("Uitnodiging afgewezen."))
    return redirect("portal:home")


def _already_answered(request):
    messages.info(request, _("Deze uitnodiging is al beantwoord."))
    return redirect("portal:home")


def _answer_refused(request, form):
    """The start page again, at the answer's address, with the refused answer in its
    invitation's card: what was typed kept, the errors at their field; nothing saved. The
    page lists the cases unfiltered and from the first page (the answer carries no query)."""
    return render(
        request,
        "cases/worklist.html",
        _worklist_context(request, QueryDict(), answer=form),
    )


@login_required
def leave(request, pk):
    """Leaving the team, or (the lead) taking someone off it, asks first, as closing does:
    GET shows what it means and the button; POST does it. Either ends access at once."""
    case, access = get_case(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    member = None
    if data.get("gebruiker") and data["gebruiker"] != str(request.user.pk):
        # Only the lead takes someone off the team. Anyone else gets the same 404 (and the
        # same denied log entry) whoever the id is: an answer that differed for members
        # would tell a klantmanager without consent who is on the team (CaseAccess.knows_of).
        if not services.can_lead(access):
            not_found(request, case, "teamlid", query_id(data, "gebruiker"), Category.IDENTIFICATIE)
        member = next((u for u, _role in access.team if str(u.pk) == data["gebruiker"]), None)
        if member is None:  # the lead's page was older than the team: nothing to refuse
            raise Http404
        if refusal := services.removal_refused(access, member):
            messages.error(request, refusal)
            return redirect("cases:detail", case.pk)
    if request.method != "POST":
        return _confirm_leave(request, access, member)
    gone = member or request.user
    try:
        with transaction.atomic():
            services.leave(access, member)
            _log_change(request, case, "teamlid", gone.pk, Category.IDENTIFICATIE, Action.UPDATE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:detail", case.pk)
    if member is None:
        messages.success(request, _("U heeft het team verlaten."))
        return redirect("portal:home")
    messages.success(request, _("%(name)s is uit het team gehaald.") % {"name": member})
    return redirect("cases:detail", case.pk)


def _confirm_leave(request, access, member):
    form = LeaveForm(initial={"gebruiker": member.pk if member else None})
    if member is None:
        title = _("Team verlaten")
        intro = _(
            "Daarna ziet u niets meer van deze casus. Alleen wie de regie over de casus voert, "
            "kan u opnieuw uitnodigen."
        )
        submit = _("Ja, team verlaten")
    else:
        names = {"name": member.get_full_name() or member.email}
        title = _("%(name)s uit het team halen") % names
        intro = (
            _("%(name)s ziet daarna niets meer van deze casus, tot u opnieuw uitnodigt.") % names
        )
        submit = _("Ja, uit het team halen")
    return case_form_page(request, access, form, title, submit=submit, intro=intro)


@login_required
def close(request, pk):
    """Closing asks first: GET shows what closing means and the button; POST closes. While
    IPS runs the page says why it cannot close (services.close_case refuses)."""
    case, access = get_case(request, pk)
    if not services.can_lead(access):
        not_found(request, case, "casus", case.pk, Category.IDENTIFICATIE)
    if refused := _refuse_closed(request, case):
        return refused
    if request.method == "POST":
        try:
            with transaction.atomic():
                lapsed = services.close_case(request.user, case)
                if lapsed is not None:  # not when a parallel request closed it first
                    # A lapsed referral to IPS also closes the trajectory that never began:
                    # part of withdrawing the referral, as declining it is.
                    consent.log_changes(
                        request,
                        case,
                        [
                            ("casus", case.pk, Category.IDENTIFICATIE, Action.UPDATE),
                            *(
                                ("uitnodiging", pk, Category.IDENTIFICATIE, Action.UPDATE)
                                for pk in lapsed
                            ),
                        ],
                    )
        except services.IpsRunning:
            return redirect("cases:close", case.pk)  # the page says why
        messages.success(request, _("De casus is gesloten. Hij blijft leesbaar voor het team."))
        return redirect("cases:detail", case.pk)
    holder = case.client.organisation_id
    client_visible = access.can_read(Category.IDENTIFICATIE, holder)
    shown = {(holder, Category.IDENTIFICATIE)} if client_visible else set()
    running = services.running_ips(case)
    not_yet = None
    if running is not None:
        if access.can_read(Category.IPS, running.organisation_id):
            shown.add((running.organisation_id, Category.IPS))
            not_yet = services.IPS_RUNNING_MESSAGE
        else:
            not_yet = services.TEAM_WORK_RUNNING_MESSAGE
    # An unfinished gespreksleidraad of the user's own organisation cannot be finished after
    # the close: said beforehand (its existence is that organisation's leidraad data).
    unfinished_leidraad = (
        access.can_read(Category.LEIDRAAD, access.organisation_id)
        and LeidraadSession.objects.filter(
            case=case, organisation_id=access.organisation_id, status=LeidraadStatus.BEZIG
        ).exists()
    )
    if unfinished_leidraad:
        shown.add((access.organisation_id, Category.LEIDRAAD))
    consent.log_case_reads(request, access, shown)
    return render(
        request,
        "cases/case_close.html",
        {
            "case": case,
            "client_visible": client_visible,
            "not_yet": not_yet,
            "unfinished_leidraad": unfinished_leidraad,
        },
    )


# --- Driegesprek ---------------------------------------------------------------------------


@login_required
def driegesprek_plan(request, pk):
    case, access = get_case(request, pk)
    _refuse_write(request, access, Category.AFSPRAKEN, case)
    if refused := _refuse_closed(request, case):
        return refused
    form = DriegesprekPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = form.save(commit=False)
        meeting.created_by = request.user
        _add_to_case(
            request,
            case,
            meeting,
            "driegesprek",
            Category.AFSPRAKEN,
            TimelineKind.DRIEGESPREK,
            _("Driegesprek gepland op %(when)s in %(where)s")
            % {
                "when": timezone.localtime(meeting.planned_at).strftime("%d-%m-%Y %H:%M"),
                "where": meeting.location,
            },
        )
        messages.success(request, _("Driegesprek gepland."))
        return redirect(reverse("cases:detail", args=[case.pk]) + "#driegesprekken")
    return case_form_page(request, access, form, _("Driegesprek plannen"), intro=MEETING_SEEN_BY)


@login_required
def driegesprek_record(request, pk, meeting_pk):
    case, access = get_case(request, pk)
    _refuse_write(request, access, Category.AFSPRAKEN, case)
    meeting = _updatable(
        request, access, case.meetings, meeting_pk, "driegesprek", Category.AFSPRAKEN
    )
    if refused := _refuse_closed(request, case):
        return refused
    if meeting.status != MeetingStatus.GEPLAND and request.method != "POST":
        messages.error(
            request, _("Dit driegesprek is al vastgelegd; het verslag wijzigt niet meer.")
        )
        return redirect("cases:detail", case.pk)
    form = DriegesprekRecordForm(
        request.POST or None, meeting=meeting, initial={"version": meeting.version}
    )
    if meeting.status != MeetingStatus.GEPLAND:  # recorded since this user opened the form
        _report_refused(form)
    elif request.method == "POST" and form.is_valid():
        meeting.summary = form.cleaned_data["summary"]
        meeting.status = MeetingStatus.GEHOUDEN
        try:
            with transaction.atomic():
                services.save_versioned(meeting, form, request.user, case)
                agreements = [
                    Agreement.objects.create(
                        case=case,
                        organisation=request.user.organisation,
                        created_by=request.user,
                        what=what,
                        owner=owner,
                        due_date=due,
                    )
                    for what, owner, due in form.agreements
                ]
                services.add_timeline(
                    case,
                    request.user,
                    TimelineKind.DRIEGESPREK,
                    Category.AFSPRAKEN,
                    _("Driegesprek gehouden"),
                    body=meeting.summary,
                )
                _log_change(
                    request,
                    case,
                    "driegesprek",
                    meeting.pk,
                    Category.AFSPRAKEN,
                    Action.UPDATE,
                    agreements=agreements,
                )
        except services.ConflictError:
            meeting = case.meetings.get(pk=meeting.pk)
            _report_refused(form)
        else:
            messages.success(request, _("Verslag van het driegesprek vastgelegd."))
            return redirect(reverse("cases:detail", args=[case.pk]) + "#driegesprekken")
    intro = _("Gepland op %(when)s in %(where)s, met %(who)s.") % {
        "when": date_format(timezone.localtime(meeting.planned_at), "j F Y H:i"),
        "where": meeting.location,
        "who": meeting.participants,
    }
    if not meeting.has_started and not form.is_bound:  # a refused save says it as its error
        intro += " " + not_started_message(meeting)
    consent.log_case_reads(
        request,
        access,
        {(meeting.organisation_id, Category.AFSPRAKEN)},
        object_type="driegesprek",
        object_id=meeting.pk,
    )
    return case_form_page(
        request,
        access,
        form,
        _("Verslag van het driegesprek"),
        intro=intro,
        can_submit=meeting.status == MeetingStatus.GEPLAND,
    )


def _report_refused(form):
    """The meeting was recorded since this user opened its report form (by a colleague, or
    in another window; recording it is the only change its version counts). A report is
    recorded once, so theirs is not saved; the form comes back with what they typed, to
    take over what is still needed (in a note, say), and says why."""
    form.add_error(
        None,
        " ".join(
            [
                services.changed_meanwhile(_("dit driegesprek")),
                _("Het verslag is al vastgelegd en wijzigt niet meer."),
                _(
                    "Hieronder staat wat u invulde; neem over wat nog nodig is, bijvoorbeeld "
                    "in een notitie."
                ),
            ]
        ),
    )


@repeatable
@require_POST
@login_required
def progress_report(request, pk):
    case, access = get_case(request, pk)
    return requested(
        request,
        ReportType.VOORTGANG,
        _("Voortgangsrapportage casus %(n)s") % {"n": case.pk},
        case=case,
        client=case.client,
    )


@require_POST
@login_required
def goal_status(request, pk, goal_pk):
    case, access = get_case(request, pk)
    goal = _updatable(request, access, case.goals, goal_pk, "doel", Category.AFSPRAKEN)
    if refused := _refuse_closed(request, case):
        return refused
    form = GoalStatusForm(request.POST)
    if form.is_valid():
        goal.status = form.cleaned_data["status"]
        try:
            with transaction.atomic():
                services.save_versioned(goal, form, request.user, case)
                _log_change(request, case, "doel", goal.pk, Category.AFSPRAKEN, Action.UPDATE)
        except services.ConflictError as conflict:
            _report_conflict(request, conflict, _("dit doel"))
        else:
            messages.success(request, _("Status van het doel bijgewerkt."))
    else:
        messages.error(request, NOT_SAVED_RELOAD)
    return redirect(reverse("cases:detail", args=[case.pk]) + "#doelen")


# --- Beheer: cases that nobody leads --------------------------------------------------------


@role_required(Role.BEHEERDER)
def without_lead(request):
    """The organisation's open cases that nobody leads any more (their only lead was
    deactivated), each with a form to appoint a colleague. Every client named is logged as
    read, on the beheer basis."""
    user = request.user
    cases = (
        services.cases_without_lead(user.organisation)
        .select_related("client")
        .order_by("opened_at", "pk")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("pagina"))
    candidates = list(services.lead_candidates(user.organisation))
    rows = [
        (case, LeadForm(candidates=candidates, auto_id=f"id_%s_{case.pk}"))
        for case in page.object_list
    ]
    consent.write_log(
        consent.entry(
            request,
            user,
            decision=consent.beheer_decision(user, case.client, Category.IDENTIFICATIE),
            action=Action.READ,
            object_type="casus zonder regie",
            object_id=case.pk,
            category=Category.IDENTIFICATIE,
            client=case.client_id,
            case=case,
        )
        for case, _form in rows
    )
    return render(
        request,
        "cases/without_lead.html",
        {"page": page, "rows": rows, "has_candidates": bool(candidates)},
    )


@require_POST
@role_required(Role.BEHEERDER)
@reauthentication_required
def assign_lead(request, pk):
    user = request.user
    case = Case.objects.filter(pk=pk, organisation_id=user.organisation_id).first()
    if case is None:
        consent.log_denied(
            request,
            user,
            object_type="teamlid",
            object_id="",
            case=pk if Case.objects.filter(pk=pk).exists() else None,
            category=Category.IDENTIFICATIE,
            action=Action.UPDATE,
        )
        raise Http404
    candidates = list(services.lead_candidates(user.organisation))
    form = LeadForm(request.POST, candidates=candidates)
    if not form.is_valid():
        messages.error(request, _("Kies de collega die de regie gaat voeren."))
        return redirect("cases:without_lead")
    lead = next(c for c in candidates if c.pk == form.cleaned_data["lead"])
    try:
        with transaction.atomic():
            withdrawn = services.assign_lead(user, case, lead)
            consent.log_changes(
                request,
                case,
                [("teamlid", lead.pk, Category.IDENTIFICATIE, Action.UPDATE)]
                + [("uitnodiging", pk, Category.IDENTIFICATIE, Action.UPDATE) for pk in withdrawn],
                basis=Basis.BEHEER,
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s voert nu de regie in casus %(number)s.")
            % {"name": lead, "number": case.pk},
        )
    return redirect("cases:without_lead")
