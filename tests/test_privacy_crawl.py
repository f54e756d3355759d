"""Privacy as a crawl: every free-text record of the demo world gets a unique marker, the
consent states are varied beyond the demo's (one category only, another purpose, a future
consent, a second GGZ and UWV on teams without consent), every page each account can reach
is crawled, and each marker shown must be one the policy lets that user read (its category
and holder on its case). The voortgangsrapportage of each team member is held against
EXPORT the same way. Written by an exploratory tester (5 December); no leak found then."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from cases import services as case_services
from cases.constants import CaseRole, RecoveryDomain
from cases.models import (
    Agreement,
    Case,
    ChangeTalk,
    Client,
    Conversation,
    Driegesprek,
    Goal,
    LeidraadThemeNote,
    TimelineEntry,
)
from consent import services as consent
from consent.constants import Action, Category, Purpose
from consent.models import Consent
from ips.models import (
    Beroepsprofiel,
    EmployerContact,
    FollowAlongContact,
    PhaseChange,
    Placement,
)
from portal.constants import OrganisationType, Role
from portal.models import Organisation, Report, ReportType, User

from .builders import make_consent, withdraw
from .factories import UserFactory
from .test_no_leaks import crawl

TOKEN = re.compile(r"zq(\d+)q")


class Markers:
    def __init__(self):
        self.items = {}  # n -> (case_id, holder_id, category, what)

    def tag(self, case_id, holder_id, category, what):
        n = len(self.items) + 1
        self.items[n] = (case_id, holder_id, category, what)
        return f" zq{n}q"


def _tag_field(markers, obj, field, case_id, holder_id, category, what):
    value = getattr(obj, field) or ""
    token = markers.tag(case_id, holder_id, category, what)
    max_length = type(obj)._meta.get_field(field).max_length
    new = value + token
    if max_length and len(new) > max_length:
        new = value[: max_length - len(token)] + token
    type(obj).objects.filter(pk=obj.pk).update(**{field: new})


def tag_world(markers):
    for c in Client.objects.all():
        # The name is identificatie of the client's organisation, on every case of the client.
        case_ids = list(c.cases.values_list("pk", flat=True))
        token_case = case_ids[0] if case_ids else None
        _tag_field(
            markers, c, "last_name", token_case, c.organisation_id, "identificatie", "client"
        )
    for e in TimelineEntry.objects.all():
        _tag_field(markers, e, "title", e.case_id, e.organisation_id, e.category, f"tl-{e.kind}")
        if e.body:
            _tag_field(
                markers, e, "body", e.case_id, e.organisation_id, e.category, f"tlb-{e.kind}"
            )
    for g in Goal.objects.all():
        cat = "medisch" if g.domain == RecoveryDomain.KLINISCH else "afspraken"
        _tag_field(markers, g, "description", g.case_id, g.organisation_id, cat, "goal")
    for a in Agreement.objects.all():
        _tag_field(markers, a, "what", a.case_id, a.organisation_id, "afspraken", "agreement")
    for m in Driegesprek.objects.all():
        _tag_field(markers, m, "location", m.case_id, m.organisation_id, "afspraken", "meeting")
    for cv in Conversation.objects.all():
        _tag_field(
            markers, cv, "summary", cv.case_id, cv.organisation_id, "gespreksverslagen", "conv"
        )
    for t in ChangeTalk.objects.select_related("conversation"):
        if t.quote:
            cv = t.conversation
            _tag_field(
                markers, t, "quote", cv.case_id, cv.organisation_id, "gespreksverslagen", "talk"
            )
    for n in LeidraadThemeNote.objects.select_related("session"):
        s = n.session
        _tag_field(markers, n, "notes", s.case_id, s.organisation_id, "leidraad", "theme")
    for p in PhaseChange.objects.select_related("trajectory"):
        if p.note:
            _tag_field(markers, p, "note", p.trajectory.case_id, p.organisation_id, "ips", "phase")
    for ec in EmployerContact.objects.select_related("trajectory"):
        if ec.trajectory_id:
            _tag_field(
                markers, ec, "outcome", ec.trajectory.case_id, ec.organisation_id, "ips", "contact"
            )
    for pl in Placement.objects.select_related("trajectory"):
        _tag_field(
            markers, pl, "employer", pl.trajectory.case_id, pl.organisation_id, "ips", "placement"
        )
    for f in FollowAlongContact.objects.select_related("trajectory"):
        _tag_field(markers, f, "note", f.trajectory.case_id, f.organisation_id, "ips", "follow")
    for b in Beroepsprofiel.objects.select_related("trajectory"):
        _tag_field(
            markers, b, "strengths", b.trajectory.case_id, b.organisation_id, "ips", "profile"
        )
        _tag_field(
            markers, b, "barriers", b.trajectory.case_id, b.organisation_id, "ips", "profile"
        )


def vary_world():
    """Consent states beyond the demo's, and a second GGZ and Werk & Inkomen on teams."""
    ggz = Organisation.objects.get(name="GGZ Rivierland")
    gemeente = Organisation.objects.get(name="Gemeente Havenstad")
    uwv = Organisation.objects.get(name="UWV Havenstad")
    ggz_b = Organisation.objects.create(name="GGZ Bergland", type=OrganisationType.GGZ)
    behandelaar = User.objects.get(email="behandelaar@rivierland.demo")
    km = User.objects.get(email="klantmanager@havenstad.demo")
    adviseur = User.objects.get(email="adviseur@uwv.demo")
    outsider = UserFactory(
        email="outsider@bergland.demo", organisation=ggz_b, role=Role.BEHANDELAAR
    )

    def case_of(last):
        return Case.objects.filter(client__last_name=last).order_by("-pk").first()

    # Fatima Bouzid (gemeente, active): consent for werksituatie only.
    fatima = case_of("Bouzid")
    c = Consent.objects.get(client=fatima.client, recipient=gemeente)
    c.categories.set([Category.WERKSITUATIE])
    # Daan Mulder (gemeente, active consent): UWV on the team without consent, GGZ B too;
    # gemeente writes an afspraak and a note (held by the gemeente).
    daan = case_of("Mulder")
    consent.add_member(daan, adviseur, CaseRole.KLANTMANAGER)
    consent.add_member(daan, outsider, CaseRole.BEHANDELAAR)
    Agreement.objects.create(
        case=daan,
        organisation=gemeente,
        created_by=km,
        what="Gemeente-afspraak",
        owner="Karim",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    case_services.add_timeline(
        daan, km, "notitie", Category.AFSPRAKEN, "Gemeente-notitie", body="x"
    )
    # Tom de Graaf (UWV, active): purpose changed to one that does not fit a klantmanager.
    tom = case_of("de Graaf")
    for old in Consent.objects.filter(client=tom.client, recipient=uwv):
        withdraw(old, behandelaar)
    make_consent(tom.client, ggz, uwv, Purpose.IPS_TRAJECT, list(Category), recorded_by=behandelaar)
    # Ruben Kok (gemeente, no consent): a future consent.
    ruben = case_of("Kok")
    today = timezone.localdate()
    make_consent(
        ruben.client,
        ggz,
        gemeente,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE, Category.IDENTIFICATIE, Category.IPS, Category.AFSPRAKEN],
        valid_from=today + datetime.timedelta(days=3),
        valid_until=today + datetime.timedelta(days=60),
        recorded_by=behandelaar,
    )
    # Ahmed Haddou (UWV, active): GGZ B on the team with a consent for afspraken only
    # (purpose afstemming), and the gemeente with nothing.
    ahmed = case_of("Haddou")
    consent.add_member(ahmed, outsider, CaseRole.BEHANDELAAR)
    consent.add_member(ahmed, km, CaseRole.KLANTMANAGER)
    make_consent(
        ahmed.client, ggz, ggz_b, Purpose.AFSTEMMING, [Category.AFSPRAKEN], recorded_by=behandelaar
    )


def may_see(user, case_id, holder_id, category, action=Action.READ):
    if case_id is None:
        return False
    case = Case.objects.select_related("client").get(pk=case_id)
    access = consent.case_access(user, case)
    return access.decide(category, holder_id, action).allowed


@pytest.fixture
def world(db, settings):
    settings.DEMO_MODE = True
    call_command("load_demo")
    vary_world()
    markers = Markers()
    tag_world(markers)
    return markers


EMAILS = [
    "klantmanager@havenstad.demo",
    "adviseur@uwv.demo",
    "outsider@bergland.demo",
    "jobcoach@rivierland.demo",
    "behandelaar@rivierland.demo",
    "beheer@havenstad.demo",
    "beheer@rivierland.demo",
]


@pytest.mark.parametrize("email", EMAILS, ids=lambda e: e.split("@")[0] + "-" + e.split("@")[1][:4])
def test_each_page_shows_only_what_the_policy_lets_its_user_read(world, client_for, email):
    user = User.objects.get(email=email)
    pages = crawl(client_for(user))
    leaks = set()
    cache = {}
    for path, html in pages.items():
        for n in {int(x) for x in TOKEN.findall(html)}:
            case_id, holder, category, what = world.items[n]
            key = (case_id, holder, category)
            if key not in cache:
                if user.role == Role.BEHEERDER:
                    # A beheerder reads the identificatie of the organisation's own clients.
                    client_org = (
                        Case.objects.get(pk=case_id).client.organisation_id if case_id else None
                    )
                    cache[key] = category == "identificatie" and client_org == user.organisation_id
                else:
                    cache[key] = may_see(user, case_id, holder, category)
            if not cache[key]:
                leaks.add((path, what, category, case_id))
    assert sorted(leaks) == []
    # Not passed by showing nothing: every account sees markers it may read, but the
    # gemeente's beheerder: in the demo every client is registered by the GGZ, and a
    # beheerder reads client data of the organisation's own clients only.
    seen = {world.items[int(x)][2] for html in pages.values() for x in TOKEN.findall(html)}
    assert bool(seen) is (email != "beheer@havenstad.demo"), seen


@pytest.mark.parametrize("email", EMAILS[:5], ids=lambda e: e.split("@")[0])
def test_the_voortgangsrapportage_holds_only_what_its_user_may_export(world, email):
    from cases import reports as case_reports

    user = User.objects.get(email=email)
    leaks, shown = set(), 0
    for case in consent.cases_for(user):
        report = Report(
            type=ReportType.VOORTGANG,
            title="t",
            requested_by=user,
            organisation=user.organisation,
            case=case,
            client=case.client,
        )
        built = case_reports.build(report)
        html = render_to_string(
            built.template,
            {
                **built.context,
                "report": report,
                "generated_at": timezone.now(),
                "confidential": True,
            },
        )
        for n in {int(x) for x in TOKEN.findall(html)}:
            shown += 1
            case_id, holder, category, what = world.items[n]
            if not may_see(user, case_id, holder, category, Action.EXPORT):
                leaks.add((case.pk, what, category, case_id))
    assert sorted(leaks) == []
    assert shown, f"{email}'s reports showed no marker at all"
