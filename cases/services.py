"""The public Python API of cases/: registering clients, opening cases, the team, and
everything that lands on the timeline. Access decisions come from consent.services."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent import policy
from consent import services as consent
from consent.constants import Action, Category
from consent.policy import CASE_ROLES_BY_ROLE, fitting_case_roles
from portal.constants import Role
from portal.words import in_words

from .constants import CaseRole, CaseStatus, InvitationStatus, TimelineKind
from .models import Case, CaseMember, ChangeRecord, Client, Invitation, TimelineEntry


def changed_meanwhile(subject, refused=None):
    """The one message for a save that lost the race (optimistic locking). Whether the other
    save came from this user's own other window or from a colleague is not known, so it
    names both: never 'iemand anders' when it may have been the user. ``refused`` says what
    did not happen (default: 'Niet opgeslagen:')."""
    what = _("%(subject)s is intussen gewijzigd, in een ander venster of door een collega.") % {
        "subject": subject
    }
    return f"{refused or _('Niet opgeslagen:')} {what}"


def stored_now(changes):
    """What a save that lost the race finds stored: 'Wat er nu staat: label: value, …' for
    a ConflictError's ``changes``."""
    what = ", ".join(f"{label}: {value or '—'}" for label, value in changes)
    return _("Wat er nu staat: %(what)s.") % {"what": what}


def typed_again(make, form, version, subject, changes, back_to):
    """After a save that lost the race (ConflictError with ``changes``): the form built
    again by ``make(data)`` from what the user typed, now on the stored ``version`` (saving
    again is then a deliberate choice to overwrite what is stored), with the message that
    says so, what is stored now and where to see it (``back_to``: 'het traject', …)."""
    data = form.data.copy()
    data["version"] = str(version)
    again = make(data)
    again.is_valid()
    again.add_error(
        None,
        " ".join(
            [
                changed_meanwhile(subject),
                stored_now(changes),
                _(
                    "Hieronder staat wat u invulde. Sla opnieuw op om dat te bewaren, of ga "
                    "terug naar %(place)s om de nieuwe stand te bekijken."
                )
                % {"place": back_to},
            ]
        ),
    )
    return again


class ConflictError(Exception):
    """Another save came first: from a colleague, or from the same user in another window.
    ``changes`` lists (field label, theirs)."""

    def __init__(self, changes):
        super().__init__(changed_meanwhile(_("dit gegeven")))
        self.changes = changes


# The case role in which a user of each role opens and leads their organisation's cases.
LEAD_ROLE_BY_ROLE = {
    Role.BEHANDELAAR: CaseRole.REGIEBEHANDELAAR,
    Role.KLANTMANAGER: CaseRole.KLANTMANAGER,
}

# The one answer to a write on a closed case, wherever it comes from.
CASE_CLOSED_MESSAGE = gettext_lazy(
    "De casus is gesloten. Hij blijft leesbaar, maar er komt niets meer bij."
)


def ensure_open(case):
    """The one rule for new entries on a case: a closed case takes none. Raises a
    ValidationError with CASE_CLOSED_MESSAGE."""
    if not case.is_open:
        raise ValidationError(CASE_CLOSED_MESSAGE)


# Closing waits while IPS runs: a closed case takes nothing more, and the trajectory would
# stand still (and keep the client from a new referral) with nobody able to end it.
IPS_RUNNING_MESSAGE = gettext_lazy(
    "Er loopt nog een IPS-traject in deze casus. Sluit de casus als de trajectbegeleider dat "
    "traject heeft afgesloten; overleg zo nodig met de trajectbegeleider (is die uit dienst, "
    "dan draagt de beheerder het traject over aan een collega)."
)
# The same refusal for a lead who may not read IPS data: whether IPS runs is not theirs.
TEAM_WORK_RUNNING_MESSAGE = gettext_lazy(
    "Deze casus kan nog niet worden gesloten: een teamlid heeft er nog een lopend traject. "
    "Overleg met het team."
)


class IpsRunning(ValidationError):
    """close_case found a running IPS trajectory (running_ips) and closed nothing."""

    def __init__(self):
        super().__init__(TEAM_WORK_RUNNING_MESSAGE)


def running_ips(case):
    """The IPS trajectory a trajectbegeleider took on that is still open on ``case``, or
    None. (A referral nobody accepted yet lapses when the case closes.) Whether it runs is
    IPS data: show it only to who may read it."""
    from ips.models import Trajectory  # ips builds on cases: import at call time

    return Trajectory.objects.open().filter(case=case, coach__isnull=False).first()


@transaction.atomic
def close_case(user, case):
    """Close ``case`` for good (the caller checked that ``user`` leads it). Refused
    (IpsRunning) while an IPS trajectory runs. Open invitations and referrals lapse; a
    referral to IPS that nobody accepted closes its trajectory, so that the client can be
    referred again from a new case.

    The case row is locked by the update first (respond locks it before the invitation and
    the trajectory, so an invitation accepted meanwhile is seen here); after the lapsed
    referrals' trajectories are updated (which waits for a coach taking one on), IPS is
    asked again. Returns the ids of the lapsed invitations, or None when a parallel request
    closed the case first."""
    from ips import services as ips_services  # ips builds on cases: import at call time

    closed = Case.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
        status=CaseStatus.GESLOTEN, closed_at=timezone.now(), version=F("version") + 1
    )
    if not closed:
        return None
    if running_ips(case) is not None:
        raise IpsRunning
    lapsing = list(
        Invitation.objects.select_for_update()
        .filter(case=case, status=InvitationStatus.OPEN)
        .order_by("pk")
    )
    for invitation in lapsing:
        if invitation.is_referral:
            ips_services.on_referral_declined(
                invitation, user, _("casus gesloten."), withdrawn=True
            )
    if running_ips(case) is not None:
        raise IpsRunning
    Invitation.objects.filter(pk__in=[i.pk for i in lapsing]).update(
        status=InvitationStatus.INGETROKKEN
    )
    add_timeline(case, user, TimelineKind.STATUS, Category.IDENTIFICATIE, _("Casus gesloten"))
    return [i.pk for i in lapsing]


def team_news_category(case_roles):
    """The category of team news about a place (or places) in ``case_roles``: that an
    IPS-trajectbegeleider joins says the client has IPS, IPS data (CaseAccess.visible_team
    shows such a place only to who may read it); any other place is identificatie."""
    if set(case_roles) == {CaseRole.TRAJECTBEGELEIDER}:
        return Category.IPS
    return Category.IDENTIFICATIE


def add_timeline(case, user, kind, category, title, body="", organisation=None, about=None):
    """Write one entry, held by ``organisation`` (default: the author's). Team news about a
    person names them in ``about``: only who knows of their organisation reads it
    (consent.services.team_news)."""
    entry = TimelineEntry.objects.create(
        case=case,
        organisation=organisation or user.organisation,
        author=user,
        kind=kind,
        category=category,
        title=title,
        body=body,
        subject_organisation_id=about.organisation_id if about is not None else None,
    )
    return entry


def find_duplicate_client(organisation, bsn):
    return Client.objects.filter(organisation=organisation, bsn=bsn).first()


# The one answer to a second registration of a BSN in an organisation: the registration
# form's own check (cases.forms.ClientForm.clean) and register_client say the same.
DUPLICATE_BSN_MESSAGE = gettext_lazy("Er is al een cliënt met dit BSN in uw organisatie.")


class DuplicateClient(ValidationError):
    """register_client found the BSN registered in the organisation already; ``client`` is
    that registration. The message is at the field 'bsn', as the form puts it."""

    def __init__(self, client):
        super().__init__({"bsn": [DUPLICATE_BSN_MESSAGE]})
        self.client = client


@transaction.atomic
def register_client(user, **data):
    """Register a client of ``user``'s organisation. A BSN the organisation registered
    already is refused (DuplicateClient), also when a colleague registered it at the same
    moment, after the form had checked: the unique index refuses the second insert, inside
    a savepoint, so the caller's transaction stays usable."""
    client = Client(organisation=user.organisation, created_by=user, **data)
    try:
        client.full_clean()
        with transaction.atomic():
            client.save()
    except (ValidationError, IntegrityError) as exc:
        # full_clean sees a registration committed before it; the index also one committed
        # while this one was on its way.
        duplicate = find_duplicate_client(user.organisation, client.bsn)
        if duplicate is None:
            raise
        raise DuplicateClient(duplicate) from exc
    return client


@transaction.atomic
def open_case(user, client):
    """Open a case for one of the organisation's own clients; the opener joins the team as
    regiebehandelaar (GGZ) or klantmanager (W&I)."""
    if client.organisation_id != user.organisation_id:
        raise ValidationError(
            _("U kunt alleen een casus openen voor een cliënt van uw eigen organisatie.")
        )
    case_role = LEAD_ROLE_BY_ROLE.get(user.role)
    if case_role is None:
        raise ValidationError(_("Alleen een behandelaar of klantmanager opent een casus."))
    if Case.objects.filter(client=client, status=CaseStatus.OPEN).exists():
        raise ValidationError(_("Deze cliënt heeft al een open casus."))
    try:
        with transaction.atomic():
            case = Case.objects.create(
                client=client, organisation=user.organisation, opened_by=user
            )
    except IntegrityError as exc:  # a parallel request opened one first
        raise ValidationError(_("Deze cliënt heeft al een open casus.")) from exc
    consent.add_member(case, user, case_role)
    add_timeline(case, user, TimelineKind.STATUS, Category.IDENTIFICATIE, _("Casus geopend"))
    return case


# Refusals for who does not lead the case (consent.policy.leads).
ONLY_THE_LEAD_INVITES = gettext_lazy(
    "Alleen wie de regie over de casus voert, nodigt anderen uit voor het team."
)
ONLY_WHO_MAY_REFER = gettext_lazy("Verwijzen kan alleen een behandelaar, of wie de regie voert.")
ONLY_THE_LEAD_REMOVES = gettext_lazy(
    "Alleen wie de regie over de casus voert, haalt iemand uit het team."
)
# A referral refused for a reason the user may not learn: people of an organisation on the
# team that they do not know of (CaseAccess.knows_of), a referral made by another
# organisation (CaseAccess.reads_referral) or an IPS trajectory whose data they may not read.
# Said in words that name none of it, as TEAM_WORK_RUNNING_MESSAGE does for closing.
REFERRAL_NOT_NOW_MESSAGE = gettext_lazy(
    "Deze verwijzing kan nu niet worden verstuurd. Overleg met het team."
)


def records_work_discussed(access):
    """Whether this user records that work was discussed on the case: a behandelaar of the
    organisation that opened it (it changes the case's own afspraken & doelen). The
    werkvoorraad's flag and the case page's prompt ask the same, so that nobody is prompted
    for what they cannot record."""
    return (
        access.user.role == Role.BEHANDELAAR
        and access.case.organisation_id == access.organisation_id
    )


def mark_work_discussed(case, organisation_id, on):
    """'Werk laatst besproken' moves to ``on``, never back, after a conversation about work
    of the organisation that opened the case (its own afspraken & doelen: another
    organisation's conversation stays on its own record). Whether the case changed."""
    return bool(
        Case.objects.filter(pk=case.pk, organisation_id=organisation_id)
        .filter(Q(work_discussed_on__isnull=True) | Q(work_discussed_on__lt=on))
        .update(work_discussed_on=on, version=F("version") + 1)
    )


def can_lead(access):
    """Who may invite others, refer and take people off the team (consent.policy.leads)."""
    return access.leads


def can_refer(access):
    """Who may refer the client on: a behandelaar on the team, or whoever leads the case."""
    return access.has_case_role(CaseRole.REGIEBEHANDELAAR, CaseRole.BEHANDELAAR) or can_lead(access)


@transaction.atomic
def invite(access, invitee, case_role, reason=""):
    case = access.case
    if not can_lead(access):
        raise ValidationError(ONLY_THE_LEAD_INVITES)
    ensure_open(case)
    if invitee == access.user:
        # The regie is theirs already; an invitation to themselves could never be accepted.
        raise ValidationError(
            _("U zit al in het team van deze casus; u kunt uzelf niet uitnodigen.")
        )
    if not invitee.is_active:
        raise ValidationError(_("Deze gebruiker is niet actief en kan niet worden uitgenodigd."))
    if case_role not in CASE_ROLES_BY_ROLE.get(invitee.role, ()):
        raise ValidationError(
            _("%(name)s kan als %(role)s niet de rol %(case_role)s krijgen in deze casus.")
            % {
                "name": invitee,
                "role": invitee.get_role_display(),
                "case_role": CaseRole(case_role).label,
            }
        )
    # Inviting a member into another role (the regie, say) replaces their place when
    # accepted, and so does an invitation in the new role after a role change.
    if case_role in fitting_case_roles(invitee.role, consent.case_roles_of(invitee, case)):
        raise ValidationError(
            _("%(name)s zit al als %(role)s in het team.")
            % {"name": invitee, "role": CaseRole(case_role).in_sentence}
        )
    if Invitation.objects.filter(
        case=case,
        invitee=invitee,
        status=InvitationStatus.OPEN,
        case_role__in=CASE_ROLES_BY_ROLE.get(invitee.role, ()),
    ).exists():
        raise ValidationError(_("%(name)s is al uitgenodigd.") % {"name": invitee})
    invitation = Invitation.objects.create(
        case=case,
        case_role=case_role,
        invitee=invitee,
        organisation=invitee.organisation,
        reason=reason,
        invited_by=access.user,
    )
    add_timeline(
        case,
        access.user,
        TimelineKind.TEAM,
        team_news_category({case_role}),
        _("%(name)s uitgenodigd als %(role)s")
        % {"name": invitee, "role": CaseRole(case_role).in_sentence},
        about=invitee,
    )
    return invitation


@transaction.atomic
def refer(access, organisation, case_role, reason):
    """The one-step referral (warme overdracht): to the IPS team of a GGZ organisation or to
    the klantmanagers of a gemeente or UWV. Any of them may accept. A referral to IPS starts
    the trajectory (phase 'aangemeld'); it is refused while the client has an open one.

    A refusal names only what the user may know: another organisation's referral, its people
    on the team and its IPS data are said only to who may learn of them (CaseAccess), others
    get REFERRAL_NOT_NOW_MESSAGE. Trying one organisation after another would otherwise map
    a team that the team panel keeps from them."""
    from ips import services as ips_services  # ips builds on cases: import at call time

    case = access.case
    if not can_refer(access):
        raise ValidationError(ONLY_WHO_MAY_REFER)
    ensure_open(case)
    if not reason.strip():
        raise ValidationError(_("Geef een korte reden voor de verwijzing."))
    role = Role.TRAJECTBEGELEIDER if case_role == CaseRole.TRAJECTBEGELEIDER else Role.KLANTMANAGER
    if not organisation.allows_role(role):
        raise ValidationError(
            _("%(org)s heeft geen %(role)s.") % {"org": organisation, "role": role.label}
        )
    referrers = set(
        Invitation.objects.filter(
            case=case,
            organisation=organisation,
            case_role=case_role,
            is_referral=True,
            status=InvitationStatus.OPEN,
        ).values_list("invited_by__organisation_id", flat=True)
    )
    if referrers:
        # Not a second referral to the same organisation, whoever made the first; only
        # the organisation that made it and the one referred to learn of it.
        if not any(access.reads_referral(r, organisation.pk) for r in referrers):
            raise ValidationError(REFERRAL_NOT_NOW_MESSAGE)
        raise ValidationError(
            _("Er staat al een verwijzing open naar %(org)s.") % {"org": organisation}
        )
    # A klantmanager of that organisation is on the team already: the referral would only
    # bring a second one (the lead invites a colleague by name). A referral to IPS starts a
    # trajectory, also with the last one's trajectbegeleider still on the team; while one
    # runs, ips_services.on_referral refuses it.
    if (
        case_role != CaseRole.TRAJECTBEGELEIDER
        and CaseMember.objects.filter(
            content_object=case,
            user__organisation=organisation,
            user__is_active=True,
            permission__codename=case_role,
        ).exists()
    ):
        if not access.knows_of(organisation.pk):
            raise ValidationError(REFERRAL_NOT_NOW_MESSAGE)
        raise ValidationError(
            _("Er zit al een %(role)s van %(org)s in het team.")
            % {"org": organisation, "role": CaseRole(case_role).in_sentence}
        )
    referral = Invitation.objects.create(
        case=case,
        case_role=case_role,
        organisation=organisation,
        is_referral=True,
        reason=reason,
        invited_by=access.user,
    )
    try:
        ips_services.on_referral(referral)
    except ips_services.OpenTrajectory as refused:
        raise _open_trajectory_refusal(access, refused.trajectory) from refused
    add_timeline(
        case,
        access.user,
        TimelineKind.VERWIJZING,
        Category.IPS if case_role == CaseRole.TRAJECTBEGELEIDER else Category.WERKSITUATIE,
        _("Verwezen naar %(org)s (%(role)s)")
        % {"org": organisation, "role": CaseRole(case_role).label},
        body=reason,
    )
    return referral


def _open_trajectory_refusal(access, running):
    """The refusal of a referral to IPS while the client has the open trajectory
    ``running``, in words for this user: that it runs, to who may read its IPS data (as the
    close page says it); that the referral which began it still waits for an answer, to who
    may learn of that referral; else REFERRAL_NOT_NOW_MESSAGE."""
    from ips import services as ips_services  # ips builds on cases: import at call time

    if running is None:  # a parallel referral's, gone again: whose is not known
        return ValidationError(REFERRAL_NOT_NOW_MESSAGE)
    if access.can_read(Category.IPS, running.organisation_id):
        return ips_services.OpenTrajectory(running)
    waiting = running.referral
    if (
        waiting is not None
        and waiting.status == InvitationStatus.OPEN
        and access.reads_referral(waiting.invited_by.organisation_id, waiting.organisation_id)
    ):
        return ValidationError(
            _("Er staat al een verwijzing open naar het IPS-team van %(org)s.")
            % {"org": waiting.organisation}
        )
    return ValidationError(REFERRAL_NOT_NOW_MESSAGE)


def open_invitations_for(user):
    """Invitations to ``user`` and referrals to their organisation in a role that fits
    theirs (an invitation from before a role change no longer does)."""
    fitting = CASE_ROLES_BY_ROLE.get(user.role, set())
    return (
        Invitation.objects.filter(status=InvitationStatus.OPEN, case__status=CaseStatus.OPEN)
        .filter(
            Q(invitee=user, case_role__in=fitting)
            | Q(is_referral=True, organisation_id=user.organisation_id, case_role__in=fitting)
        )
        .select_related("invited_by__organisation", "case__organisation")
        .order_by("created_at")
    )


def get_open_invitation(user, pk):
    return open_invitations_for(user).filter(pk=pk).first()


@transaction.atomic
def respond(invitation, user, accept, reason=""):
    from ips import services as ips_services  # ips builds on cases: import at call time

    # One team change at a time, and always the case row first (leave, assign_lead): the
    # same lock order everywhere, so two changes never wait for each other in a circle.
    case = Case.objects.select_for_update(no_key=True).get(pk=invitation.case_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.OPEN:
        raise ValidationError(_("Deze uitnodiging is al beantwoord."))
    if not accept and not reason.strip():
        raise ValidationError(_("Geef een reden op waarom u afwijst."))
    if accept and invitation.case_role not in CASE_ROLES_BY_ROLE.get(user.role, ()):
        raise ValidationError(_("Deze uitnodiging past niet bij uw functie."))
    if accept:
        ensure_open(case)
        # The new place replaces the old one: the only lead does not give up the regie so.
        if _only_lead_gives_up(case, user, {invitation.case_role}):
            raise ValidationError(
                _(
                    "U voert als enige de regie in deze casus. Nodig eerst een collega uit die "
                    "de regie overneemt; daarna kunt u deze uitnodiging accepteren."
                )
            )
    invitation.status = InvitationStatus.GEACCEPTEERD if accept else InvitationStatus.AFGEWEZEN
    invitation.responded_by = user
    invitation.responded_at = timezone.now()
    invitation.decline_reason = "" if accept else reason
    invitation.save()
    if accept:
        consent.add_member(case, user, invitation.case_role)
        if invitation.is_referral:
            ips_services.on_referral_accepted(invitation, user)
        title = _("%(name)s doet mee als %(role)s") % {
            "name": user,
            "role": CaseRole(invitation.case_role).in_sentence,
        }
    else:
        if invitation.is_referral:
            ips_services.on_referral_declined(invitation, user, reason)
        title = _("%(name)s heeft de uitnodiging afgewezen") % {"name": user}
    add_timeline(
        case,
        user,
        TimelineKind.TEAM,
        team_news_category({invitation.case_role}),
        title,
        body="" if accept else reason,
        # A refusal and its reason are the answer to whoever asked: held by their
        # organisation, as their referral is. As the other organisation's data they could
        # read it only with a consent (which a gemeente cannot record for a GGZ client).
        # An acceptance shows in the team list.
        organisation=None if accept else invitation.invited_by.organisation,
        about=user,
    )
    return invitation


def lock_cases(case_ids):
    """Lock the rows of these cases (ids, or a values() subquery of them) for a change to
    several at once, in the order of their ids, as every such change does (so two never
    wait for each other in a circle), and FOR NO KEY UPDATE (see consent.write_log).
    Returns {id: case}; call inside a transaction."""
    return {
        case.pk: case
        for case in Case.objects.select_for_update(no_key=True)
        .filter(pk__in=case_ids)
        .order_by("pk")
    }


@transaction.atomic
def withdraw_invitations_to(user, by):
    """The open invitations ``user`` can no longer answer are withdrawn: all of them once the
    account is deactivated, and after a role change those in a case role that no longer
    fits (open_invitations_for stops listing them). Each is noted on its case's timeline for
    whoever invited (they see why nobody answers, and a reactivation or a change back does
    not bring the invitations back). The case rows are locked first, as respond() and
    leave() do. Returns [(case, invitation id)]."""
    open_to_user = Invitation.objects.filter(invitee=user, status=InvitationStatus.OPEN)
    if user.is_active:
        open_to_user = open_to_user.exclude(case_role__in=CASE_ROLES_BY_ROLE.get(user.role, ()))
        why = _("Uitnodiging aan %(name)s ingetrokken: de functie is gewijzigd")
    else:
        why = _("Uitnodiging aan %(name)s ingetrokken: het account is gedeactiveerd")
    cases = lock_cases(open_to_user.values("case_id"))
    lapsing = list(
        open_to_user.select_for_update().select_related("invited_by").order_by("case_id", "pk")
    )
    for invitation in lapsing:
        add_timeline(
            cases[invitation.case_id],
            by,
            TimelineKind.TEAM,
            Category.IDENTIFICATIE,
            why % {"name": user},
            organisation=invitation.invited_by.organisation,
            about=user,
        )
    Invitation.objects.filter(pk__in=[i.pk for i in lapsing]).update(
        status=InvitationStatus.INGETROKKEN
    )
    return [(cases[i.case_id], i.pk) for i in lapsing]


HAND_OVER_FIRST = gettext_lazy(
    "Een casus heeft altijd iemand nodig die de regie voert. Nodig eerst een collega uit die "
    "de regie overneemt (als regiebehandelaar, of als klantmanager van uw organisatie); "
    "daarna kunt u het team verlaten."
)


def _leads(case, user, case_roles):
    """Whether ``user`` with these (fitting) case roles leads ``case``."""
    return policy.leads(case_roles, user.organisation_id, case.organisation_id)


def _only_lead_gives_up(case, user, case_roles_after):
    """Whether ``user`` leads ``case`` now, would not with ``case_roles_after`` (leaving:
    none; accepting an invitation: its role), and no other active user leads it."""
    now = fitting_case_roles(user.role, consent.case_roles_of(user, case))
    return (
        _leads(case, user, now)
        and not _leads(case, user, case_roles_after)
        and not _leads_elsewhere(case, user).exists()
    )


def _leads_elsewhere(case, user=None):
    """Team places of active users other than ``user`` who lead ``case`` (a case or an
    OuterRef to one): a regiebehandelaar, or a klantmanager of the organisation that opened it."""
    places = CaseMember.objects.filter(content_object=case, user__is_active=True).filter(
        Q(permission__codename=CaseRole.REGIEBEHANDELAAR, user__role=Role.BEHANDELAAR)
        | Q(
            permission__codename=CaseRole.KLANTMANAGER,
            user__role=Role.KLANTMANAGER,
            user__organisation_id=case.organisation_id
            if isinstance(case, Case)
            else OuterRef("organisation_id"),
        )
    )
    return places if user is None else places.exclude(user=user)


def cases_without_lead(organisation):
    """Open cases ``organisation`` opened that nobody leads any more: their only lead was
    deactivated (or left before that was refused). Nobody can invite, refer or close there
    until the organisation's beheerder appoints a new lead (assign_lead)."""
    return (
        Case.objects.open()
        .filter(organisation=organisation)
        .filter(~Exists(_leads_elsewhere(OuterRef("pk"))))
    )


def lead_candidates(organisation):
    """Who can lead the cases ``organisation`` opens: its active users in a role that opens
    cases (behandelaars at a GGZ provider, klantmanagers at W&I)."""
    from portal.models import User

    return User.objects.filter(
        organisation=organisation, is_active=True, role__in=list(LEAD_ROLE_BY_ROLE)
    ).order_by("sort_name", "first_name", "pk")


@transaction.atomic
def assign_lead(beheerder, case, user):
    """The beheerder of the organisation that opened ``case`` appoints ``user`` (a colleague
    who can lead, already on the team or not) to lead it, when nobody does any more. Their
    old place on the team, if any, is replaced. Returns the ids of their open invitations to
    the case, which lapse."""
    if beheerder.role != Role.BEHEERDER or case.organisation_id != beheerder.organisation_id:
        raise ValidationError(_("Alleen de beheerder van de organisatie wijst de regie toe."))
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)  # one at a time
    ensure_open(case)
    if _leads_elsewhere(case).exists():
        raise ValidationError(_("Iemand anders voert de regie in deze casus al."))
    if not lead_candidates(beheerder.organisation).filter(pk=user.pk).exists():
        raise ValidationError(
            _("%(name)s kan de regie niet voeren: kies een actieve collega die casussen opent.")
            % {"name": user}
        )
    case_role = LEAD_ROLE_BY_ROLE[user.role]
    consent.add_member(case, user, case_role)
    # Accepting an older invitation into another role would replace the regie again.
    lapsed = Invitation.objects.filter(case=case, invitee=user, status=InvitationStatus.OPEN)
    withdrawn = list(lapsed.values_list("pk", flat=True))
    lapsed.update(status=InvitationStatus.INGETROKKEN)
    add_timeline(
        case,
        beheerder,
        TimelineKind.TEAM,
        Category.IDENTIFICATIE,
        _("%(name)s voert nu de regie als %(role)s (aangewezen door de beheerder)")
        % {"name": user, "role": CaseRole(case_role).in_sentence},
        about=user,
    )
    return withdrawn


def cases_led_only_by(user, opened_by_own_organisation=None):
    """How many open cases nobody but ``user`` leads: without them nobody could invite,
    refer or close there (a role change waits for a handover; a deactivation warns). With
    ``opened_by_own_organisation`` True or False: only the cases their own organisation
    opened (its beheerder appoints a new lead), or only the others'."""
    led = (
        consent.cases_for(user)
        .open()
        .filter(
            Q(members__user=user, members__permission__codename=CaseRole.REGIEBEHANDELAAR)
            | Q(
                members__user=user,
                members__permission__codename=CaseRole.KLANTMANAGER,
                organisation_id=user.organisation_id,
            )
        )
    )
    if opened_by_own_organisation is not None:
        own = Q(organisation_id=user.organisation_id)
        led = led.filter(own if opened_by_own_organisation else ~own)
    return (
        led.filter(~Exists(_leads_elsewhere(OuterRef("pk"), user))).values("pk").distinct().count()
    )


def removal_refused(access, member):
    """Why ``access.user`` may not take ``member`` off the team (a message), or None. Who
    leads does; but the people of the organisation that opened the case only that
    organisation's own lead: a GGZ regiebehandelaar on a gemeente's case took its
    klantmanager off, and the gemeente lost its own case and client."""
    case = access.case
    if not can_lead(access):
        return ONLY_THE_LEAD_REMOVES
    if member.organisation_id == case.organisation_id != access.organisation_id:
        return _(
            "Een medewerker van %(org)s, die de casus opende, haalt alleen %(org)s zelf uit "
            "het team."
        ) % {"org": case.organisation}
    return None


@transaction.atomic
def leave(access, member=None):
    """Leave the team (member=None) or remove someone (removal_refused). Refused for the
    only lead (HAND_OVER_FIRST) and for the trajectbegeleider of the IPS trajectory that
    runs on the case (ips.services.leaving_refused)."""
    from ips import services as ips_services  # ips builds on cases: import at call time

    case = access.case
    member = member or access.user
    if member != access.user and (refusal := removal_refused(access, member)):
        raise ValidationError(refusal)
    # One at a time, and before the coach is looked at: every change of coach (respond,
    # taking a trajectory on, a hand-over) locks the case row first.
    Case.objects.select_for_update(no_key=True).filter(pk=case.pk).first()
    roles = consent.case_roles_of(member, case)
    if not roles:
        raise ValidationError(_("%(name)s zit niet in het team.") % {"name": member})
    if member == access.user and _only_lead_gives_up(case, member, frozenset()):
        raise ValidationError(HAND_OVER_FIRST)
    if refusal := ips_services.leaving_refused(access, member):
        raise ValidationError(refusal)
    consent.remove_member(case, member)
    if member == access.user:
        title = _("%(name)s heeft het team verlaten") % {"name": member}
    else:
        title = _("%(name)s is uit het team gehaald") % {"name": member}
    add_timeline(
        case, access.user, TimelineKind.TEAM, team_news_category(roles), title, about=member
    )


def save_versioned(instance, form, user, case):
    """Save an edited record unless someone else saved it first (optimistic locking), and
    keep the change history (who, when, old and new value). ``form`` carries the version
    the user started from."""
    model = type(instance)
    names = [f.name for f in model._meta.concrete_fields if f.name not in ("id", "version")]
    # Required: an edit without the version it started from is never saved unchecked.
    expected = int(form.cleaned_data["version"])
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=instance.pk)
        if current.version != expected:
            # What the user can compare: the fields of their form (not bookkeeping such as
            # updated_at), where the stored value differs from what they typed.
            changes = [
                (model._meta.get_field(name).verbose_name, _display(current, name))
                for name in names
                if name in form.fields and getattr(current, name) != getattr(instance, name)
            ]
            raise ConflictError(changes)
        records = [
            ChangeRecord(
                case=case,
                object_type=model._meta.model_name,
                object_id=instance.pk,
                field=name,
                old_value=str(_display(current, name)),
                new_value=str(_display(instance, name)),
                changed_by=user,
            )
            for name in names
            if getattr(current, name) != getattr(instance, name)
        ]
        instance.version = current.version + 1
        instance.save()
        ChangeRecord.objects.bulk_create(records)
    return instance


def _display(obj, name):
    """A field's value for the change history and a conflict message: in words, as people
    read it (portal.words); empty as ''."""
    return in_words(obj, obj._meta.get_field(name)) or ""


def write_allowed(access, category):
    return access.decide(category, access.organisation_id, Action.CREATE).allowed
