"""WCAG 1.4.10 Reflow: at 320 CSS px wide (a phone, or 400 % zoom on a 1280 px screen) no
page scrolls sideways as a whole. A wide table scrolls inside its own region instead, and
keyboard users can reach that region to scroll it (axe: scrollable-region-focusable). A
bare case page (no panels filled) has its own test in test_case_journey.py; here is a case
page with its panels full.

The pages are those of the demo world, so every table has real, realistically long rows.
The demo world has no gesprekken over werk (gespreksleidraad): the test adds three, two
finished and one at step 3. axe runs on every page at that width."""

import datetime

import pytest
from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import expect

from cases import leidraad_services as leidraad
from cases.constants import Judgement, LeidraadStatus, ReferralKind
from cases.models import Case, Conversation, LeidraadSession, LeidraadThemeNote
from consent import services as consent
from ips.models import FidelityReview, Trajectory
from portal import demo
from portal.constants import Role
from portal.models import User

from ..builders import make_case
from ..factories import UserFactory
from .conftest import LOGIN_PATH, assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 800}

BEHANDELAAR = "behandelaar@rivierland.demo"
JOBCOACH = "jobcoach@rivierland.demo"
BEHEERDER = "beheer@rivierland.demo"

# Every table on these pages must sit in a named, focusable scroll region.
TABLES_OUTSIDE_A_REGION = """() => [...document.querySelectorAll("main table")]
  .filter((table) => {
    const region = table.closest(".table-scroll");
    const label = region && document.getElementById(region.getAttribute("aria-labelledby"));
    return !(region && region.getAttribute("role") === "region"
             && region.getAttribute("tabindex") === "0" && label && label.textContent.trim());
  })
  .map((table) => (table.caption ? table.caption.textContent.trim() : table.outerHTML.slice(0, 80)))
"""

# Boxes other than the table regions that scroll sideways: a card (overflow-x: auto) that
# does is content the reader has to scroll in two directions, and fails axe when nothing in
# it can take focus.
BOXES_THAT_SCROLL = """() => [...document.querySelectorAll("main *")]
  .filter((el) => !el.matches(".table-scroll") && el.scrollWidth > el.clientWidth + 1
    && ["auto", "scroll"].includes(getComputedStyle(el).overflowX))
  .map((el) => el.outerHTML.slice(0, 100))
"""

# Names that more than one region (a card, a table's region) on the page has: a table's
# region named like the card around it cannot be told apart from it.
REGION_NAMES_USED_TWICE = """() => {
  const names = [...document.querySelectorAll("main [role=region], main section[aria-labelledby]")]
    .map((el) => (el.getAttribute("aria-labelledby") || "").split(" ")
      .map((id) => document.getElementById(id)?.textContent.trim() || "").join(" ").trim());
  return [...new Set(names.filter((name, i) => name && names.indexOf(name) !== i))];
}"""

# The captions of the tables that sit in a region.
TABLES_IN_A_REGION = """() => [...document.querySelectorAll("main .table-scroll > table")]
  .map((table) => (table.caption ? table.caption.textContent.trim() : ""))
"""

# For the failure message: the innermost elements, outside the table regions, that stick out.
WHAT_STICKS_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.body.querySelectorAll("*")].filter((el) =>
    el instanceof HTMLElement && !el.closest(".table-scroll")
    && el.getBoundingClientRect().left + el.scrollWidth > width + 1);
  return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)))
    .map((el) => el.outerHTML.slice(0, 100));
}"""


TREND = "Wat werk doet voor het herstel, per thema en per gesprek"

# A gesprek over werk's agreements, as long as real ones.
AGREEMENTS = [
    ("Met de bedrijfsarts bespreken welke werkzaamheden nu haalbaar zijn", "Cliënt"),
    ("Informatie over het IPS-traject en de trajectbegeleider toesturen", "Behandelaar"),
]


def add_leidraad_sessions(case, behandelaar):
    """Two finished gesprekken over werk (so the trend has two columns) and one at step 3,
    each with its agreements, the finished ones with their referral decision; returns the
    last finished one and the open one."""
    access = consent.case_access(behandelaar, case)
    today = timezone.localdate()
    themes = {
        "financien": (Judgement.BELEMMERT, Judgement.NEUTRAAL),
        "stress": (Judgement.ONDUIDELIJK, Judgement.HELPT),
        "betrokkenheid": (Judgement.HELPT, Judgement.HELPT),
    }
    sessions = []
    for n, days_ago in enumerate([40, 10, 0]):
        session, _created = leidraad.start(access)
        LeidraadThemeNote.objects.bulk_create(
            LeidraadThemeNote(
                session=session,
                theme=key,
                position=i,
                judgement=values[min(n, 1)],
                notes="Besproken aan de hand van de vragen op het voorbereidingsblad.",
            )
            for i, (key, values) in enumerate(themes.items())
        )
        due = today + datetime.timedelta(days=14 - days_ago)
        leidraad.add_agreements(access, session, [(what, who, due) for what, who in AGREEMENTS])
        if days_ago:
            leidraad.refer(
                access, session, ReferralKind.GEEN, "Er loopt al een IPS-traject bij dit team."
            )
            when = timezone.now() - datetime.timedelta(days=days_ago)
            LeidraadSession.objects.filter(pk=session.pk).update(
                status=LeidraadStatus.AFGEROND,
                started_at=when,
                finished_at=when,
                finished_by=behandelaar,
            )
        sessions.append(session)
    return sessions[1], sessions[2]


def pages_per_user():
    """The pages with a data table, per demo account that may see them."""
    conversation = Conversation.objects.order_by("pk").first()
    history = (
        Case.objects.annotate(n=Count("work_situations")).filter(n__gte=2).order_by("pk").first()
    )
    review = FidelityReview.objects.order_by("pk").first()
    # A case with every panel that holds a table, or may: motiverende gesprekken, an IPS
    # trajectory, consents and who read the file, gesprekken over werk (added here).
    full = (
        Case.objects.filter(conversations__isnull=False, ips_trajectories__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    finished, at_step_3 = add_leidraad_sessions(full, User.objects.get(email=BEHANDELAAR))
    leidraad_pages = f"/casussen/{full.pk}/gespreksleidraad/"
    # The trajectory with the most jobs (and employer contacts): both its tables are full.
    trajectory = (
        Trajectory.objects.annotate(
            jobs=Count("placements", distinct=True),
            contacts=Count("employer_contacts", distinct=True),
        )
        .filter(contacts__gte=1)
        .order_by("-jobs", "pk")
        .first()
    )
    trajectory_page = (
        f"/casussen/{trajectory.case_id}/ips/",
        (
            "Werkgeverscontacten met datum, werkgever, soort en uitkomst",
            "Per baan: periode, uren, uurloon en contract",
        ),
    )
    # Per page, the tables (by caption) it must show; the others' are in the demo world
    # for sure, these depend on the data chosen here.
    return {
        BEHANDELAAR: [
            ("/", ()),
            (f"/casussen/{history.pk}/werksituatie/", ()),
            (f"/casussen/{conversation.case_id}/gesprekken/", ()),
            ("/mijn-gespreksvoering/", ()),
            ("/wie-ziet-wat/", ()),
            trajectory_page,  # read only; the jobcoach (below) edits it
            (leidraad_pages, ("Gesprekken met de gespreksleidraad", TREND)),
            (f"{leidraad_pages}{finished.pk}/", ("Afspraken uit dit gesprek",)),
            (f"{leidraad_pages}{finished.pk}/samenvatting/", ("Afspraken",)),
            (f"{leidraad_pages}{at_step_3.pk}/stap-3/", ("Afspraken uit dit gesprek",)),
            # Last: the pages above read this client's file, so "wie heeft dit dossier
            # ingezien" has rows.
            (
                f"/casussen/{full.pk}/",
                (
                    "Afspraken in deze casus",
                    TREND,
                    "Voortgang per gesprek (tekst bij de grafieken)",
                    "Wie heeft dit dossier ingezien",
                ),
            ),
        ],
        JOBCOACH: [
            ("/ips/caseload/", ()),
            ("/ips/werkgeverscontacten/", ()),
            ("/ips/resultaten/", ()),
            ("/ips/modelgetrouwheid/", ()),
            (f"/ips/modelgetrouwheid/{review.pk}/", ()),
            trajectory_page,
        ],
        BEHEERDER: [
            ("/beheer/gebruikers/", ()),
            ("/beheer/toestemmingen/", ()),
            ("/beheer/inzagelog/", ()),
            ("/beheer/ips-teams/", ()),
            ("/beheer/casussen-zonder-regie/", ()),
            ("/beheer/gespreksleidraad/", ("Gepubliceerde versies",)),
        ],
    }


def test_pages_with_tables_reflow_at_320_pixels(page, live_server, settings):
    settings.DEMO_MODE = True
    demo.build_world()
    # A case whose only lead left: the beheer page that lists it has a table too.
    ggz = User.objects.get(email=BEHANDELAAR).organisation
    leaver = UserFactory(organisation=ggz, role=Role.BEHANDELAAR)
    make_case(leaver, first_name="Lotte", last_name="Verhoeven")
    User.objects.filter(pk=leaver.pk).update(is_active=False)

    page.set_viewport_size(PHONE)
    problems = []

    def check(path, tables=()):
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.locator("main table").count(), f"{path}: no table to check"
        root = "document.documentElement"
        if page.evaluate(f"{root}.scrollWidth > {root}.clientWidth"):
            wide = page.evaluate(WHAT_STICKS_OUT)
            problems.append(f"{path}: the whole page scrolls sideways; too wide: {wide}")
        if outside := page.evaluate(TABLES_OUTSIDE_A_REGION):
            problems.append(f"{path}: table(s) not in a focusable, named region: {outside}")
        if scrolling := page.evaluate(BOXES_THAT_SCROLL):
            problems.append(f"{path}: scrolls sideways outside a table region: {scrolling}")
        if twice := page.evaluate(REGION_NAMES_USED_TWICE):
            problems.append(f"{path}: more than one region named {twice}")
        if missing := set(tables) - set(page.evaluate(TABLES_IN_A_REGION)):
            problems.append(f"{path}: expected table(s) missing: {sorted(missing)}")
        assert_accessible(page)

    page.goto(LOGIN_PATH)  # demo mode lists the demo accounts in a table
    check(LOGIN_PATH)
    for email, pages in pages_per_user().items():
        sign_in(page, live_server, email, settings.DEMO_PASSWORD)
        for path, tables in pages:
            page.goto(path)
            check(path, tables)
        page.context.clear_cookies()
    assert not problems, "\n".join(problems)
