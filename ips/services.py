"""The public Python API of ips/: the referral hooks, the phase machine and everything an
IPS-trajectbegeleider records. Access decisions come from consent.services (via the
CaseAccess the caller holds); figures live in ips.figures, fidelity in ips.fidelity."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as cases
from cases.constants import CaseRole, CaseStatus, InvitationStatus, TimelineKind
from cases.models import Case, Invitation
from consent import services as consent
from consent.constants import Category
from portal.constants import Role
from portal.models import User

from .constants import (
    AFTER_INTAKE,
    PLACEMENT_PHASES,
    TRANSITIONS,
    CloseReason,
    Phase,
    PlacementEndReason,
)
from .models import (
    IpsTeam,
    PhaseChange,
    Trajectory,
)

# Timeline kinds used for IPS events until cases/ has a kind of its own for them.
TIMELINE_PHASE = TimelineKind.STATUS
TIMELINE_PLACEMENT = TimelineKind.STATUS


# Someone else saved first (trajectory, profile, job or review): one exception for all.
ConflictError = cases.ConflictError
changed_meanwhile = cases.changed_meanwhile
stored_now = cases.stored_now
typed_again = cases.typed_again


# --- Who may do what (on top of the role table in consent/policy.py) ---------------------


def team_of(user):
    """The IPS team ``user`` belongs to (in their own organisation), or None."""
    if user.organisation_id is None:
        return None
    return (
        IpsTeam.objects.filter(members__coach=user, organisation_id=user.organisation_id)
        .select_related("organisation")
        .first()
    )


def in_team(user, team_id):
    """The IPS team ``team_id`` if ``user`` belongs to it, else None."""
    team = team_of(user)
    return team if team is not None and team.pk == team_id else None


def can_write(access):
    """May record new IPS data on this case (only trajectbegeleiders, per the role table)."""
    return cases.write_allowed(access, Category.IPS)


def can_update(access, record):
    """May change a record: IPS data held by the user's own organisation."""
    return access.can_update(Category.IPS, record.organisation_id)


# --- Referral hooks (called by cases.services) -------------------------------------------


class OpenTrajectory(ValidationError):
    """on_referral refused: the client has an open trajectory, ``trajectory`` (None when a
    parallel referral's was gone again by the time it was asked for). That it runs is IPS
    data of the organisation that runs it: the caller says it only to who may read that
    (cases.services.refer)."""

    def __init__(self, trajectory):
        super().__init__(
            _(
                "Deze cliënt heeft al een lopend IPS-traject. Een nieuwe verwijzing naar IPS "
                "kan pas als dat traject is afgesloten."
            )
        )
        self.trajectory = trajectory


def _open_trajectory_of(client_id):
    return (
        Trajectory.objects.open()
        .filter(client_id=client_id)
        .select_related("organisation", "referral__organisation", "referral__invited_by")
        .first()
    )


def on_referral(referral):
    """A referral to an IPS team was created: the trajectory starts in phase 'aangemeld',
    without a coach yet. Raises OpenTrajectory (and nothing is saved, if the caller runs in
    a transaction) when the client already has an open trajectory."""
    if referral.case_role != CaseRole.TRAJECTBEGELEIDER:
        return None
    case = referral.case
    running = _open_trajectory_of(case.client_id)
    if running is not None:
        raise OpenTrajectory(running)
    now = timezone.now()
    try:
        with transaction.atomic():
            trajectory = Trajectory.objects.create(
                case=case,
                client_id=case.client_id,
                organisation_id=referral.organisation_id,
                referral=referral,
                referred_at=now,
            )
    except IntegrityError as exc:  # a parallel referral won
        raise OpenTrajectory(_open_trajectory_of(case.client_id)) from exc
    PhaseChange.objects.create(
        trajectory=trajectory,
        organisation_id=referral.organisation_id,
        from_phase="",
        to_phase=Phase.AANGEMELD,
        changed_on=timezone.localdate(now),
        recorded_by=referral.invited_by,
    )
    return trajectory


def on_referral_accepted(referral, user):
    """A trajectbegeleider accepted the referral: they become the coach. Never of a
    trajectory that has one: a colleague on the team who takes the trajectory on answers the
    referral (change_phase), so only a referral left open from before that was so gets here;
    the acceptance is refused (ValidationError) and the coach keeps their trajectory.
    cases.respond holds the case row, so no coach is set meanwhile."""
    if referral.case_role != CaseRole.TRAJECTBEGELEIDER:
        return None
    trajectory = Trajectory.objects.filter(referral=referral).select_related("coach").first()
    if trajectory is None:  # referral made before the hook existed
        trajectory = on_referral(referral)
    if trajectory.coach_id is not None and trajectory.coach_id != user.pk:
        raise ValidationError(
            _(
                "Dit IPS-traject heeft al een trajectbegeleider: %(coach)s. Aannemen kan niet "
                "meer; wijs de verwijzing af, met als reden dat het traject al begeleid wordt."
            )
            % {"coach": trajectory.coach}
        )
    Trajectory.objects.filter(pk=trajectory.pk, coach__isnull=True).update(
        coach=user, version=F("version") + 1
    )
    trajectory.refresh_from_db()
    return trajectory


def on_referral_declined(referral, user, reason="", *, withdrawn=False):
    """The referral was declined (or, ``withdrawn``, lapsed with its case) before anyone
    started: the trajectory that never began is closed, so that a new referral can be made.
    Only while it is still waiting: a trajectbegeleider who took it on in the meantime keeps
    it (the update is conditional, so it never overwrites their intake)."""
    trajectory = Trajectory.objects.filter(referral=referral).first()
    if trajectory is None or trajectory.phase != Phase.AANGEMELD:
        return trajectory
    today = timezone.localdate()
    note = (
        _("Verwijzing ingetrokken: %(reason)s")
        if withdrawn
        else _("Verwijzing niet aangenomen. %(reason)s")
    ) % {"reason": reason}
    closed = Trajectory.objects.filter(
        pk=trajectory.pk, phase=Phase.AANGEMELD, coach__isnull=True
    ).update(
        phase=Phase.AFGESLOTEN,
        closed_on=today,
        close_reason=CloseReason.ANDERS,
        close_note=note,
        version=F("version") + 1,
    )
    if closed:
        PhaseChange.objects.create(
            trajectory=trajectory,
            organisation_id=trajectory.organisation_id,
            from_phase=Phase.AANGEMELD,
            to_phase=Phase.AFGESLOTEN,
            changed_on=today,
            note=reason,
            recorded_by=user,
        )
    trajectory.refresh_from_db()
    return trajectory


# --- The phase machine -------------------------------------------------------------------


def running_on(placements, day):
    """The jobs among ``placements`` that run on ``day``: from their start date up to and
    including their end date, as the dashboard counts them; never one that did not go
    ahead."""
    return [
        p
        for p in placements
        if p.went_ahead and p.start_date <= day and (p.end_date is None or p.end_date >= day)
    ]


def allowed_next(trajectory, placements=()):
    """Phases this trajectory may move to by hand. 'Aan het werk' follows the recording of
    a job that has started; by hand only once one of ``placements`` (the trajectory's jobs,
    as far as the caller has them) runs today: a job recorded ahead of its start."""
    targets = set(TRANSITIONS[Phase(trajectory.phase)])
    if not running_on(placements, timezone.localdate()):
        targets.discard(Phase.GEPLAATST)
    return [p for p in Phase if p in targets]


def check_transition(trajectory, to_phase, changed_on, *, close_reason="", wants_paid_work=None):
    """Raise a Dutch ValidationError when the move is not allowed; return nothing. The
    error's code names the PhaseForm field it belongs to, so the form shows it there."""
    current = Phase(trajectory.phase)
    to_phase = Phase(to_phase)
    if to_phase == current:
        raise ValidationError(_("Het traject staat al in deze fase."), code="to_phase")
    if to_phase not in TRANSITIONS[current]:
        if current == Phase.AANGEMELD:
            raise ValidationError(
                _(
                    "Een aangemeld traject gaat eerst naar de intake. Vraag daar alleen of "
                    "de cliënt betaald werk wil; er is geen selectie."
                ),
                code="to_phase",
            )
        if current == Phase.AFGESLOTEN:
            raise ValidationError(
                _("Dit traject is afgesloten. Verwijs opnieuw voor een nieuw traject."),
                code="to_phase",
            )
        raise ValidationError(
            _("Van fase ‘%(from)s’ kan het traject niet naar fase ‘%(to)s’.")
            % {"from": current.label, "to": to_phase.label},
            code="to_phase",
        )
    if current == Phase.INTAKE and to_phase in AFTER_INTAKE:
        wants = trajectory.wants_paid_work if wants_paid_work is None else wants_paid_work
        if wants is None:
            raise ValidationError(
                _(
                    "Vul eerst de intakevraag in: wil de cliënt betaald werk? Alleen bij ‘ja’ "
                    "gaat het traject verder; anders sluit u het af."
                ),
                code="wants_paid_work",
            )
        if wants is False:
            # Answered, with no: not "fill in the question" (a tester had).
            raise ValidationError(
                _(
                    "De cliënt wil nu geen betaald werk: dan gaat het traject niet verder naar "
                    "‘%(to)s’. Sluit het af, of antwoord ‘ja’ als de cliënt toch betaald werk "
                    "wil."
                )
                % {"to": to_phase.label},
                code="wants_paid_work",
            )
    if to_phase == Phase.AFGESLOTEN and not close_reason:
        raise ValidationError(
            _("Kies een reden om het traject af te sluiten."), code="close_reason"
        )
    if to_phase == Phase.AFGESLOTEN:
        _refuse_job_after_close(trajectory, changed_on)
    if to_phase == Phase.GEPLAATST:
        placements = list(trajectory.placements.went_ahead())
        if not running_on(placements, changed_on):
            later = [p.start_date for p in placements if p.start_date > changed_on]
            if later:
                raise ValidationError(
                    _("De baan begint pas op %(date)s; vanaf dan staat de cliënt aan het werk.")
                    % {"date": min(later).strftime("%d-%m-%Y")},
                    code="to_phase",
                )
            raise ValidationError(
                _("Leg eerst de baan vast; dan staat de cliënt aan het werk."), code="to_phase"
            )
    today = timezone.localdate()
    if changed_on > today:
        raise ValidationError(
            _("De datum van een faseovergang ligt niet in de toekomst."), code="changed_on"
        )
    last = trajectory.phases.order_by("-changed_on").values_list("changed_on", flat=True).first()
    earliest = last or timezone.localdate(trajectory.referred_at)
    if changed_on < earliest:
        raise ValidationError(
            _("De datum ligt vóór de vorige faseovergang (%(date)s).")
            % {"date": earliest.strftime("%d-%m-%Y")},
            code="changed_on",
        )


def _refuse_job_after_close(trajectory, closed_on):
    """Closing leaves the jobs as they are: a closed trajectory is read-only, so a job that
    runs at the close keeps running in the record (the client still works there). A job
    with no end that starts only after ``closed_on`` never ran within the trajectory, and
    would read 'loopt' for good: closing per that date waits until its end is recorded.

    The refusal says only what can be done now. A close is never dated ahead, so for a
    job still to start: record that it does not go ahead, or close from its start date on.
    For one that has started (the close is dated back to before its start): record its end,
    or date the close on its start or later."""
    later = (
        trajectory.placements.filter(start_date__gt=closed_on, end_date__isnull=True)
        .order_by("start_date", "pk")
        .first()
    )
    if later is None:
        return
    job = {
        "job": later.job_title,
        "employer": later.employer,
        "date": later.start_date.strftime("%d-%m-%Y"),
    }
    if not later.has_started:
        message = _(
            "De baan %(job)s bij %(employer)s begint op %(date)s, na de datum van afsluiten; "
            "na het afsluiten kan die baan niet meer worden beëindigd. Gaat de baan niet "
            "door? Leg dat dan eerst vast bij de baan (‘Einde vastleggen’, reden "
            "‘%(reason)s’). Gaat hij wel door, dan kan het traject vanaf %(date)s worden "
            "afgesloten."
        ) % {**job, "reason": PlacementEndReason.NIET_DOORGEGAAN.label}
    else:
        message = (
            _(
                "De baan %(job)s bij %(employer)s begint op %(date)s, na de datum van afsluiten; "
                "na het afsluiten kan die baan niet meer worden beëindigd. Leg eerst het einde "
                "van die baan vast, of sluit het traject af per %(date)s of later."
            )
            % job
        )
    raise ValidationError(message, code="to_phase")


@transaction.atomic
def change_phase(
    trajectory,
    user,
    to_phase,
    changed_on=None,
    *,
    note="",
    close_reason="",
    close_note="",
    wants_paid_work=None,
    expected_version=None,
):
    """Move the trajectory to ``to_phase`` per ``changed_on`` (default today): checked
    against the phase machine, recorded in the history and on the case timeline.

    Moving a trajectory on from 'aangemeld' takes it on: ``user`` becomes its coach, and
    the referral that started it, if still open, is answered as accepted by them (it drops
    off the IPS team's list; a colleague can no longer accept it and take the trajectory
    away). The returned change's ``answered_referral`` is that referral's id, else None."""
    if trajectory.phase == Phase.AANGEMELD and trajectory.coach_id is None:
        _lock_to_take_on(trajectory, user)
    current = Trajectory.objects.select_for_update().get(pk=trajectory.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError([(_("fase"), current.get_phase_display())])
    changed_on = changed_on or timezone.localdate()
    check_transition(
        current,
        to_phase,
        changed_on,
        close_reason=close_reason,
        wants_paid_work=wants_paid_work,
    )
    from_phase = current.phase
    current.phase = to_phase
    if wants_paid_work is not None:
        current.wants_paid_work = wants_paid_work
    taking_on = current.coach_id is None and from_phase == Phase.AANGEMELD
    if taking_on:
        current.coach = user
    if to_phase == Phase.AFGESLOTEN:
        current.closed_on, current.close_reason, current.close_note = (
            changed_on,
            close_reason,
            close_note,
        )
    current.version += 1
    current.save()
    change = PhaseChange.objects.create(
        trajectory=current,
        organisation=user.organisation,
        from_phase=from_phase,
        to_phase=to_phase,
        changed_on=changed_on,
        note=note,
        recorded_by=user,
    )
    change.answered_referral = None
    if taking_on and current.referral_id is not None:
        answered = Invitation.objects.filter(
            pk=current.referral_id, status=InvitationStatus.OPEN
        ).update(
            status=InvitationStatus.GEACCEPTEERD, responded_by=user, responded_at=timezone.now()
        )
        change.answered_referral = current.referral_id if answered else None
    title = _("IPS-fase: %(phase)s (per %(date)s)") % {
        "phase": Phase(to_phase).label,
        "date": changed_on.strftime("%d-%m-%Y"),
    }
    if to_phase == Phase.AFGESLOTEN:
        title += " — " + CloseReason(close_reason).label
    cases.add_timeline(current.case, user, TIMELINE_PHASE, Category.IPS, title, body=note)
    for name in ("phase", "wants_paid_work", "coach_id", "closed_on", "close_reason", "version"):
        setattr(trajectory, name, getattr(current, name))
    trajectory.close_note = current.close_note
    return change


def _lock_to_take_on(trajectory, user):
    """Before a waiting trajectory is taken on (change_phase): lock as cases.respond does,
    the case row first, then the open referral (the trajectory comes next). A colleague who
    accepts the referral at this moment waits, or is waited for and then finds it answered;
    leaving the team (cases.leave) waits too, so the new coach is still on the team."""
    case = Case.objects.select_for_update(no_key=True).get(pk=trajectory.case_id)
    if not consent.case_roles_of(user, case):
        raise ValidationError(
            _(
                "U zit niet meer in het team van deze casus en kunt dit traject dus niet "
                "oppakken. Vraag wie de regie voert u opnieuw uit te nodigen."
            )
        )
    if trajectory.referral_id is not None:
        Invitation.objects.select_for_update().filter(
            pk=trajectory.referral_id, status=InvitationStatus.OPEN
        ).first()


# --- Beroepsprofiel --------------------------------------------------------------------------


def save_profile(trajectory, profile, form, user):
    """Create the profile, or save an edit unless someone else saved first (history kept
    by cases.services.save_versioned). Raises ConflictError on a lost race."""
    profile.updated_by = user
    profile.updated_at = timezone.now()
    if profile.pk is None:
        profile.trajectory = trajectory
        profile.organisation = user.organisation
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError as exc:
            # Made at the same moment in another tab or by a colleague: theirs is stored.
            profile.pk = None
            raise ConflictError([]) from exc
        return profile
    if form.cleaned_data.get("version") is None:
        # Opened before anyone had made the profile: someone has since.
        raise ConflictError([])
    return cases.save_versioned(profile, form, user, trajectory.case)


# --- Employer contacts, placements, follow-along -------------------------------------------


def record_employer_contact(contact, user, trajectory=None):
    contact.coach = user
    contact.organisation = user.organisation
    contact.trajectory = trajectory
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def record_placement(trajectory, placement, user):
    """Record a job; a trajectory that was searching (or in follow-along) is then 'aan het
    werk', as a dated phase change on the timeline. Not for a job that starts later: like
    the dashboard, the phase counts a job from its start date, and a phase change is never
    dated ahead; the trajectbegeleider moves it by hand from the start date. The returned
    placement's ``phase_change`` is that change (for the access log), else None."""
    trajectory = Trajectory.objects.select_for_update().get(pk=trajectory.pk)
    if trajectory.phase not in PLACEMENT_PHASES:
        raise ValidationError(
            _("Een baan leggen we vast vanaf de fase ‘%(phase)s’.") % {"phase": Phase.ZOEKEN.label}
        )
    placement.trajectory = trajectory
    placement.organisation = user.organisation
    placement.recorded_by = user
    placement.full_clean()
    placement.save()
    today = timezone.localdate()
    starts_later = placement.start_date > today
    cases.add_timeline(
        trajectory.case,
        user,
        TIMELINE_PLACEMENT,
        Category.IPS,
        (
            _("Baan gevonden: %(job)s bij %(employer)s, begint op %(date)s")
            if starts_later
            else _("Aan het werk: %(job)s bij %(employer)s, vanaf %(date)s")
        )
        % {
            "job": placement.job_title,
            "employer": placement.employer,
            "date": placement.start_date.strftime("%d-%m-%Y"),
        },
    )
    placement.phase_change = None
    if trajectory.phase != Phase.GEPLAATST and not starts_later:
        last = trajectory.phases.order_by("-changed_on").values_list("changed_on", flat=True)
        last = last.first() or timezone.localdate(trajectory.referred_at)
        changed_on = max(last, placement.start_date)
        placement.phase_change = change_phase(trajectory, user, Phase.GEPLAATST, changed_on)
    return placement


def end_placement(placement, form, user):
    """End a job (date and reason), or record that it does not go ahead, unless someone
    else changed it first."""
    placement = cases.save_versioned(placement, form, user, placement.trajectory.case)
    if not placement.went_ahead:
        title = _("Baan gaat niet door: %(job)s bij %(employer)s (zou beginnen op %(date)s)")
        date = placement.start_date
    elif placement.end_date > timezone.localdate():
        title = _("Baan eindigt: %(job)s bij %(employer)s per %(date)s (%(reason)s)")
        date = placement.end_date
    else:
        title = _("Baan beëindigd: %(job)s bij %(employer)s per %(date)s (%(reason)s)")
        date = placement.end_date
    cases.add_timeline(
        placement.trajectory.case,
        user,
        TIMELINE_PLACEMENT,
        Category.IPS,
        title
        % {
            "job": placement.job_title,
            "employer": placement.employer,
            "date": date.strftime("%d-%m-%Y"),
            "reason": placement.get_end_reason_display(),
        },
    )
    return placement


def record_follow_along(trajectory, contact, user):
    contact.trajectory = trajectory
    contact.organisation = user.organisation
    contact.recorded_by = user
    contact.full_clean()
    contact.save()
    return contact


# --- Handing over the open trajectories of a coach who left (beheer) ----------------------


def _transferable(organisation, prefix=""):
    """Open trajectories of ``organisation``'s IPS teams on open cases: those a new coach
    can take over (an open trajectory on a closed case takes nothing more)."""
    return Q(
        **{
            f"{prefix}organisation": organisation,
            f"{prefix}case__status": CaseStatus.OPEN,
        }
    ) & ~Q(**{f"{prefix}phase": Phase.AFGESLOTEN})


def leaving_refused(access, member):
    """Why ``member`` may not leave the team of ``access.case`` now (leaving themselves, or
    taken off by whoever leads), as a message; or None. Called by cases.leave, which holds
    the case row (every change of coach locks it first).

    The active trajectbegeleider who coaches the IPS trajectory that runs on the case stays
    on its team until that trajectory is closed: off the team nobody could update, close or
    hand it over, while it stayed on their caseload and kept the case from closing. Who left
    the organisation or the function may go: the beheerder hands their trajectories over
    (former_coaches). Whether IPS runs is IPS data: a lead who may not read it hears only
    that a trajectory runs, as when closing the case."""
    if not member.is_active or member.role != Role.TRAJECTBEGELEIDER:
        return None
    trajectory = (
        Trajectory.objects.open()
        .filter(case_id=access.case.pk, case__status=CaseStatus.OPEN, coach=member)
        .select_related("organisation")
        .first()
    )
    if trajectory is None:
        return None
    if member == access.user:
        return _(
            "U begeleidt het lopende IPS-traject in deze casus en blijft in het team zolang "
            "het loopt: zonder u kan niemand het bijwerken, afsluiten of overdragen. Sluit "
            "het traject eerst af; daarna kunt u het team verlaten. Gaat u uit dienst of "
            "krijgt u een andere functie, dan draagt de beheerder van uw organisatie het "
            "traject over aan een collega."
        )
    names = {"name": member, "org": trajectory.organisation}
    if not access.can_read(Category.IPS, trajectory.organisation_id):
        return (
            _(
                "%(name)s heeft in deze casus nog een lopend traject en blijft in het team "
                "zolang dat loopt. Overleg met %(name)s."
            )
            % names
        )
    return (
        _(
            "%(name)s begeleidt het lopende IPS-traject in deze casus en blijft in het team "
            "zolang het loopt. Vraag %(name)s het traject af te sluiten; daarna kunt u "
            "%(name)s uit het team halen. Gaat %(name)s uit dienst, dan draagt de beheerder "
            "van %(org)s het traject over aan een collega."
        )
        % names
    )


def former_coaches(organisation):
    """Users who still coach open trajectories of ``organisation`` but can no longer do so:
    deactivated, or no longer a trajectbegeleider. Nobody works on those trajectories until
    the beheerder hands them over (transfer_trajectories). Each with ``open_trajectories``;
    one query. A beheerder sees names and numbers only, no client data."""
    return (
        User.objects.filter(organisation=organisation)
        .filter(Q(is_active=False) | ~Q(role=Role.TRAJECTBEGELEIDER))
        .annotate(
            open_trajectories=Count(
                "ips_trajectories", filter=_transferable(organisation, "ips_trajectories__")
            )
        )
        .filter(open_trajectories__gt=0)
        .order_by("sort_name", "first_name", "pk")
    )


def coach_candidates(organisation):
    """Who can take trajectories over: the active trajectbegeleiders of ``organisation``,
    each with ``caseload`` (their open trajectories), so the beheerder can keep to the IPS
    model's caseload. One query."""
    return (
        User.objects.filter(organisation=organisation, is_active=True, role=Role.TRAJECTBEGELEIDER)
        .annotate(
            caseload=Count("ips_trajectories", filter=~Q(ips_trajectories__phase=Phase.AFGESLOTEN))
        )
        .order_by("sort_name", "first_name", "pk")
    )


@transaction.atomic
def transfer_trajectories(beheerder, former, coach):
    """The beheerder hands the open trajectories of ``former`` (see former_coaches) over to
    ``coach``, an active trajectbegeleider of the same organisation. Per case: ``coach``
    becomes the trajectory's coach and takes a place on the team as trajectbegeleider;
    ``former``'s place as trajectbegeleider goes; ``coach``'s open invitations to the case
    lapse (accepting one would replace the new place); a timeline entry says so.

    Every case row is locked first, in one go and in id order (team changes lock the case,
    then the trajectory): the caller writes the access log only after this returns, as
    write_log asks. Returns one (case, trajectory id, former's place removed, lapsed
    invitation ids) per trajectory handed over."""
    organisation = beheerder.organisation
    if beheerder.role != Role.BEHEERDER or former.organisation_id != organisation.pk:
        raise ValidationError(_("Alleen de beheerder van de organisatie draagt trajecten over."))
    if not coach_candidates(organisation).filter(pk=coach.pk).exists():
        raise ValidationError(
            _("%(name)s kan geen trajecten overnemen: kies een actieve trajectbegeleider.")
            % {"name": coach}
        )
    if not former_coaches(organisation).filter(pk=former.pk).exists():
        raise ValidationError(
            _(
                "%(name)s heeft geen open trajecten meer die een nieuwe trajectbegeleider "
                "nodig hebben."
            )
            % {"name": former}
        )
    transferable = Trajectory.objects.filter(_transferable(organisation), coach=former)
    cases_by_pk = cases.lock_cases(transferable.values("case_id"))
    trajectories = list(
        # Only the trajectory rows: the join to the case must not lock it FOR UPDATE too.
        Trajectory.objects.select_for_update(of=("self",))
        .filter(_transferable(organisation), coach=former, case_id__in=list(cases_by_pk))
        .order_by("case_id", "pk")
    )
    handed_over = []
    for trajectory in trajectories:
        case = cases_by_pk[trajectory.case_id]
        Trajectory.objects.filter(pk=trajectory.pk).update(coach=coach, version=F("version") + 1)
        consent.add_member(case, coach, CaseRole.TRAJECTBEGELEIDER)
        # Only their place as coach: someone invited back in a role of their new function keeps it.
        removed = consent.case_roles_of(former, case) == {CaseRole.TRAJECTBEGELEIDER}
        if removed:
            consent.remove_member(case, former)
        lapsed = Invitation.objects.filter(case=case, invitee=coach, status=InvitationStatus.OPEN)
        lapsed_ids = list(lapsed.values_list("pk", flat=True))
        lapsed.update(status=InvitationStatus.INGETROKKEN)
        cases.add_timeline(
            case,
            beheerder,
            TimelineKind.TEAM,
            Category.IPS,
            _("IPS-traject overgedragen van %(former)s aan %(coach)s (door de beheerder)")
            % {"former": former, "coach": coach},
            about=coach,
        )
        handed_over.append((case, trajectory.pk, removed, lapsed_ids))
    if not handed_over:  # a parallel hand-over took them first
        raise ValidationError(
            _("%(name)s heeft geen open trajecten meer die overgedragen moeten worden.")
            % {"name": former}
        )
    return handed_over
