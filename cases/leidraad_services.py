"""The gespreksleidraad's Python API: publishing content versions, running a session on a
case (select themes, record per theme, agree next steps, refer, finish), corrections, and
the per-theme change between sessions. Access decisions come from consent.services; views
check them before calling in here."""

import structlog
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from consent.constants import Category
from portal.constants import OrganisationType, Role

from . import leidraad_content as content
from . import services
from .constants import (
    CaseRole,
    ExternalDestination,
    InvitationStatus,
    Judgement,
    LeidraadStatus,
    ReferralKind,
    TimelineKind,
)
from .models import (
    Agreement,
    Case,
    CaseMember,
    Invitation,
    LeidraadCorrection,
    LeidraadReferral,
    LeidraadSession,
    LeidraadThemeNote,
    LeidraadVersion,
)

audit = structlog.get_logger("werkpad.audit")

FINISHED_MESSAGE = gettext_lazy(
    "Dit gesprek is afgerond en verandert niet meer. Klopt er iets niet? "
    "Voeg dan een correctie toe."
)
TREND_COLUMNS = 6
IPS_ALREADY_MESSAGE = gettext_lazy(
    "Deze cliënt heeft al een IPS-traject of een aanmelding daarvoor."
)

# --- Content versions ----------------------------------------------------------------------


def latest_version():
    return LeidraadVersion.objects.order_by("-number").first()


def current_version():
    """The version new sessions use: the latest published one. If none exists (an empty
    database that skipped the data migration), the bundled version 1 is published first."""
    return latest_version() or ensure_bundled()


def ensure_bundled():
    try:
        with transaction.atomic():
            if not LeidraadVersion.objects.exists():
                return publish(content.load_bundled(), note=_("Eerste versie, meegeleverd."))
    except (IntegrityError, ValidationError):
        pass
    return latest_version()


@transaction.atomic
def publish(data, user=None, note=""):
    """Validate ``data`` against the schema and publish it as the next version."""
    cleaned = content.validate(data)
    digest = content.checksum(cleaned)
    latest = LeidraadVersion.objects.select_for_update().order_by("-number").first()
    if latest is not None and latest.checksum == digest:
        raise ValidationError(
            _("Deze inhoud is gelijk aan versie %(n)s. Er is niets nieuws om te publiceren.")
            % {"n": latest.number}
        )
    try:
        with transaction.atomic():
            version = LeidraadVersion.objects.create(
                number=(latest.number if latest else 0) + 1,
                title=cleaned["title"],
                content=cleaned,
                checksum=digest,
                note=note,
                published_by=user,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("Iemand anders publiceerde net een versie. Bekijk de lijst en probeer het opnieuw.")
        ) from exc
    audit.info(
        "leidraad_gepubliceerd",
        number=version.number,
        user_id=getattr(user, "pk", None),
        checksum=digest,
    )
    return version


# --- Reading ---------------------------------------------------------------------------------


def sessions_for(access, case):
    """The sessions on ``case`` that the user may read, newest first, with what a list
    needs: a fixed number of queries whatever the number of sessions (none on a case that
    never had one)."""
    if not case.has_leidraad_sessions:
        return LeidraadSession.objects.none()
    return (
        LeidraadSession.objects.filter(case=case)
        .filter(access.readable_filter(Category.LEIDRAAD))
        .select_related("guide", "started_by", "organisation")
        .prefetch_related("theme_notes")
    )


def session_for(access, case, pk):
    """One readable session with everything its page shows, or None."""
    return (
        sessions_for(access, case)
        .filter(pk=pk)
        .prefetch_related("referrals__target_organisation", "corrections__author")
        .first()
    )


def discussed(notes):
    """The discussed ones of ``notes`` (LeidraadThemeNotes), in their order."""
    return [note for note in notes if note.is_discussed]


def themes_of(session):
    """The session's selected themes, each with its content from the session's own version
    (so an old session reads as it was run) and whether it was discussed."""
    themes = session.guide.theme_map
    return [
        {
            "note": note,
            "theme": themes.get(note.theme, {"key": note.theme, "title": note.theme}),
            "discussed": note.is_discussed,
        }
        for note in session.theme_notes.all()
    ]


def referrals_for(access, session):
    """(the session's referrals this user may see, whether that is all of them), from what
    session_for preloaded. Referrals to an organisation (IPS, a klantmanager) and outside
    Werkpad follow CaseAccess.reads_referral; 'geen verwijzing nodig' refers nobody and
    names no one: its reason is the session's, for every reader of it. Only the session's
    organisation, which records its referrals, sees them all; whether anything is left out
    for another is not said (that would tell a referral was made)."""
    shown = [
        referral
        for referral in session.referrals.all()
        if referral.kind == ReferralKind.GEEN
        or access.reads_referral(referral.organisation_id, referral.target_organisation_id)
    ]
    return shown, session.organisation_id == access.organisation_id


def readable_agreements(access, session):
    """The session's next steps that the user may read (category afspraken)."""
    return list(
        session.agreements.filter(access.readable_filter(Category.AFSPRAKEN)).order_by(
            "due_date", "pk"
        )
    )


# Ordered from helping to hindering; "nog niet duidelijk" has no place on that line.
_ORDER = {Judgement.HELPT: 2, Judgement.NEUTRAAL: 1, Judgement.BELEMMERT: 0}
SYMBOLS = {
    Judgement.HELPT: "+",
    Judgement.NEUTRAAL: "=",
    Judgement.BELEMMERT: "−",
    Judgement.ONDUIDELIJK: "?",
}


def trend(sessions):
    """Per theme, the judgement in each finished session (oldest first, the last few),
    and how it changed between the last two sessions that judged it."""
    finished = sorted(
        (s for s in sessions if s.status == LeidraadStatus.AFGEROND),
        key=lambda s: (s.finished_at, s.pk),
    )[-TREND_COLUMNS:]
    if not finished:
        return None
    titles, order = {}, []
    for session in finished:
        for theme in session.guide.themes:
            titles[theme["key"]] = theme["title"]  # the newest version's title wins
    for session in reversed(finished):
        for theme in session.guide.themes:
            if theme["key"] not in order:
                order.append(theme["key"])
    judgements = {
        s.pk: {n.theme: n.judgement for n in s.theme_notes.all() if n.judgement} for s in finished
    }
    talked_about = {s.pk: {n.theme for n in discussed(s.theme_notes.all())} for s in finished}
    rows = []
    for key in order:
        cells = [judgements[s.pk].get(key) for s in finished]
        if not any(cells):
            continue
        rows.append(
            {
                "key": key,
                "title": titles[key],
                "cells": [
                    {
                        "value": value,
                        "symbol": SYMBOLS.get(value, ""),
                        "label": Judgement(value).label
                        if value
                        else _("geen oordeel gekozen")
                        if key in talked_about[s.pk]
                        else _("niet besproken"),
                    }
                    for value, s in zip(cells, finished, strict=True)
                ],
                "change": _change([c for c in cells if c]),
            }
        )
    return {"sessions": finished, "rows": rows}


def _change(values):
    if len(values) < 2:
        return ""
    before, after = values[-2], values[-1]
    if before not in _ORDER or after not in _ORDER:
        return _("gelijk") if before == after else _("anders")
    if _ORDER[after] > _ORDER[before]:
        return _("↑ werk helpt meer")
    if _ORDER[after] < _ORDER[before]:
        return _("↓ werk belemmert meer")
    return _("gelijk")


# --- IPS ---------------------------------------------------------------------------------------


def open_ips_for(case):
    """What shows that the client already has IPS, or None: an IPS-trajectbegeleider on the
    case team (their CaseMember), an open referral to an IPS team (the Invitation), or an
    open IPS trajectory of the client, also one started from another case (the Trajectory).
    describe_open_ips says it in words."""
    member = (
        # A place that still counts: an active trajectbegeleider (not one whose role changed).
        CaseMember.objects.filter(
            content_object=case,
            permission__codename=CaseRole.TRAJECTBEGELEIDER,
            user__is_active=True,
            user__role=Role.TRAJECTBEGELEIDER,
        )
        .select_related("user__organisation")
        .first()
    )
    if member is not None:
        return member
    referral = (
        Invitation.objects.filter(
            case=case,
            is_referral=True,
            case_role=CaseRole.TRAJECTBEGELEIDER,
            status=InvitationStatus.OPEN,
        )
        .select_related("organisation", "invited_by")
        .first()
    )
    if referral is not None:
        return referral
    from ips.models import Trajectory  # ips builds on cases: import at call time

    return (
        Trajectory.objects.open()
        .filter(client_id=case.client_id)
        .select_related("organisation")
        .first()
    )


def describe_open_ips(access, running):
    """``running`` (from open_ips_for) in words for this user: (text or None, shown),
    ``shown`` the (holder, category) pairs of client data the text holds, for the access
    log. A trajectbegeleider on the team is named to who may see their place (as the team
    panel shows them: CaseAccess.sees_place), an open referral to IPS to who may
    learn of it (CaseAccess.reads_referral), a trajectory's organisation and phase (IPS data
    of the organisation that runs it) only when the policy lets the user read them. Anyone else
    learns only what step 3 needs and a referral would be refused with: that the client
    already has IPS, or an application for it."""
    if running is None:
        return None, set()
    if isinstance(running, CaseMember):
        if not access.sees_place(running.user.organisation_id, CaseRole.TRAJECTBEGELEIDER):
            return IPS_ALREADY_MESSAGE, set()
        text = _("%(name)s (%(org)s) is al IPS-trajectbegeleider in deze casus.") % {
            "name": running.user.get_full_name(),
            "org": running.user.organisation,
        }
        return text, set()
    if isinstance(running, Invitation):
        if not access.reads_referral(running.invited_by.organisation_id, running.organisation_id):
            return IPS_ALREADY_MESSAGE, set()
        text = _(
            "Er staat al een verwijzing open naar het IPS-team van %(org)s (sinds %(date)s)."
        ) % {
            "org": running.organisation,
            "date": timezone.localtime(running.created_at).strftime("%d-%m-%Y"),
        }
        return text, set()
    if not access.can_read(Category.IPS, running.organisation_id):
        return _("Er loopt al een IPS-traject voor deze cliënt."), set()
    text = _("Er loopt al een IPS-traject bij %(org)s (fase: %(phase)s).") % {
        "org": running.organisation,
        "phase": running.get_phase_display(),
    }
    return text, {(running.organisation_id, Category.IPS)}


# --- Running a session -----------------------------------------------------------------------


def open_session(case, organisation_id):
    """The session of ``organisation_id`` still open on ``case``, or None. Each organisation
    on the team runs its own (one at a time); another organisation's is its leidraad data."""
    return LeidraadSession.objects.filter(
        case=case, organisation_id=organisation_id, status=LeidraadStatus.BEZIG
    ).first()


@transaction.atomic
def start(access):
    """Start a session of the user's organisation with the current version, or return the
    one of that organisation that is still open."""
    case = access.case
    services.ensure_open(case)
    existing = open_session(case, access.organisation_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            session = LeidraadSession.objects.create(
                case=case,
                organisation=access.user.organisation,
                guide=current_version(),
                started_by=access.user,
            )
    except IntegrityError:  # a parallel request started one first
        return open_session(case, access.organisation_id), False
    return session, True


def _locked(session):
    """Lock the session row for this transaction; refuse when it is finished, or when its
    case has been closed meanwhile (a closed case takes nothing new, also from a session
    that was running)."""
    current = LeidraadSession.objects.select_for_update().get(pk=session.pk)
    if current.status != LeidraadStatus.BEZIG:
        raise ValidationError(FINISHED_MESSAGE)
    services.ensure_open(Case.objects.only("status").get(pk=current.case_id))
    return current


def save_selection(session, form, user, themes, client_questions):
    """Step 1: the chosen themes (in the order of the version) and the client's questions.
    Raises ConflictError when someone else saved the session first."""
    order = {theme["key"]: i for i, theme in enumerate(session.guide.themes)}
    with transaction.atomic():
        _locked(session)
        session.client_questions = client_questions
        services.save_versioned(session, form, user, session.case)
        existing = {note.theme: note for note in session.theme_notes.all()}
        for key, note in existing.items():
            if key not in themes:
                if note.notes or note.judgement:
                    raise ValidationError(
                        _("Bij '%(theme)s' staat al iets genoteerd.")
                        % {"theme": session.guide.theme_title(key)}
                    )
                note.delete()
        LeidraadThemeNote.objects.bulk_create(
            [
                LeidraadThemeNote(session=session, theme=key, position=order[key])
                for key in themes
                if key not in existing
            ]
        )
    return session


def save_notes(session, form, user, values):
    """Step 2: per theme, notes and the agreed judgement. ``values`` maps theme key to
    (notes, judgement)."""
    with transaction.atomic():
        _locked(session)
        services.save_versioned(session, form, user, session.case)
        notes = list(session.theme_notes.all())
        for note in notes:
            note.notes, note.judgement = values.get(note.theme, (note.notes, note.judgement))
        LeidraadThemeNote.objects.bulk_update(notes, ["notes", "judgement"])
    return session


def add_agreements(access, session, rows):
    """Step 3: next steps (what, who, by when) as Agreements on the case."""
    user, case = access.user, access.case
    created = []
    with transaction.atomic():
        _locked(session)
        for what, owner, due in rows:
            agreement = Agreement.objects.create(
                case=case,
                organisation=user.organisation,
                created_by=user,
                what=what,
                owner=owner,
                due_date=due,
            )
            created.append(agreement)
            services.add_timeline(
                case,
                user,
                TimelineKind.AFSPRAAK,
                Category.AFSPRAKEN,
                _("Afspraak: %(what)s (%(who)s, uiterlijk %(date)s)")
                % {"what": what, "who": owner, "date": due.strftime("%d-%m-%Y")},
            )
        session.agreements.add(*created)
    return created


def default_reason(session):
    return _("Afgesproken in het gesprek over werk (gespreksleidraad) van %(date)s.") % {
        "date": timezone.localtime(session.started_at).strftime("%d-%m-%Y")
    }


def refer(access, session, kind, reason="", organisation=None, destination=""):
    """Step 3: the referral, in one step. IPS and klantmanager become a referral on the
    case (cases.services.refer); bedrijfsarts and UWV are outside Werkpad and are recorded
    on the timeline; "geen verwijzing nodig" needs a reason."""
    user, case = access.user, access.case
    reason = reason.strip()
    with transaction.atomic():
        _locked(session)
        earlier = list(session.referrals.all())
        if kind == ReferralKind.GEEN:
            if not reason:
                raise ValidationError(_("Geef een reden waarom geen verwijzing nodig is."))
            if any(r.kind != ReferralKind.GEEN for r in earlier):
                raise ValidationError(
                    _("In dit gesprek is al verwezen. 'Geen verwijzing nodig' past daar niet bij.")
                )
            session.referrals.filter(kind=ReferralKind.GEEN).delete()
            return LeidraadReferral.objects.create(
                session=session,
                organisation=user.organisation,
                kind=kind,
                reason=reason,
                created_by=user,
            )
        reason = reason or default_reason(session)
        invitation, target = None, None
        if kind == ReferralKind.IPS:
            if open_ips_for(case) is not None:
                raise ValidationError(IPS_ALREADY_MESSAGE)
            target = user.organisation
            invitation = services.refer(access, target, CaseRole.TRAJECTBEGELEIDER, reason)
        elif kind == ReferralKind.KLANTMANAGER:
            if organisation is None:
                raise ValidationError(_("Kies de gemeente of het UWV."))
            target = organisation
            invitation = services.refer(access, target, CaseRole.KLANTMANAGER, reason)
        elif kind == ReferralKind.EXTERN:
            if destination not in ExternalDestination.values:
                raise ValidationError(_("Kies naar wie u verwijst: de bedrijfsarts of UWV."))
            services.add_timeline(
                case,
                user,
                TimelineKind.VERWIJZING,
                Category.LEIDRAAD,
                _("Verwezen naar %(to)s (buiten Werkpad)")
                % {"to": ExternalDestination(destination).label},
                body=reason,
            )
        else:
            raise ValidationError(_("Kies een soort verwijzing uit de lijst."))
        # A real referral replaces an earlier "geen verwijzing nodig".
        session.referrals.filter(kind=ReferralKind.GEEN).delete()
        return LeidraadReferral.objects.create(
            session=session,
            organisation=user.organisation,
            kind=kind,
            destination=destination if kind == ReferralKind.EXTERN else "",
            target_organisation=target,
            invitation=invitation,
            reason=reason,
            created_by=user,
        )


def finish(session, form, user):
    """Finish the session explicitly. Needs at least one theme with an agreed judgement and
    a decision about referral. Work then counts as discussed on the case. Returns whether
    that changed the case's "werk besproken" (the caller logs that change)."""
    case = session.case
    with transaction.atomic():
        _locked(session)
        notes = list(session.theme_notes.all())
        problems = []
        if not any(note.judgement for note in notes):
            # The rule is a judgement, not "discussed" (notes alone are discussed too).
            problems.append(
                _(
                    "Er is nog bij geen enkel thema een oordeel gekozen. Leg in stap 2 bij "
                    "minstens één thema vast wat werk nu doet voor het herstel."
                )
            )
        # A client who already has IPS (a coach on the team, an open referral, a trajectory)
        # needs no new referral: that is the next step, recorded as such.
        running = None if session.referrals.exists() else open_ips_for(case)
        if running is None and not session.referrals.exists():
            problems.append(
                _(
                    "Kies in stap 3 of u verwijst. Is er geen verwijzing nodig? "
                    "Kies dan 'geen verwijzing nodig' en geef een reden."
                )
            )
        if problems:
            raise ValidationError(problems)
        if running is not None:
            LeidraadReferral.objects.create(
                session=session,
                organisation=user.organisation,
                kind=ReferralKind.GEEN,
                # Fixed words: the trajectory's holder, coach and phase are IPS data, not
                # the session's.
                reason=_("Er loopt al een IPS-traject of een aanmelding daarvoor."),
                created_by=user,
            )
        now = timezone.now()
        session.status = LeidraadStatus.AFGEROND
        session.finished_at, session.finished_by = now, user
        services.save_versioned(session, form, user, case)
        today = timezone.localdate()
        work_discussed = services.mark_work_discussed(case, user.organisation_id, today)
        talked_about = discussed(notes)
        no_judgement = _("geen oordeel gekozen")
        services.add_timeline(
            case,
            user,
            TimelineKind.LEIDRAAD,
            Category.LEIDRAAD,
            ngettext(
                "Gesprek over werk gevoerd met de gespreksleidraad (%(n)s thema besproken)",
                "Gesprek over werk gevoerd met de gespreksleidraad (%(n)s thema's besproken)",
                len(talked_about),
            )
            % {"n": len(talked_about)},
            body="\n".join(
                f"{session.guide.theme_title(n.theme)}: {n.get_judgement_display() or no_judgement}"
                for n in talked_about
            ),
        )
    return bool(work_discussed)


@transaction.atomic
def add_correction(access, session, body):
    """A correction or addition to a finished session. Like every new entry, refused on a
    closed case (services.ensure_open), going by the case as stored: the session row is
    locked first, as _locked does."""
    current = LeidraadSession.objects.select_for_update().get(pk=session.pk)
    if current.status != LeidraadStatus.AFGEROND:
        raise ValidationError(_("Een gesprek dat nog bezig is, past u gewoon aan."))
    services.ensure_open(Case.objects.only("status").get(pk=current.case_id))
    correction = LeidraadCorrection.objects.create(
        session=session, organisation=access.user.organisation, body=body, author=access.user
    )
    services.add_timeline(
        access.case,
        access.user,
        TimelineKind.LEIDRAAD,
        Category.LEIDRAAD,
        _("Correctie op het gesprek over werk van %(date)s")
        % {"date": timezone.localtime(session.started_at).strftime("%d-%m-%Y")},
        body=body,
    )
    return correction


def may_publish(user):
    """Who publishes a new version of the guide's content, which is the same for every
    organisation: a functioneel beheerder of a GGZ organisation (its behandelaars hold the
    conversations; a gemeente's or UWV's beheerder does not change a clinical tool) or a
    platform superuser."""
    return user.is_authenticated and (
        user.is_superuser
        or (
            user.role == Role.BEHEERDER
            and user.organisation is not None
            and user.organisation.type == OrganisationType.GGZ
        )
    )
