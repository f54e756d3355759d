"""IPS views. Case-scoped views enter through cases.views.get_case (the one door) and see
IPS rows only through access.readable_filter(Category.IPS); team pages (caseload, employer
contacts) are for the trajectbegeleiders of the user's own organisation, results and fidelity
reviews for those of the user's own IPS team; a beheerder divides them into teams."""

import datetime

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cases.views import case_page, get_case, not_found
from consent import services as consent
from consent.constants import Action, Basis, Category
from portal.constants import OrganisationType, Role
from portal.middleware import repeatable
from portal.models import ReportType, User
from portal.reports import requested
from portal.views import audit_event, role_required

from . import fidelity, figures, reports, services, summary
from .constants import (
    CASELOAD_MAX,
    EMPLOYER_CONTACTS_PER_WEEK_NORM,
    Disclosure,
    Phase,
    ReviewStatus,
    minimum_hourly_wage,
)
from .forms import (
    EmployerContactForm,
    FollowAlongForm,
    PhaseForm,
    PlacementEndForm,
    PlacementForm,
    ProfileForm,
    ReviewForm,
    ScoresForm,
    TeamForm,
    TeamMemberForm,
    TransferForm,
)
from .models import (
    Beroepsprofiel,
    EmployerContact,
    FidelityReview,
    FollowAlongContact,
    IpsTeam,
    PhaseChange,
    Placement,
    TeamMember,
    Trajectory,
)

IPS = Category.IPS

# --- Doors ----------------------------------------------------------------------------------


def _readable_trajectories(case, access):
    return summary.trajectories(case, access.readable_filter(IPS)).with_first_contact()


def get_trajectory(request, pk, trajectory_pk):
    """The one door to a trajectory: get_case, then the trajectory only if this user may
    read IPS data held by its organisation; otherwise 404 and a denied log entry."""
    case, access = get_case(request, pk)
    trajectory = _readable_trajectories(case, access).filter(pk=trajectory_pk).first()
    if trajectory is None:
        not_found(request, case, "ips-traject", trajectory_pk, IPS, Action.READ)
    return case, access, trajectory


def get_writable_trajectory(request, pk, trajectory_pk):
    """As get_trajectory, for changes: only IPS data held by the user's own organisation
    (in practice: the trajectbegeleiders of the IPS team)."""
    case, access, trajectory = get_trajectory(request, pk, trajectory_pk)
    if not services.can_update(access, trajectory):
        not_found(request, case, "ips-traject", trajectory.pk, IPS)
    return case, access, trajectory


def _team_member(request):
    """Team pages: trajectbegeleiders only; anyone else gets a 404."""
    if request.user.role != Role.TRAJECTBEGELEIDER:
        raise Http404
    return request.user.organisation


def _own_team(request):
    """Pages of one IPS team (results, fidelity): the user's own team, or None for a
    trajectbegeleider in no team (the page explains); anyone else gets a 404."""
    _team_member(request)
    return services.team_of(request.user)


def _no_team(request, title):
    return render(request, "ips/no_team.html", {"title": title})


def _log_write(request, access, obj, object_type, action=Action.CREATE):
    consent.log(
        request,
        request.user,
        decision=access.decide(IPS, access.organisation_id, action),
        action=action,
        object_type=object_type,
        object_id=obj.pk,
        category=IPS,
        client=access.case.client_id,
        case=access.case,
    )


def _closed_refusal(request, case, trajectory):
    if not trajectory.is_open:
        messages.error(request, _("Dit traject is afgesloten en wijzigt niet meer."))
        return redirect("ips:trajectory", case.pk)
    return None


def _trajectory_url(case):
    return reverse("ips:trajectory", args=[case.pk])


def _named(access, person):
    """``person`` if this user may learn who they are, else None: only who knows of their
    organisation (CaseAccess.knows_of, the rule the case team panel follows) sees a name on
    the IPS pages. A referral from another GGZ records its behandelaar as the one who
    registered the trajectory; a klantmanager who may not know of that GGZ does not learn
    who treats the client from the phase history."""
    if person is not None and access.knows_of(person.organisation_id):
        return person
    return None


def _profile_of(trajectory, access):
    """The profile, if this user may read it (it is held by its own organisation)."""
    try:
        profile = trajectory.profile
    except Beroepsprofiel.DoesNotExist:
        return None
    return profile if access.can_read(IPS, profile.organisation_id) else None


# --- Case panel -------------------------------------------------------------------------------


def case_panel(request, case, access):
    """The IPS card on the case page: phase, coach, disclosure choice, rapid-search flag and
    the current job, as far as this user may read them (ips.summary, which the
    voortgangsrapportage shares). No read on a case that never had a trajectory, two on
    one, whatever the data size."""
    ips = summary.summary(case, access.readable_holders(IPS))
    if ips is None:
        return None
    return {
        "template": "ips/_case_panel.html",
        "log": consent.case_read_entries(request, access, ips.shown, object_type="ips-traject"),
        "trajectory": ips.trajectory,
        "coach": _named(access, ips.trajectory.coach),
        "profile": ips.profile,
        "rapid": ips.rapid,
        "current_job": ips.current_job,
        "job_started": ips.job_started,
    }


# --- The trajectory page --------------------------------------------------------------------


@login_required
def trajectory(request, pk):
    case, access = get_case(request, pk)
    return _trajectory_page(request, case, access)


def _trajectory_page(request, case, access, phase_form=None):
    """The trajectory page; ``phase_form``: a refused phase change, shown with the input
    kept and the errors next to the fields."""
    trajectories = list(_readable_trajectories(case, access))
    current = trajectories[0] if trajectories else None
    context = {
        "case": case,
        "access": access,
        "trajectory": current,
        "earlier": trajectories[1:],
        "can_write": services.can_write(access),
    }
    shown = {(t.organisation_id, IPS) for t in trajectories}
    if current is not None:
        readable = access.readable_filter(IPS)
        phases = list(
            PhaseChange.objects.filter(trajectory=current)
            .filter(readable)
            .select_related("recorded_by")
        )
        contacts = list(
            EmployerContact.objects.filter(trajectory=current)
            .filter(readable)
            .select_related("coach")
        )
        placements = list(Placement.objects.filter(trajectory=current).filter(readable))
        follow_along = list(
            FollowAlongContact.objects.filter(trajectory=current)
            .filter(readable)
            .select_related("placement", "recorded_by")
        )
        profile = _profile_of(current, access)
        for row in [*phases, *contacts, *placements, *follow_along, profile]:
            if row is not None:
                shown.add((row.organisation_id, IPS))
        for change in phases:
            change.shown_by = _named(access, change.recorded_by)
        for contact in contacts:
            contact.shown_by = _named(access, contact.coach)
        for contact in follow_along:
            contact.shown_by = _named(access, contact.recorded_by)
        can_update = services.can_update(access, current) and current.is_open
        if can_update and phase_form is None:
            phase_form = PhaseForm(trajectory=current, placements=placements)
        context.update(
            {
                "coach": _named(access, current.coach),
                "phases": phases,
                "contacts": contacts,
                "placements": placements,
                "follow_along": follow_along,
                "profile": profile,
                "rapid": figures.rapid_search(current, current.first_contact_on),
                "can_update": can_update,
                "phase_form": phase_form if can_update else None,
                "allowed_next": services.allowed_next(current, placements),
                "may_place": current.phase in (Phase.ZOEKEN, Phase.GEPLAATST, Phase.NAZORG),
            }
        )
    consent.log_case_reads(request, access, shown, object_type="ips-traject")
    return case_page(request, access, "ips/trajectory.html", context)


@require_POST
@login_required
def phase_change(request, pk, trajectory_pk):
    case, access, trajectory = get_writable_trajectory(request, pk, trajectory_pk)
    if refusal := _closed_refusal(request, case, trajectory):
        return refusal
    # The jobs decide whether 'aan het werk' is offered when the form is shown again.
    placements = list(
        Placement.objects.filter(trajectory=trajectory).filter(access.readable_filter(IPS))
    )
    form = PhaseForm(request.POST, trajectory=trajectory, placements=placements)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                change = services.change_phase(
                    trajectory,
                    request.user,
                    data["to_phase"],
                    data["changed_on"],
                    note=data["note"],
                    close_reason=data.get("close_reason", ""),
                    close_note=data.get("close_note", ""),
                    wants_paid_work=data.get("wants_paid_work"),
                    expected_version=data["version"],
                )
                _log_write(request, access, change, "ips-fase")
                if referral := change.answered_referral:  # taken on: the referral answered
                    answered = ("uitnodiging", referral, Category.IDENTIFICATIE, Action.UPDATE)
                    consent.log_changes(request, case, [answered])
        except services.ConflictError:
            # Shown with the new state; what was typed stays, and the form now carries
            # the current version, so saving it again is a deliberate choice.
            trajectory.refresh_from_db()
            post = request.POST.copy()
            post["version"] = str(trajectory.version)
            form = PhaseForm(post, trajectory=trajectory, placements=placements)
            form.is_valid()
            lost = _phase_conflict(trajectory, access)
            if trajectory.is_open:
                form.add_error(None, lost)
            else:
                # Closed meanwhile: the page offers no phase form to show it in.
                messages.error(request, lost)
        except ValidationError as exc:
            for error in exc.error_list:
                form.add_error(error.code if error.code in form.fields else None, error)
        else:
            messages.success(
                request,
                _("Fase gewijzigd naar ‘%(phase)s’.") % {"phase": trajectory.get_phase_display()},
            )
            return redirect(_trajectory_url(case) + "#fase")
    return _trajectory_page(request, case, access, phase_form=form)


def _phase_conflict(trajectory, access):
    """The trajectory changed since this user opened the phase form: in another window of
    their own, or by a colleague (a phase change, or a hand-over). Which of those is not
    known, so the message names both, and then what is known: the phase now, and who
    recorded it when (local time); who, only as the page may name them (_named)."""
    last = trajectory.phases.select_related("recorded_by").order_by("-pk").first()
    phase = {"phase": trajectory.get_phase_display()}
    if last is None:
        now = _("De fase is nu ‘%(phase)s’.") % phase
    else:
        who = _named(access, last.recorded_by)
        when = date_format(timezone.localtime(last.recorded_at), "j F Y \\o\\m H:i")
        if who is None:
            now = _("De fase is nu ‘%(phase)s’, vastgelegd op %(when)s.") % {
                **phase,
                "when": when,
            }
        elif who.pk == access.user.pk:
            now = _("De fase is nu ‘%(phase)s’; die heeft u zelf vastgelegd op %(when)s.") % {
                **phase,
                "when": when,
            }
        else:
            now = _("De fase is nu ‘%(phase)s’, vastgelegd door %(who)s op %(when)s.") % {
                **phase,
                "who": who.get_full_name() or who.email,
                "when": when,
            }
    return " ".join(
        [
            services.changed_meanwhile(_("het traject")),
            now,
            _("Kijk opnieuw en sla zo nodig nogmaals op."),
        ]
    )


@login_required
def profile_edit(request, pk, trajectory_pk):
    case, access, trajectory = get_writable_trajectory(request, pk, trajectory_pk)
    if refusal := _closed_refusal(request, case, trajectory):
        return refusal
    profile = _profile_of(trajectory, access) or Beroepsprofiel()
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        is_new = profile.pk is None
        try:
            with transaction.atomic():
                services.save_profile(trajectory, form.instance, form, request.user)
                _log_write(
                    request,
                    access,
                    form.instance,
                    "beroepsprofiel",
                    Action.CREATE if is_new else Action.UPDATE,
                )
        except services.ConflictError:
            form = _profile_conflict(form, trajectory, access)
        else:
            messages.success(request, _("Beroepsprofiel opgeslagen."))
            return redirect(_trajectory_url(case) + "#beroepsprofiel")
    consent.log_case_reads(
        request,
        access,
        {(profile.organisation_id, IPS)} if profile.pk else set(),
        object_type="beroepsprofiel",
    )
    return case_page(
        request,
        access,
        "ips/profile_form.html",
        {"trajectory": trajectory, "form": form},
    )


def _profile_conflict(form, trajectory, access):
    """Someone else saved the profile since this user opened it: their form again, with
    what they typed, now on the stored version (so saving again is a deliberate choice
    to overwrite), and a message that says who changed it when (local time; who, as the
    page may name them: _named), and which fields now hold something other than what this
    user typed."""
    current = Beroepsprofiel.objects.select_related("updated_by").get(trajectory=trajectory)
    data = form.data.copy()
    data["version"] = str(current.version)
    typed = form.cleaned_data
    differs = [
        str(form.fields[name].label)
        for name in form._meta.fields
        if getattr(current, name) != typed.get(name)
    ]
    form = ProfileForm(data, instance=current)
    form.is_valid()
    when = date_format(timezone.localtime(current.updated_at), "j F Y \\o\\m H:i")
    who = _named(access, current.updated_by)
    if current.updated_by_id == access.user.pk:
        message = _(
            "Niet opgeslagen: u heeft het beroepsprofiel intussen zelf gewijzigd (in een ander "
            "venster), op %(when)s."
        ) % {"when": when}
    elif who is None:
        message = _(
            "Niet opgeslagen: iemand anders heeft het beroepsprofiel intussen gewijzigd, op "
            "%(when)s."
        ) % {"when": when}
    else:
        message = _(
            "Niet opgeslagen: iemand anders (%(who)s) heeft het beroepsprofiel intussen "
            "gewijzigd, op %(when)s."
        ) % {"who": who.get_full_name() or who.email, "when": when}
    if differs:
        message += " " + _("Nu anders dan wat u invulde: %(fields)s.") % {
            "fields": ", ".join(differs)
        }
    message += " " + _(
        "Hieronder staat wat u invulde. Sla opnieuw op om dat te bewaren, of ga terug naar "
        "het traject om de nieuwe stand te bekijken."
    )
    form.add_error(None, message)
    return form


def _log_disclosure_read(request, trajectory, access):
    """The profile whose disclosure choice a form page shows (the employer-contact and job
    forms), logged as read as profile_edit logs it; None while there is none."""
    profile = _profile_of(trajectory, access)
    consent.log_case_reads(
        request,
        access,
        {(profile.organisation_id, IPS)} if profile else set(),
        object_type="beroepsprofiel",
    )
    return profile


@login_required
def contact_create(request, pk, trajectory_pk):
    case, access, trajectory = get_writable_trajectory(request, pk, trajectory_pk)
    if refusal := _closed_refusal(request, case, trajectory):
        return refusal
    form = EmployerContactForm(request.POST or None, trajectory=trajectory)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contact = services.record_employer_contact(form.instance, request.user, trajectory)
            _log_write(request, access, contact, "werkgeverscontact")
        messages.success(request, _("Werkgeverscontact vastgelegd."))
        return redirect(_trajectory_url(case) + "#werkgeverscontacten")
    profile = _log_disclosure_read(request, trajectory, access)
    return case_page(
        request,
        access,
        "ips/contact_form.html",
        {"trajectory": trajectory, "profile": profile, "form": form},
    )


@login_required
def placement_create(request, pk, trajectory_pk):
    case, access, trajectory = get_writable_trajectory(request, pk, trajectory_pk)
    if refusal := _closed_refusal(request, case, trajectory):
        return refusal
    form = PlacementForm(request.POST or None, trajectory=trajectory)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                placement = services.record_placement(trajectory, form.instance, request.user)
                _log_write(request, access, placement, "plaatsing")
                if placement.phase_change is not None:  # 'aan het werk': as by hand
                    _log_write(request, access, placement.phase_change, "ips-fase")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if placement.start_date > timezone.localdate():
                messages.success(
                    request,
                    _(
                        "Baan vastgelegd. Hij begint op %(date)s: zet de fase vanaf die dag op "
                        "‘Aan het werk’."
                    )
                    % {"date": placement.start_date.strftime("%d-%m-%Y")},
                )
            else:
                messages.success(request, _("Baan vastgelegd."))
            return redirect(_trajectory_url(case) + "#banen")
    return case_page(
        request,
        access,
        "ips/placement_form.html",
        {
            "trajectory": trajectory,
            "profile": _log_disclosure_read(request, trajectory, access),
            "form": form,
            "minimum_wage": minimum_hourly_wage(timezone.localdate()),
        },
    )


@login_required
def placement_end(request, pk, trajectory_pk, placement_pk):
    case, access, trajectory = get_writable_trajectory(request, pk, trajectory_pk)
    if refusal := _closed_refusal(request, case, trajectory):
        return refusal
    placement = (
        Placement.objects.filter(trajectory=trajectory, pk=placement_pk)
        .filter(access.readable_filter(IPS))
        .select_related("trajectory__case")
        .first()
    )
    if placement is None or not services.can_update(access, placement):
        not_found(request, case, "plaatsing", placement_pk, IPS)
    if not placement.is_current:  # an end still ahead may be changed until then
        messages.error(request, _no_longer_current(placement))
        return redirect(_trajectory_url(case) + "#banen")
    form = PlacementEndForm(request.POST or None, instance=placement)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.end_placement(form.instance, form, request.user)
                _log_write(request, access, placement, "plaatsing", Action.UPDATE)
        except services.ConflictError as conflict:
            placement = Placement.objects.select_related("trajectory__case").get(pk=placement.pk)
            form = _placement_end_conflict(request, form, placement, conflict)
            if form is None:
                return redirect(_trajectory_url(case) + "#banen")
        else:
            if placement.went_ahead:
                messages.success(request, _("Einde van de baan vastgelegd."))
            else:
                messages.success(request, _("Vastgelegd dat de baan niet doorgaat."))
            return redirect(_trajectory_url(case) + "#banen")
    consent.log_case_reads(
        request,
        access,
        {(placement.organisation_id, IPS)},
        object_type="plaatsing",
        object_id=placement.pk,
    )
    return case_page(
        request,
        access,
        "ips/placement_end_form.html",
        {"trajectory": trajectory, "placement": placement, "form": form},
    )


def _no_longer_current(placement):
    if placement.went_ahead:
        return _("Deze baan is al beëindigd.")
    return _("Deze baan is niet doorgegaan.")


def _placement_end_conflict(request, form, current, conflict):
    """The job changed since this user opened its end form (in another window, or by a
    colleague): as the phase form and the profile do, the form again with what they typed,
    now on the stored version (so saving again is a deliberate choice to overwrite what is
    stored), and a message that says what is stored now. None, with the message, when
    there is nothing to show the form for: the job holds what they typed already, or it
    has ended meanwhile (an ended job is not changed)."""
    subject = _("deze baan")
    if not conflict.changes:
        messages.info(
            request,
            _("%(subject)s stond intussen al zo opgeslagen; er is niets anders gewijzigd.")
            % {"subject": capfirst(subject)},
        )
        return None
    if not current.is_current:
        messages.error(
            request,
            " ".join(
                [
                    services.changed_meanwhile(subject),
                    services.stored_now(conflict.changes),
                    _no_longer_current(current),
                ]
            ),
        )
        return None
    return services.typed_again(
        lambda data: PlacementEndForm(data, instance=current),
        form,
        current.version,
        subject,
        conflict.changes,
        _("het traject"),
    )


@login_required
def follow_along_create(request, pk, trajectory_pk):
    case, access, trajectory = get_writable_trajectory(request, pk, trajectory_pk)
    if refusal := _closed_refusal(request, case, trajectory):
        return refusal
    # Follow-along is about a job that went ahead (or still may).
    placements = list(
        Placement.objects.filter(trajectory=trajectory)
        .filter(access.readable_filter(IPS))
        .went_ahead()
    )
    form = FollowAlongForm(request.POST or None, trajectory=trajectory, placements=placements)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contact = services.record_follow_along(trajectory, form.instance, request.user)
            _log_write(request, access, contact, "nazorgcontact")
        messages.success(request, _("Nazorgcontact vastgelegd."))
        return redirect(_trajectory_url(case) + "#nazorg")
    # The form lists the jobs to choose from.
    consent.log_case_reads(
        request, access, {(p.organisation_id, IPS) for p in placements}, object_type="plaatsing"
    )
    return case_page(
        request,
        access,
        "ips/follow_along_form.html",
        {"trajectory": trajectory, "form": form},
    )


# --- The coach's own pages ------------------------------------------------------------------


def _case_rows(request, user, trajectories):
    """Per trajectory: may the coach (still) read it, and the client's name if visible.
    Two queries for the accesses and one log write, whatever the number of rows."""
    cases = list({t.case_id: t.case for t in trajectories}.values())
    accesses = consent.accesses_for(user, cases)
    entries, rows = [], []
    for t in trajectories:
        access = accesses[t.case_id]
        readable = access.can_read(IPS, t.organisation_id)
        holder = t.case.client.organisation_id
        name_visible = readable and access.can_read(Category.IDENTIFICATIE, holder)
        if readable:
            shown = [(t.organisation_id, IPS)]
            if name_visible:
                shown.append((holder, Category.IDENTIFICATIE))
            for holder_id, category in shown:
                entries.append(
                    consent.entry(
                        request,
                        user,
                        decision=access.decide(category, holder_id),
                        action=Action.READ,
                        object_type="ips-caseload",
                        object_id=t.pk,
                        category=category,
                        client=t.case.client_id,
                        case=t.case,
                    )
                )
        rows.append({"trajectory": t, "readable": readable, "name_visible": name_visible})
    consent.write_log(entries)
    return rows


@login_required
def caseload(request):
    user = request.user
    _team_member(request)
    trajectories = list(
        Trajectory.objects.open()
        .filter(coach=user)
        .with_first_contact()
        .select_related("case__client", "profile")
        .order_by("referred_at", "pk")
    )
    rows = _case_rows(request, user, trajectories)
    for row in rows:
        row["rapid"] = figures.rapid_search(row["trajectory"], row["trajectory"].first_contact_on)
    return render(
        request,
        "ips/caseload.html",
        {
            "rows": [r for r in rows if r["readable"]],
            "hidden": sum(1 for r in rows if not r["readable"]),
            "count": len(rows),
            "flagged": figures.caseload_flagged(len(rows)),
            "caseload_max": CASELOAD_MAX,
        },
    )


WEEKS_SHOWN = 8


@login_required
def my_contacts(request):
    user = request.user
    _team_member(request)
    form = EmployerContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_employer_contact(form.instance, user, trajectory=None)
        messages.success(request, _("Algemeen werkgeverscontact vastgelegd."))
        return redirect("ips:contacts")
    today = timezone.localdate()
    this_monday, _sunday = figures.week_bounds(today)
    first_monday = this_monday - datetime.timedelta(weeks=WEEKS_SHOWN - 1)
    per_week = {
        row["week"]: row["n"]
        for row in EmployerContact.objects.filter(coach=user)
        .face_to_face()
        .between(first_monday, today)
        .annotate(week=TruncWeek("contacted_on"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    }
    weeks = []
    for i in range(WEEKS_SHOWN):
        monday = this_monday - datetime.timedelta(weeks=i)
        count = per_week.get(monday, 0)
        weeks.append(
            {
                "monday": monday,
                "sunday": monday + datetime.timedelta(days=6),
                "count": count,
                "below": count < EMPLOYER_CONTACTS_PER_WEEK_NORM and monday != this_monday,
            }
        )
    contacts = EmployerContact.objects.filter(coach=user).select_related(
        "trajectory__case__client", "trajectory__profile"
    )
    page = Paginator(contacts, 50).get_page(request.GET.get("pagina"))
    items = list(page.object_list)
    unique = {c.trajectory_id: c.trajectory for c in items if c.trajectory_id}
    trajectory_rows = {
        row["trajectory"].pk: row for row in _case_rows(request, user, list(unique.values()))
    }
    rows = [{"contact": c, "client": trajectory_rows.get(c.trajectory_id)} for c in items]
    return render(
        request,
        "ips/contacts.html",
        {
            "form": form,
            "weeks": weeks,
            "this_week": weeks[0],
            "norm": EMPLOYER_CONTACTS_PER_WEEK_NORM,
            "page": page,
            "rows": rows,
            # A minimum: the weeks below it are flagged, not this week while it runs.
            "chart": figures.bar_chart(
                [(f"{w['monday']:%d-%m}", w["count"]) for w in reversed(weeks)],
                norm=EMPLOYER_CONTACTS_PER_WEEK_NORM,
                at_least=True,
                running=len(weeks) - 1,
            ),
            "disclosure_secret": Disclosure.VERZWIJGEN,
        },
    )


# --- Team dashboard ---------------------------------------------------------------------------


@login_required
def results(request):
    """The results of the user's own IPS team per quarter."""
    team = _own_team(request)
    if team is None:
        return _no_team(request, _("Resultaten IPS-team"))
    today = timezone.localdate()
    current = figures.Quarter.containing(today)
    quarter = figures.Quarter.parse(request.GET.get("kwartaal"), current)
    if quarter > current:
        quarter = current
    return render(
        request,
        "ips/results.html",
        {
            **reports.results_context(team, quarter, today),
            "previous": quarter.previous(),
            "next": quarter.next() if quarter < current else None,
        },
    )


@repeatable
@require_POST
@login_required
def results_report(request):
    """The results of a quarter as a PDF (aggregated figures, no client names)."""
    team = _own_team(request)
    if team is None:
        raise Http404
    current = figures.Quarter.containing(timezone.localdate())
    quarter = min(figures.Quarter.parse(request.POST.get("kwartaal"), current), current)
    return requested(
        request,
        ReportType.IPS_RESULTATEN,
        _("IPS-resultaten %(q)s, %(team)s (%(org)s)")
        % {"q": quarter.label, "team": team, "org": team.organisation},
        params={"quarter": quarter.slug, "team": team.pk},
    )


# --- IPS teams (beheer) -----------------------------------------------------------------------


# Changes to IPS teams decide who sees which team's figures: like changes to users, they ask
# for the password again (allauth re-authentication) and are audit events.
@role_required(Role.BEHEERDER, at=OrganisationType.GGZ)
@reauthentication_required(allow_get=True)
def teams(request):
    """The organisation's IPS teams and who is in which: a beheerder creates teams and places
    each trajectbegeleider in one (or none)."""
    organisation = request.user.organisation
    form = TeamForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        team = form.save()
        audit_event(request, "ips_team_created", team_id=team.pk)
        messages.success(request, _("IPS-team %(team)s aangemaakt.") % {"team": team})
        return redirect("ips:teams")
    team_list = list(IpsTeam.objects.filter(organisation=organisation))
    coaches = list(
        User.objects.filter(organisation=organisation, role=Role.TRAJECTBEGELEIDER)
        .select_related("ips_team_member")
        .order_by("-is_active", "sort_name", "first_name", "pk")
    )
    members = {team.pk: [] for team in team_list}
    rows = []
    for coach in coaches:
        membership = getattr(coach, "ips_team_member", None)
        if membership is not None and membership.team_id in members:
            members[membership.team_id].append(coach)
        rows.append(
            {
                "coach": coach,
                "form": TeamMemberForm(
                    teams=team_list,
                    initial={"team": membership.team_id if membership else ""},
                    prefix=f"coach-{coach.pk}",
                ),
            }
        )
    candidates = list(services.coach_candidates(organisation))
    return render(
        request,
        "ips/teams.html",
        {
            "form": form,
            "teams": [{"team": team, "members": members[team.pk]} for team in team_list],
            "rows": rows,
            "former": [
                (former, TransferForm(candidates=candidates, prefix=f"former-{former.pk}"))
                for former in services.former_coaches(organisation)
            ],
            "has_candidates": bool(candidates),
        },
    )


def _coaches_in(team):
    """The team's members who are trajectbegeleiders: someone whose role changed since stays
    a member (and is back in the team if the role comes back), but no longer counts."""
    return team.members.filter(coach__role=Role.TRAJECTBEGELEIDER)


def _get_team(request, pk):
    """An IPS team of the beheerder's own organisation; anyone else's is a 404."""
    return get_object_or_404(IpsTeam, pk=pk, organisation=request.user.organisation)


@role_required(Role.BEHEERDER, at=OrganisationType.GGZ)
@reauthentication_required(allow_get=True)
def team_edit(request, pk):
    """Rename a team; remove it while nobody is in it and it has no fidelity reviews."""
    team = _get_team(request, pk)
    form = TeamForm(request.POST or None, instance=team, organisation=team.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_event(request, "ips_team_renamed", team_id=team.pk, name=team.name)
        messages.success(request, _("Naam gewijzigd in %(team)s.") % {"team": team})
        return redirect("ips:teams")
    return render(
        request,
        "ips/team_form.html",
        {
            "team": team,
            "form": form,
            "members": _coaches_in(team).count(),
            "reviews": team.reviews.count(),
        },
    )


@require_POST
@role_required(Role.BEHEERDER, at=OrganisationType.GGZ)
@reauthentication_required
def team_delete(request, pk):
    team = _get_team(request, pk)
    if _coaches_in(team).exists() or team.reviews.exists():
        messages.error(
            request,
            _(
                "Niet verwijderd: %(team)s heeft nog trajectbegeleiders of metingen van de "
                "modelgetrouwheid."
            )
            % {"team": team},
        )
        return redirect("ips:team_edit", team.pk)
    audit_event(request, "ips_team_removed", team_id=team.pk)
    team.delete()
    messages.success(request, _("IPS-team %(team)s verwijderd.") % {"team": team})
    return redirect("ips:teams")


@require_POST
@role_required(Role.BEHEERDER, at=OrganisationType.GGZ)
@reauthentication_required
def team_member(request, pk):
    """Place trajectbegeleider ``pk`` of the beheerder's organisation in a team, or in none."""
    organisation = request.user.organisation
    coach = get_object_or_404(User, pk=pk, organisation=organisation, role=Role.TRAJECTBEGELEIDER)
    form = TeamMemberForm(
        request.POST,
        teams=list(IpsTeam.objects.filter(organisation=organisation)),
        prefix=f"coach-{coach.pk}",
    )
    if not form.is_valid():
        messages.error(request, _("Niet opgeslagen: kies een IPS-team uit de lijst."))
        return redirect("ips:teams")
    team = form.cleaned_data["team"]
    audit_event(request, "ips_team_member", team_id=team.pk if team else None, coach_id=coach.pk)
    if team is None:
        TeamMember.objects.filter(coach=coach).delete()
        messages.success(request, _("%(coach)s hoort nu bij geen IPS-team.") % {"coach": coach})
    else:
        TeamMember.objects.update_or_create(coach=coach, defaults={"team": team})
        messages.success(
            request, _("%(coach)s hoort nu bij %(team)s.") % {"coach": coach, "team": team}
        )
    return redirect("ips:teams")


@require_POST
@role_required(Role.BEHEERDER, at=OrganisationType.GGZ)
@reauthentication_required
def transfer(request, pk):
    """Hand the open trajectories of ``pk``, a coach who left (services.former_coaches), over
    to an active trajectbegeleider of the beheerder's organisation. The beheerder sees no
    client data; every change is logged per case on the beheer basis."""
    organisation = request.user.organisation
    former = get_object_or_404(User, pk=pk, organisation=organisation)
    form = TransferForm(
        request.POST,
        candidates=list(services.coach_candidates(organisation)),
        prefix=f"former-{former.pk}",
    )
    back = redirect(reverse("ips:teams") + "#overdragen")
    if not form.is_valid():
        messages.error(
            request, _("Niet overgedragen: kies de trajectbegeleider die de trajecten overneemt.")
        )
        return back
    coach = form.cleaned_data["coach"]
    try:
        with transaction.atomic():
            handed_over = services.transfer_trajectories(request.user, former, coach)
            consent.write_log(
                entry
                for case, trajectory_pk, removed, lapsed in handed_over
                for entry in consent.change_entries(
                    request,
                    case,
                    [
                        ("ips-traject", trajectory_pk, IPS, Action.UPDATE),
                        ("teamlid", coach.pk, Category.IDENTIFICATIE, Action.UPDATE),
                        *(
                            [("teamlid", former.pk, Category.IDENTIFICATIE, Action.UPDATE)]
                            if removed
                            else []
                        ),
                        *(
                            ("uitnodiging", invitation, Category.IDENTIFICATIE, Action.UPDATE)
                            for invitation in lapsed
                        ),
                    ],
                    basis=Basis.BEHEER,
                )
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return back
    audit_event(
        request,
        "ips_trajectories_transferred",
        former_id=former.pk,
        coach_id=coach.pk,
        trajectories=len(handed_over),
    )
    names = {"former": former, "coach": coach, "n": len(handed_over)}
    messages.success(
        request,
        ngettext(
            "%(n)s open traject van %(former)s is overgedragen aan %(coach)s.",
            "%(n)s open trajecten van %(former)s zijn overgedragen aan %(coach)s.",
            len(handed_over),
        )
        % names,
    )
    caseload = Trajectory.objects.open().filter(coach=coach).count()
    if figures.caseload_flagged(caseload):
        messages.warning(
            request,
            _(
                "%(coach)s begeleidt nu %(caseload)s trajecten, meer dan de %(max)s die het "
                "IPS-model per trajectbegeleider aanhoudt."
            )
            % {"coach": coach, "caseload": caseload, "max": CASELOAD_MAX},
        )
    return back


# --- Fidelity reviews -------------------------------------------------------------------------


def _get_review(request, pk):
    team = _own_team(request)
    if team is None:
        raise Http404
    review = (
        FidelityReview.objects.filter(pk=pk, team=team)
        .select_related("created_by", "finished_by")
        .prefetch_related("scores")
        .first()
    )
    if review is None:
        raise Http404
    return review


@login_required
def fidelity_list(request):
    """The IPS-25 reviews of the user's own IPS team."""
    team = _own_team(request)
    if team is None:
        return _no_team(request, _("Modelgetrouwheid (IPS-25)"))
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        review = fidelity.create_review(request.user, team, **form.cleaned_data)
        messages.success(request, _("Meting aangemaakt. Vul de 25 items in."))
        return redirect("ips:fidelity_detail", review.pk)
    reviews = list(
        FidelityReview.objects.filter(team=team)
        .prefetch_related("scores")
        .order_by("-review_date", "-pk")
    )
    rows = [{"review": r, "summary": fidelity.summary(fidelity.scores_of(r))} for r in reviews]
    return render(request, "ips/fidelity_list.html", {"rows": rows, "form": form, "team": team})


def _stored_scores(review):
    """{item: score} and {item: note} as the review's (prefetched) scores hold them."""
    rows = list(review.scores.all())
    return {s.item: s.score for s in rows}, {s.item: s.note for s in rows}


@login_required
def fidelity_detail(request, pk):
    review = _get_review(request, pk)
    scores, notes = _stored_scores(review)
    form = None
    if not review.is_finished:
        form = ScoresForm(request.POST or None, scores=scores, notes=notes, version=review.version)
        if request.method == "POST" and form.is_valid():
            try:
                fidelity.save_scores(review, form.values(), form.cleaned_data["version"])
            except services.ConflictError:
                review.refresh_from_db()  # also drops the prefetched scores: read as stored now
                scores, notes = _stored_scores(review)
                form = _scores_conflict(form, review, scores, notes)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                # "Meting afronden" is a second button of the same form: what was typed is
                # saved first, so finishing never throws it away.
                if request.POST.get("action") == "afronden":
                    _finish(request, review, review.version, saved=True)
                else:
                    messages.success(request, _("Scores opgeslagen."))
                return redirect("ips:fidelity_detail", review.pk)
    elif request.method == "POST":
        messages.error(request, _("Deze meting is afgerond en kan niet meer worden gewijzigd."))
        return redirect("ips:fidelity_detail", review.pk)
    current = fidelity.summary(scores)
    previous = fidelity.previous_review(review)
    previous_scores = fidelity.scores_of(previous) if previous else {}
    previous_summary = fidelity.summary(previous_scores) if previous else None
    items = [
        {
            "code": code,
            "section": section,
            "name": name,
            "original": original,
            "help": help_text,
            "score": scores.get(code),
            "note": notes.get(code, ""),
            "previous": previous_scores.get(code),
        }
        for code, section, name, original, help_text in fidelity.FIDELITY_ITEMS
    ]
    return render(
        request,
        "ips/fidelity_detail.html",
        {
            "review": review,
            "form": form,
            "summary": current,
            "previous": previous,
            "previous_summary": previous_summary,
            "change": fidelity.comparison(current, previous_summary),
            "items": items,
            "finished": review.status == ReviewStatus.AFGEROND,
        },
    )


# A conflict message names the items that differ up to this many; beyond, it counts them.
CONFLICT_ITEMS_NAMED = 5


def _scores_conflict(form, review, scores, notes):
    """Someone saved the review since this user opened it (in another window, or a
    colleague): as the phase form and the profile do, their form again with what they
    typed, now on the stored version (so saving again is a deliberate choice to
    overwrite), and a message that names the items now stored otherwise than typed."""
    typed = form.values()
    differs = [
        str(name)
        for code, _section, name, _original, _help in fidelity.FIDELITY_ITEMS
        if code in typed and typed[code] != (scores.get(code), notes.get(code, ""))
    ]
    data = form.data.copy()
    data["version"] = str(review.version)
    again = ScoresForm(data, scores=scores, notes=notes, version=review.version)
    again.is_valid()
    parts = [services.changed_meanwhile(_("deze meting"))]
    if len(differs) > CONFLICT_ITEMS_NAMED:
        parts.append(
            _("Bij %(n)s items staat nu iets anders dan wat u invulde.") % {"n": len(differs)}
        )
    elif differs:
        parts.append(_("Nu anders dan wat u invulde: %(items)s.") % {"items": ", ".join(differs)})
    else:
        parts.append(_("Wat u invulde, stond intussen al zo opgeslagen."))
    if differs:
        parts.append(
            _(
                "Hieronder staat wat u invulde. Sla opnieuw op om dat te bewaren; de uitslag "
                "bovenaan is de opgeslagen stand."
            )
        )
    again.add_error(None, " ".join(str(part) for part in parts))
    return again


def _finish(request, review, version, saved=False):
    """Finish the review and say how that went; ``saved``: the scores were just saved."""
    refused = _("Scores opgeslagen, maar niet afgerond:") if saved else _("Niet afgerond:")
    try:
        fidelity.finish_review(review, request.user, version)
    except services.ConflictError:
        messages.error(request, services.changed_meanwhile(_("de meting"), refused))
    except ValidationError as exc:
        messages.error(request, f"{refused} {' '.join(exc.messages)}")
    else:
        messages.success(request, _("Meting afgerond. Ze is nu alleen nog te lezen."))


@require_POST
@login_required
def fidelity_finish(request, pk):
    """Finish with the scores as stored (the page's own button saves the form first)."""
    review = _get_review(request, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:  # the page always sends it: not a change by someone else
        messages.error(request, _("Niet afgerond: vernieuw de pagina en probeer het opnieuw."))
    else:
        _finish(request, review, version)
    return redirect("ips:fidelity_detail", review.pk)


@require_POST
@login_required
def fidelity_report(request, pk):
    """A finished review as a PDF: section scores, band and the change since the last."""
    review = _get_review(request, pk)
    if not review.is_finished:
        messages.error(request, _("Een rapport kan pas als de meting is afgerond."))
        return redirect("ips:fidelity_detail", review.pk)
    return requested(
        request,
        ReportType.IPS_MODELGETROUWHEID,
        _("IPS-modelgetrouwheid: meting van %(date)s")
        % {"date": date_format(review.review_date, "j F Y")},
        params={"review": review.pk, "team": review.team_id},
    )
