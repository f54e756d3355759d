"""The public face of consent/: the one place that decides what a user may see or do with
a client's data, and that writes the access log (NEN 7513).

Views, templates, reports and exports learn what a user may see only through here.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from allauth.core.internal.httpkit import get_client_ip
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from cases.constants import TimelineKind
from portal.constants import Role
from portal.models import Organisation
from portal.words import searchable

from . import policy
from .constants import CARE_ONLY_CATEGORIES, WORK_AND_INCOME, Action, Basis, Category, Outcome
from .models import AccessLogEntry, Consent, ConsentWithdrawal
from .querysets import LIVE, has_follow_on, purpose_fits

audit = structlog.get_logger("werkpad.audit")

GENESIS_HASH = "0" * 64
# Serialises appends to the hash chain on PostgreSQL (an arbitrary, fixed lock key).
ACCESS_LOG_LOCK_KEY = 7513


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str = Basis.GEEN
    consent_id: int | None = None


DENIED = Decision(False)


@dataclass(frozen=True)
class CaseAccess:
    """What one user may do on one case. Built with a fixed number of queries, whatever the
    number of consents, entries or log lines."""

    user: object
    case: object
    case_roles: frozenset
    # (holder organisation id, category) -> consent id, for active, fitting consents.
    grants: dict = field(default_factory=dict)
    # [(user, CaseRole)]: the case team, for its members only (read with the roles).
    team: list = field(default_factory=list)

    @property
    def is_member(self):
        return bool(self.case_roles)

    @property
    def organisation_id(self):
        return self.user.organisation_id

    def decide(self, category, holder_id, action=Action.READ):
        if not self.is_member or not policy.role_allows(self.user.role, category, action):
            return DENIED
        if holder_id == self.organisation_id:
            return Decision(True, Basis.EIGEN_ORGANISATIE)
        if action in (Action.READ, Action.EXPORT):
            consent_id = self.grants.get((holder_id, category))
            if consent_id is not None:
                return Decision(True, Basis.TOESTEMMING, consent_id)
        return DENIED

    def can_read(self, category, holder_id):
        return self.decide(category, holder_id).allowed

    def can_write(self, category):
        """Writing creates data held by the user's own organisation."""
        return self.decide(category, self.organisation_id, Action.CREATE).allowed

    def can_update(self, category, holder_id):
        """Changing a record: only one held by the user's own organisation. A consent lets
        another organisation read it, never change it."""
        return self.decide(category, holder_id, Action.UPDATE).allowed

    @property
    def leads(self):
        """Whether this user leads the case (policy.leads)."""
        return policy.leads(self.case_roles, self.organisation_id, self.case.organisation_id)

    def knows_of(self, organisation_id):
        """Whether this user may see that ``organisation_id`` takes part in the case (its
        people on the team): their own organisation; everyone, for the case's own
        organisation, which runs the team, and for whoever leads it (they invite and take
        people off); or one whose data the client lets theirs read. That a GGZ provider is
        on the team says the client is in treatment: a klantmanager without (or after) the
        client's consent does not learn who is."""
        known = self.known_organisations
        return known is None or organisation_id in known

    def reads_referral(self, referrer_id, referred_id):
        """Whether this user may learn of a referral (that it was made, to whom, and its
        reason): only the organisation that made it and the organisation referred to, which
        reads the reason with the referral itself (its werkvoorraad); own_news applies the
        same rule to the timeline's referral news. Another organisation on the team does not
        learn of it, not even one that reads the referrer's leidraad on the client's
        consent: the reason was written for the one organisation referred to, and the
        referral names an organisation it may not know of (a UWV adviser would learn that
        the gemeente takes part)."""
        return self.organisation_id in (referrer_id, referred_id)

    @property
    def known_organisations(self):
        """The ids of the organisations this user knows of (knows_of), or None: all of them
        (sees_whole_team)."""
        if self.sees_whole_team:
            return None
        return frozenset({self.organisation_id, *(holder for holder, _category in self.grants)})

    @property
    def sees_whole_team(self):
        """The case's own organisation and whoever leads the case know of everyone on it."""
        return self.case.organisation_id == self.organisation_id or self.leads

    @property
    def visible_team(self):
        """The team as this user may see it (sees_place)."""
        return [(m, role) for m, role in self.team if self.sees_place(m.organisation_id, role)]

    def sees_place(self, organisation_id, case_role):
        """Whether this user may see that someone of ``organisation_id`` is on the team in
        ``case_role``: whoever knows of that organisation (knows_of); a place as
        IPS-trajectbegeleider says the client has IPS, IPS data: only to who may read that
        of the coach's organisation, or knows of everyone (as running_ips says it)."""
        from cases.constants import CaseRole

        return self.knows_of(organisation_id) and (
            case_role != CaseRole.TRAJECTBEGELEIDER
            or self.sees_whole_team
            or self.can_read(Category.IPS, organisation_id)
        )

    def readable_holders(self, category):
        """Ids of the organisations whose data of ``category`` this user may read."""
        if not self.is_member or not policy.role_allows(self.user.role, category, Action.READ):
            return set()
        holders = {self.organisation_id}
        holders.update(h for (h, c) in self.grants if c == category)
        return holders

    def readable_filter(self, category=None):
        """A Q keeping only rows this user may read: rows with ``organisation`` and
        ``category`` fields, or, for models of one fixed ``category``, rows with an
        ``organisation`` field. Hidden rows never leave the database."""
        if category is not None:
            return Q(organisation_id__in=sorted(self.readable_holders(category)))
        condition = Q(pk__in=[])
        by_holder = {}
        for category_ in Category:
            for holder in self.readable_holders(category_):
                by_holder.setdefault(holder, []).append(category_)
        for holder, categories in sorted(by_holder.items()):
            condition |= Q(organisation_id=holder, category__in=categories)
        return condition

    def timeline_filter(self):
        """readable_filter() for timeline entries, with news_filter()."""
        return self.readable_filter() & self.news_filter()

    def news_filter(self):
        """The timeline's two rules besides the categories, wherever entries are shown (the
        case page, the timeline, the voortgangsrapportage): what the timeline says about
        consents and referrals stays with the organisation that wrote it (own_news), and
        news about a team member only for who knows of their organisation (team_news)."""
        return own_news(self.organisation_id) & team_news(
            self.organisation_id, self.known_organisations
        )

    @property
    def case_role_labels(self):
        from cases.constants import CaseRole

        return [CaseRole(r).label for r in sorted(self.case_roles)]

    def has_case_role(self, *roles):
        return bool(self.case_roles & set(roles))


# Timeline news between the organisation that wrote it and one other party.
OWN_NEWS = (TimelineKind.TOESTEMMING, TimelineKind.VERWIJZING)
# The news that the case was opened or closed: the case's own status entries. IPS writes
# its phases and placements with the same kind, as IPS data (category IPS), which a consent
# for IPS lets another organisation read.
CASE_STATUS_NEWS = Q(kind=TimelineKind.STATUS, category=Category.IDENTIFICATIE)


def own_news(organisation_id):
    """A Q for timeline entries: every kind but consent, referral and case status news, which
    only when written by ``organisation_id``. Entries about consents (recorded, withdrawn,
    expiring) name the recipient and the categories: a consent is between the provider and
    that one recipient, and an organisation reading the timeline on another consent (a
    gemeente, while the client also shares with UWV) must not learn of it; a recipient sees
    its own consents in the consent panel. A referral's entry holds the reason written for
    the one organisation referred to, which reads it with the referral itself: another
    organisation reading the referrer's data (UWV, with a consent) read a reason meant for
    the gemeente (the same rule for referral records: CaseAccess.reads_referral). When a
    case was opened or closed is the case organisation's to know, as the case page shows
    the opening date to it only: for a GGZ case it says when treatment began, and a
    klantmanager reading GGZ A's identification on the client's consent read it in the
    entry 'Casus geopend' (CASE_STATUS_NEWS)."""
    return ~(Q(kind__in=OWN_NEWS) | CASE_STATUS_NEWS) | Q(organisation_id=organisation_id)


def team_news(organisation_id, known):
    """A Q for timeline entries: every entry but team news about a person of an organisation
    outside ``known`` (CaseAccess.known_organisations; None: all are known), unless
    ``organisation_id`` holds it. The team panel shows a user only the people of the
    organisations they know of (CaseAccess.knows_of); the timeline of the organisation that
    runs the team says who was invited, joined, declined, left or was taken off, and a
    gemeente reading it on the GGZ provider's consent learnt that UWV takes part (the client
    shares nothing with the gemeente about that). The entry names that person's organisation
    (``subject_organisation``); news about no one in particular has none and is read as any
    entry is. An organisation's own lines stay its own, as with own_news: what its people
    did, and the answer to what they asked (a refusal of a referral by a behandelaar of
    another GGZ on the team is held by theirs, who must read it)."""
    if known is None:
        return Q()
    return (
        Q(subject_organisation__isnull=True)
        | Q(subject_organisation_id__in=sorted(known))
        | Q(organisation_id=organisation_id)
    )


def listed_news(organisation_id):
    """news_filter() for lists over many cases (the werkvoorraad's last activity), where
    which organisations a user knows of differs per case: team news about another
    organisation's people only on cases the user's organisation runs (it knows of everyone
    there). Stricter than the case page, never looser: at worst an older time is shown."""
    return own_news(organisation_id) & (
        Q(case__organisation_id=organisation_id)
        | team_news(organisation_id, frozenset({organisation_id}))
    )


def case_roles_of(user, case):
    from cases.models import CaseMember

    return frozenset(
        CaseMember.objects.filter(user=user, content_object=case).values_list(
            "permission__codename", flat=True
        )
    )


def case_access(user, case):
    """The access of ``user`` to ``case``: two queries, whatever the data size. The user's
    case roles come from the whole team, read in one go (a team is a handful of people), so
    the case page has the team without asking again."""
    from cases.constants import CaseRole
    from cases.models import CaseMember

    if not user.is_authenticated or not user.role:
        return CaseAccess(user, case, frozenset())
    members = list(
        CaseMember.objects.filter(content_object=case)
        .select_related("user__organisation", "permission")
        .order_by("permission__codename", "user__sort_name", "user__first_name")
    )
    roles = policy.fitting_case_roles(
        user.role, (m.permission.codename for m in members if m.user_id == user.pk)
    )
    if not roles:
        return CaseAccess(user, case, frozenset())
    return CaseAccess(
        user,
        case,
        roles,
        _grants(user, [case.client_id], roles)[case.client_id],
        [(m.user, CaseRole(m.permission.codename)) for m in members],
    )


def _grants(user, client_ids, case_roles):
    """Active consents of these clients towards the user's organisation, for purposes that
    fit the user's case roles: {client_id: {(holder_id, category): consent_id}}."""
    grants = {client_id: {} for client_id in client_ids}
    purposes = policy.purposes_for(case_roles)
    if not purposes:
        return grants
    rows = (
        Consent.objects.active()
        .filter(client_id__in=client_ids, recipient_id=user.organisation_id, purpose__in=purposes)
        .values_list("client_id", "provider_id", "categories", "pk")
        .order_by("pk")
    )
    for client_id, provider_id, category, consent_id in rows:
        grants[client_id][(provider_id, category)] = consent_id
    return grants


def cases_for(user):
    """The cases whose team ``user`` is on."""
    from cases.models import Case

    if not user.is_authenticated or not user.role:
        return Case.objects.none()
    return Case.objects.for_member(user, policy.CASE_ROLES_BY_ROLE.get(user.role, ()))


def cases_outside_role(user):
    """How many open cases ``user`` is on the team of only in a case role that does not fit
    their role (after a role change): cases they can no longer open."""
    from cases.models import Case

    return (
        Case.objects.open()
        .filter(members__user=user)
        .exclude(pk__in=cases_for(user).values("pk"))
        .distinct()
        .count()
    )


def accesses_for(user, cases):
    """{case_id: CaseAccess} for a page of cases (werkvoorraad): two queries in all."""
    from cases.models import CaseMember

    cases = list(cases)
    if not cases or not user.is_authenticated or not user.role:
        return {case.pk: CaseAccess(user, case, frozenset()) for case in cases}
    roles_by_case = {}
    for case_id, codename in CaseMember.objects.filter(
        user=user, content_object__in=cases
    ).values_list("content_object_id", "permission__codename"):
        roles_by_case.setdefault(case_id, set()).add(codename)
    roles_by_case = {
        case_id: policy.fitting_case_roles(user.role, roles)
        for case_id, roles in roles_by_case.items()
    }
    all_roles = set().union(*roles_by_case.values()) if roles_by_case else set()
    grants = _grants(user, {case.client_id for case in cases}, all_roles)
    accesses = {}
    # The case roles that count all fit the user's one organisational role, so they share
    # the same purposes (policy.CASE_ROLES_BY_ROLE): one grants query serves every row.
    for case in cases:
        roles = roles_by_case.get(case.pk, frozenset())
        accesses[case.pk] = CaseAccess(user, case, roles, grants[case.client_id] if roles else {})
    return accesses


def _consented(user, client, provider, category):
    """Exists: an active consent lets ``user``'s organisation read ``category`` held by
    ``provider`` about ``client`` (outer references). CaseAccess.decide's consent basis in
    SQL, for lists of cases, whose case roles all fit the user's one role and so share
    their purposes (policy.CASE_ROLES_BY_ROLE)."""
    purposes = policy.purposes_for(policy.CASE_ROLES_BY_ROLE.get(user.role, ()))
    return Exists(
        Consent.objects.active().filter(
            client=client,
            recipient_id=user.organisation_id,
            provider=provider,
            purpose__in=purposes,
            categories=category,
        )
    )


def name_words(text):
    """The words a name search looks for in ``search_name``: ``text`` as searchable() folds
    it, split at anything but letters and digits, so that 'Jansen, Eva' finds Eva Jansen
    (the comma is no part of a name) and 'Bakker-Öztürk' finds Eva Bakker-Öztürk."""
    return re.findall(r"[^\W_]+", searchable(text))


def name_search(user, cases, text):
    """Narrow ``cases`` to those whose client's name matches ``text`` AND that ``user`` may
    see the name of, so a search never reveals a hidden name (not even by a row count).
    A text without a word to look for (only an apostrophe, a comma) is no search: ``cases``
    as they are, not only those whose name the user may see."""
    words = name_words(text)
    if not words:
        return cases
    if not policy.role_allows(user.role, Category.IDENTIFICATIE, Action.READ):
        return cases.none()
    return cases.filter(*(Q(client__search_name__contains=word) for word in words)).filter(
        Q(client__organisation_id=user.organisation_id)
        | _consented(
            user, OuterRef("client"), OuterRef("client__organisation"), Category.IDENTIFICATIE
        )
    )


def with_last_seen_activity(user, cases):
    """``cases`` (from cases_for(user)) annotated with ``last_seen_at``: when the newest
    timeline entry that ``user`` may read was made; if there is none, when the case was
    opened, for the case's own organisation only (else None). The werkvoorraad shows and
    sorts by it. The last activity of any kind would tell a klantmanager when treatment
    took place, and a consent that does not cover a category hides when it was written to
    as well as what was written; so does the opening of a GGZ case (CaseAccess.knows_of)."""
    from cases.models import TimelineEntry

    readable = [c for c in Category if policy.role_allows(user.role, c, Action.READ)]
    newest = (
        TimelineEntry.objects.filter(case=OuterRef("pk"), category__in=readable)
        .filter(listed_news(user.organisation_id))
        .filter(
            Q(organisation_id=user.organisation_id)
            | _consented(
                user, OuterRef(OuterRef("client")), OuterRef("organisation"), OuterRef("category")
            )
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    opened = models.Case(
        models.When(organisation_id=user.organisation_id, then=models.F("opened_at"))
    )
    return cases.annotate(last_seen_at=Coalesce(Subquery(newest), opened))


# --- Team membership (guardian object permissions on Case) -------------------------------


def add_member(case, user, case_role):
    """Put ``user`` on the case team in ``case_role`` (one role per person per case)."""
    remove_member(case, user)
    assign_perm(f"cases.{case_role}", user, case)


def remove_member(case, user):
    """Leaving or being removed ends access at once: the next request is refused."""
    for codename in case_roles_of(user, case):
        remove_perm(f"cases.{codename}", user, case)


# --- Beheer --------------------------------------------------------------------------------


def beheer_decision(user, client, category, action=Action.READ):
    """A beheerder acts on what their own organisation holds about its clients."""
    if user.role != Role.BEHEERDER or not policy.role_allows(user.role, category, action):
        return DENIED
    if client.organisation_id != user.organisation_id:
        return DENIED
    return Decision(True, Basis.BEHEER)


def _work_of(organisation_id):
    """The access-log entries that say an organisation holds data about a client: what its
    people who work in cases recorded about the client, and what they read of another
    organisation's data on the client's consent. Not an invitation declined, nor being on a
    team without a consent (nothing of the client reaches the organisation then), nor a
    beheerder's own handling (a search, a request for access): it follows from that work."""
    return AccessLogEntry.objects.filter(
        Q(action=Action.CREATE) | Q(basis=Basis.TOESTEMMING),
        organisation_id=organisation_id,
        outcome=Outcome.TOEGESTAAN,
        role__in=sorted(policy.CASE_WORKERS),
    )


def worked_with(organisation_id):
    """For a query of clients: whose data the organisation's people worked with."""
    return Exists(_work_of(organisation_id).filter(client_id=OuterRef("pk")))


def avg_decisions(user, client, action=Action.EXPORT):
    """What a beheerder may give a client who asks for access (AVG art. 15), per category:
    what their own organisation holds. For a client of the organisation (basis beheer, as
    beheer_decision), and for another organisation's client whose data the organisation's
    people worked with (``worked_with``; basis: the client's request, which is the only
    reason its beheerder handles that client): the goals and notes a gemeente wrote on a
    GGZ client's case are the gemeente's to give. One query at most."""
    if client.organisation_id == user.organisation_id:
        return {c: beheer_decision(user, client, c, action) for c in Category}
    if user.role != Role.BEHEERDER or not (
        _work_of(user.organisation_id).filter(client_id=client.pk).exists()
    ):
        return dict.fromkeys(Category, DENIED)
    allowed = Decision(True, Basis.INZAGEVERZOEK)
    return {
        category: allowed if policy.role_allows(user.role, category, action) else DENIED
        for category in Category
    }


# --- Access log ----------------------------------------------------------------------------


def _client_ip(request):
    """The client's address as the sign-in limits take it (ALLAUTH_TRUSTED_PROXY_COUNT): behind
    the proxy, from X-Forwarded-For; else REMOTE_ADDR."""
    if request is None:
        return None
    # Read once per request: a page logs an entry for every record it shows.
    try:
        return request.werkpad_client_ip
    except AttributeError:
        request.werkpad_client_ip = get_client_ip(request)
        return request.werkpad_client_ip


def entry(
    request,
    user,
    *,
    decision,
    action,
    object_type,
    object_id="",
    category="",
    client=None,
    case=None,
    access_point=None,
):
    """Build (not save) one access-log entry."""
    return AccessLogEntry(
        user=user,
        role=user.role or "platform",
        organisation_id=user.organisation_id,
        client_id=getattr(client, "pk", client),
        case_id=getattr(case, "pk", case),
        object_type=object_type,
        object_id=str(object_id or ""),
        category=category,
        action=action,
        basis=decision.basis,
        consent_id=decision.consent_id,
        outcome=Outcome.TOEGESTAAN if decision.allowed else Outcome.GEWEIGERD,
        ip_address=_client_ip(request),
        request_id=getattr(request, "request_id", "") if request else "",
        access_point=access_point
        if access_point is not None
        else (request.path[:200] if request else ""),
    )


LAST_HASH_SQL = 'SELECT "hash" FROM "consent_accesslogentry" ORDER BY "id" DESC LIMIT 1'


def write_log(entries):
    """Append entries to the hash-chained access log, in one short critical section.

    Writers that lock a row the log points to (a case, client or consent) and then write
    here lock it FOR NO KEY UPDATE: a FOR UPDATE lock would block the foreign-key check of
    another request's entry for that row, which holds the chain lock this writer waits for
    (a deadlock that stalls every log write until PostgreSQL breaks it)."""
    entries = list(entries)
    if not entries:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCESS_LOG_LOCK_KEY])
        # Written out: it runs for every page with client data, and the ORM takes longer to
        # build this query than PostgreSQL to answer it (a backward scan of the primary key).
        cursor.execute(LAST_HASH_SQL)
        row = cursor.fetchone()
        previous = row[0] if row else GENESIS_HASH
        for item in entries:
            item.prev_hash = previous
            item.hash = item.compute_hash(previous)
            previous = item.hash
        AccessLogEntry.objects.bulk_create(entries)

    def emit():
        for item in entries:
            audit.info(
                "inzagelog",
                action=item.action,
                outcome=item.outcome,
                user_id=item.user_id,
                role=item.role,
                client_id=item.client_id,
                case_id=item.case_id,
                object_type=item.object_type,
                object_id=item.object_id,
                category=item.category,
                basis=item.basis,
                consent_id=item.consent_id,
                request_id=item.request_id,
            )

    # The audit stream names only entries that were stored: a change written together with
    # its entry (one transaction) may still be rolled back after this point.
    transaction.on_commit(emit, robust=True)  # a stored change never turns into an error
    return entries


def log_hidden_from(organisation):
    """A Q of the access-log entries about its own clients that ``organisation`` does not
    review (on its inzagelog page or in an AVG-inzage), or None: for Werk & Inkomen, another
    organisation's work on treatment information. That a GGZ wrote or read its notes on the
    client, when and how often, is treatment information too, which Werk & Inkomen never
    learns (the werkvoorraad hides that timing from a klantmanager in the same way:
    with_last_seen_activity). Those entries are the care organisation's log to review."""
    if organisation.type not in WORK_AND_INCOME:
        return None
    return ~Q(organisation_id=organisation.pk) & Q(category__in=CARE_ONLY_CATEGORIES)


def log(request, user, **kwargs):
    return write_log([entry(request, user, **kwargs)])[0]


def log_changes(request, case, changes, agreements=(), basis=Basis.EIGEN_ORGANISATIE):
    """Log changes to client data of ``case`` (NEN 7513: every create and update), on the
    basis the user writes with: their own organisation holds what they record (a
    beheerder's team change: beheer). ``changes``: (object_type, object_id, category,
    action) per record; ``agreements``: the afspraken the change created, each a record of
    its own."""
    return write_log(change_entries(request, case, changes, agreements, basis))


def change_entries(request, case, changes, agreements=(), basis=Basis.EIGEN_ORGANISATIE):
    """The entries (not saved) log_changes writes: for a change to several cases, written
    at once after every row lock is taken (write_log's rule)."""
    changes = [
        *changes,
        *(("afspraak", a.pk, Category.AFSPRAKEN, Action.CREATE) for a in agreements),
    ]
    return [
        entry(
            request,
            request.user,
            decision=Decision(True, basis),
            action=action,
            object_type=object_type,
            object_id=object_id,
            category=category,
            client=case.client_id,
            case=case,
        )
        for object_type, object_id, category, action in changes
    ]


def case_read_entries(
    request, access, categories, *, object_type="casus", object_id=None, action=Action.READ
):
    """The entries (not saved) for what a page showed: one per (holder, category) shown,
    with its basis. A page that shows several kinds of data writes them all at once."""
    case = access.case
    return [
        entry(
            request,
            access.user,
            decision=access.decide(category, holder_id, action),
            action=action,
            object_type=object_type,
            object_id=object_id or case.pk,
            category=category,
            client=case.client_id,
            case=case,
        )
        for holder_id, category in sorted(set(categories))
    ]


def log_case_reads(request, access, categories, **kwargs):
    """Log what a page showed (see case_read_entries)."""
    return write_log(case_read_entries(request, access, categories, **kwargs))


def log_denied(
    request,
    user,
    *,
    object_type,
    object_id,
    client=None,
    case=None,
    category="",
    action=Action.READ,
):
    return log(
        request,
        user,
        decision=DENIED,
        action=action,
        object_type=object_type,
        object_id=object_id,
        category=category,
        client=client,
        case=case,
    )


def verify_chain():
    """Recompute the chain. Returns (checked, first broken entry or None)."""
    previous = GENESIS_HASH
    checked = 0
    for item in AccessLogEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if item.prev_hash != previous or item.compute_hash(previous) != item.hash:
            return checked, item
        previous = item.hash
        checked += 1
    return checked, None


# --- Consent records themselves --------------------------------------------------------


def case_of(user, client_id):
    """The user's case for this client (the open one first), or None."""
    return (
        cases_for(user)
        .filter(client_id=client_id)
        .select_related("client")
        .order_by("-opened_at")
        .first()
    )


def record_decision(user, consent, action=Action.READ):
    """May ``user`` open this consent record? (decision, case or None). The record is held
    by its provider: the provider's team members on a case of the client (through their
    case access) and the provider's beheerder may; nobody else."""
    decision, case = DENIED, None
    if user.organisation_id is not None and consent.provider_id == user.organisation_id:
        if user.role == Role.BEHEERDER:
            decision = beheer_decision(user, consent.client, Category.IDENTIFICATIE, action)
        else:
            case = case_of(user, consent.client_id)
            if case is not None:
                access = case_access(user, case)
                decision = access.decide(Category.IDENTIFICATIE, consent.provider_id, action)
    return decision, case


def client_consents_decision(user, client, action=Action.EXPORT):
    """May ``user`` see the consents their organisation recorded for ``client`` (the
    overview)? The beheerder of the client's organisation, and the team members on one of
    the client's cases, for the consents their own organisation provided. (decision, case)"""
    decisions, case = client_consents_decisions(user, client, action)
    return decisions[user.organisation_id], case


def client_consents_decisions(user, client, action=Action.EXPORT):
    """({holder id: decision}, case) for the overview of the consents ``user``'s organisation
    recorded for ``client``: what it holds of the client's identificatie, per holder. The
    records are held by the user's own organisation, which provided them (record_decision);
    the client's name and date of birth by the client's organisation, decided as the case
    page decides the name (CaseAccess.decide on the client's organisation): a klantmanager
    without the client's consent, or a behandelaar of another GGZ on the team, gets the
    overview of their own records without the name. Nothing when the records are refused.
    One key when the two are the same organisation."""
    own, holder = user.organisation_id, client.organisation_id
    if user.role == Role.BEHEERDER:
        # Only of the organisation's own clients (beheer_decision): one holder.
        decision = beheer_decision(user, client, Category.IDENTIFICATIE, action)
        return dict.fromkeys((holder, own), decision), None
    case = case_of(user, client.pk) if own is not None else None
    if case is None:
        return dict.fromkeys((holder, own), DENIED), None
    access = case_access(user, case)
    records = access.decide(Category.IDENTIFICATIE, own, action)
    name = access.decide(Category.IDENTIFICATIE, holder, action) if records.allowed else DENIED
    return {holder: name, own: records}, case


# --- The organisation's own consents by state (the beheerder's overview and start page) ---

# The counts per state are kept under their stamp (own_state_counts) for at most this.
COUNTS_CACHE_SECONDS = 5 * 60


def own_consents(organisation_id):
    """The consents a beheerder manages: those the organisation's own clients gave it."""
    return Consent.objects.filter(
        provider_id=organisation_id, client__organisation_id=organisation_id
    )


def state_filters(today):
    """State -> Q, matching Consent.state(): withdrawn before superseded before expired.
    'verloopt' counts what the regiebehandelaar's notice and the werkvoorraad flag warn of
    (consent.tasks.notify_expiries): active, sharing something, ending within
    WERKPAD_CONSENT_WARN_DAYS, and not followed up by a consent that carries on straight
    away (querysets.has_follow_on)."""
    soon = today + timedelta(days=settings.WERKPAD_CONSENT_WARN_DAYS)
    current = LIVE & Q(valid_from__lte=today, valid_until__gte=today)
    return {
        "alle": Q(),
        "actief": current,
        # A warning list: without the consents that share nothing (flagged under "actief"),
        # nor those whose sharing a follow-on carries on (still counted under "actief").
        "verloopt": current & purpose_fits() & Q(valid_until__lte=soon) & ~Q(has_follow_on()),
        "toekomstig": LIVE & Q(valid_from__gt=today),
        "verlopen": LIVE & Q(valid_until__lt=today),
        "ingetrokken": Q(withdrawal__isnull=False),
        "vervangen": Q(withdrawal__isnull=True, superseded_by__isnull=False),
    }


def count_states(consents, filters):
    return consents.aggregate(
        **{key: Count("pk", filter=condition) for key, condition in filters.items()}
    )


def own_state_counts(organisation_id):
    """{state: count} of the organisation's own_consents, kept in the cache.

    Counting grows with the organisation's consents (18 ms for 5 000), on every view of any
    tab. A consent is never edited or deleted: its state changes only with a new consent of
    the same provider (a renewal supersedes), a withdrawal, or the date. So the counts are
    stored under a stamp of exactly those - the organisation's newest consent, the newest
    withdrawal anywhere and today - read in one query on consent_provider_idx and the
    withdrawals' primary key; a change gives a new stamp, so the next view counts again.
    The 'verloopt' count also depends on the consent's follow-ons (state_filters): those
    are consents of the same provider, so a new one or its withdrawal is in the stamp too.
    One race escapes the stamp: two records committed in the opposite order of their ids
    (the later id first). COUNTS_CACHE_SECONDS bounds how long the counts can be off then."""
    stamp = (
        Organisation.objects.filter(pk=organisation_id)
        .values_list(
            Subquery(
                Consent.objects.filter(provider_id=OuterRef("pk")).order_by("-pk").values("pk")[:1]
            ),
            Subquery(ConsentWithdrawal.objects.order_by("-pk").values("pk")[:1]),
        )
        .first()
    )
    newest_consent, newest_withdrawal = stamp or (None, None)
    today = timezone.localdate()
    key = (
        # The version of the rules of state_filters: counts by older rules are not shown.
        f"consent-overview-counts:v2:{organisation_id}:{newest_consent}:{newest_withdrawal}:"
        f"{today}:{settings.WERKPAD_CONSENT_WARN_DAYS}"  # 'verloopt' counts that many days
    )
    # Without Redis the cache of this process stands in (portal.cache).
    counts = cache.get(key)
    if counts is None:
        counts = count_states(own_consents(organisation_id), state_filters(today))
        cache.set(key, counts, timeout=COUNTS_CACHE_SECONDS)
    return counts
