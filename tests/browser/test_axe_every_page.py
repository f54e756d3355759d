"""Accessibility crawl: every GET page each role can open, checked with axe in a browser.

Per role (behandelaar, IPS-trajectbegeleider, klantmanager, beheerder of a GGZ and of a
gemeente, the platform administrator) the test signs in through the real sign-in page in a
browser context of its own and opens every page of the URL confs that role may use, on a
small world with real objects in it: a shared case with a medical note, werksituatie, goal,
afspraak, driegesprek, consent, motivational conversation, a running and a finished
gespreksleidraad, an IPS trajectory that found a job, fidelity reviews and a report. A few
main forms are also sent empty (or wrong) once, and the answer with its errors is checked.

On every page: axe-core (WCAG 2.1 A/AA, and no console errors, CSP included), exactly one
<h1>, a <title>, <html lang="nl">, and every form control labelled by a <label>,
``aria-labelledby`` or ``aria-label`` (not by a placeholder or title alone). The findings of
all roles are gathered and reported together, per page.

``test_every_page_is_crawled_or_named`` holds the list to the URL confs: a page added to
``cases``, ``consent``, ``ips`` or ``portal`` is either crawled here or named in ``NOT_PAGES``
with the reason.
"""

import datetime
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases import conversation_services, leidraad_services
from cases import services as case_services
from cases.constants import (
    Benefit,
    CaseRole,
    GoalStatus,
    Judgement,
    RecoveryDomain,
    TimelineKind,
    WishToWork,
    WorkSituationKind,
)
from cases.models import Agreement, Goal, LeidraadThemeNote, WorkSituation
from consent import services as consent
from consent.constants import Category, Purpose
from ips import fidelity
from ips.constants import FIDELITY_ITEMS, Phase, ReviewKind
from ips.demo import STORY_LOADERS
from ips.models import Placement, Trajectory
from portal import reports
from portal.models import ReportType

from ..builders import make_case, make_consent, withdraw
from ..conftest import PASSWORD
from ..test_conversations import conversation_data
from ..test_leidraad import finished_session
from .conftest import (
    DEFAULT_TIMEOUT_MS,
    _console_errors,
    _record_console_error,
    assert_accessible,
    sign_in,
)

pytestmark = [pytest.mark.browser]

WORK_CATEGORIES = [
    Category.IDENTIFICATIE,
    Category.WERKSITUATIE,
    Category.MOGELIJKHEDEN,
    Category.AFSPRAKEN,
    Category.IPS,
]
MISSING = "/deze-pagina-bestaat-niet/"

# URL names of the four apps that are not pages to crawl, and why.
NOT_PAGES = {
    "cases:case_open": "POST only",
    "cases:goal_status": "POST only",
    "cases:agreement_done": "POST only",
    "cases:respond": "POST only",
    "cases:assign_lead": "POST only",
    "cases:progress_report": "POST only",
    "cases:leidraad_start": "POST only",
    "cases:leidraad_summary_report": "POST only",
    "cases:leidraad_download": "JSON download",
    "consent:form_download": "download of the scanned form",
    "consent:consent_report": "POST only",
    "consent:client_consents_report": "POST only",
    "ips:phase_change": "POST only",
    "ips:results_report": "POST only",
    "ips:team_delete": "POST only",
    "ips:team_member": "POST only",
    "ips:transfer": "POST only",
    "ips:fidelity_finish": "POST only",
    "ips:fidelity_report": "POST only",
    "portal:user_set_active": "POST only",
    "portal:user_reset_mfa": "POST only",
    "portal:health": "JSON for the load balancer",
    "portal:report_download": "PDF download",
}


# --- What each role opens -------------------------------------------------------------------


def pages_of(role, w):
    """(URL name, args) of every page ``role`` opens in world ``w``."""
    case, trajectory = w.case, w.trajectory
    common = [("portal:home", [])]
    if role == "behandelaar":
        session, done = w.session_open, w.session_done
        return common + [
            ("cases:client_create", []),
            ("cases:detail", [case.pk]),
            ("cases:detail", [w.closed_case.pk]),
            ("cases:timeline", [case.pk]),
            ("cases:work_situation", [case.pk]),
            ("cases:work_discussed", [case.pk]),
            ("cases:note_create", [case.pk]),
            ("cases:goal_create", [case.pk]),
            ("cases:agreement_create", [case.pk]),
            ("cases:invite", [case.pk]),
            ("cases:refer", [case.pk]),
            ("cases:leave", [case.pk]),
            ("cases:close", [case.pk]),
            ("cases:driegesprek_plan", [case.pk]),
            ("cases:driegesprek_record", [case.pk, w.meeting.pk]),
            ("cases:leidraad_list", [case.pk]),
            ("cases:leidraad_detail", [case.pk, session.pk]),
            ("cases:leidraad_step", [case.pk, session.pk, 1]),
            ("cases:leidraad_step", [case.pk, session.pk, 2]),
            ("cases:leidraad_step", [case.pk, session.pk, 3]),
            ("cases:leidraad_preparation", [case.pk, session.pk]),
            ("cases:leidraad_preparation_blank", []),
            ("cases:leidraad_detail", [w.case2.pk, done.pk]),
            ("cases:leidraad_summary", [w.case2.pk, done.pk]),
            ("cases:leidraad_correction", [w.case2.pk, done.pk]),
            ("cases:conversation_list", [case.pk]),
            ("cases:conversation_create", [case.pk]),
            ("cases:conversation_detail", [case.pk, w.conversation.pk]),
            ("cases:conversation_edit", [case.pk, w.conversation.pk]),
            ("cases:conversation_correct", [case.pk, w.conversation.pk]),
            ("cases:miti_trend", []),
            ("consent:create_for_case", [case.pk]),
            ("consent:detail", [w.consent.pk]),
            ("consent:detail", [w.withdrawn.pk]),
            ("consent:print", [w.consent.pk]),
            ("consent:withdraw", [w.consent.pk]),
            ("consent:form_add", [w.consent.pk]),
            ("ips:trajectory", [case.pk]),
            ("portal:report_detail", [w.reports["behandelaar"].pk]),
        ]
    if role == "trajectbegeleider":
        t = [case.pk, trajectory.pk]
        return common + [
            ("cases:detail", [case.pk]),
            ("cases:timeline", [case.pk]),
            ("cases:work_situation", [case.pk]),
            ("cases:conversation_list", [case.pk]),
            ("cases:leidraad_list", [case.pk]),
            ("ips:trajectory", [case.pk]),
            ("ips:profile_edit", t),
            ("ips:contact_create", t),
            ("ips:placement_create", t),
            ("ips:placement_end", [*t, w.placement.pk]),
            ("ips:follow_along_create", t),
            ("ips:caseload", []),
            ("ips:contacts", []),
            ("ips:results", []),
            ("ips:fidelity_list", []),
            ("ips:fidelity_detail", [w.review_draft.pk]),
            ("ips:fidelity_detail", [w.review_done.pk]),
            ("portal:report_detail", [w.reports["trajectbegeleider"].pk]),
        ]
    if role == "klantmanager":
        return common + [
            ("cases:client_create", []),
            ("cases:detail", [case.pk]),
            ("cases:timeline", [case.pk]),
            ("cases:work_situation", [case.pk]),
            ("cases:agreement_create", [case.pk]),
            ("cases:conversation_list", [case.pk]),
            ("cases:leidraad_list", [case.pk]),
            ("ips:trajectory", [case.pk]),
            ("portal:report_detail", [w.reports["klantmanager"].pk]),
        ]
    beheer = common + [
        ("portal:user_list", []),
        ("portal:user_create", []),
        ("consent:overview", []),
        ("consent:beheer_create", []),
        ("consent:access_log", []),
        ("consent:avg_inzage", []),
        ("cases:without_lead", []),
    ]
    if role == "beheerder_ggz":
        return beheer + [
            ("portal:user_edit", [w.behandelaar_a.pk]),
            ("consent:detail", [w.consent.pk]),
            ("consent:avg_inzage_request", [case.client_id]),
            ("ips:teams", []),
            ("ips:team_edit", [w.team.pk]),
            ("cases:leidraad_beheer", []),
        ]
    if role == "beheerder_gemeente":
        return beheer + [("portal:user_edit", [w.klantmanager_g.pk])]
    return common  # the platform administrator: also the admin pages, below


# Pages every signed-in user has, whatever the role: their content does not change with it
# (the menu does, and is checked on every other page), so three roles open them.
GENERAL_PAGES = [("portal:account", []), ("consent:help", []), ("mfa_index", [])]
GENERAL_PAGES += [("account_change_password", [])]
GENERAL_ROLES = {"behandelaar", "beheerder_ggz", "platform"}
# The Django admin, for the platform administrator.
ADMIN_PAGES = [
    ("admin:index", []),
    ("admin:portal_user_changelist", []),
    ("admin:portal_organisation_changelist", []),
]

# Main forms sent empty once per role: (URL name, args) -> the answer page is checked.
# Browser validation is switched off for that one submit, as a script-less browser or an
# old one would send the form.


def forms_of(role, w):
    case, t = w.case, [w.case.pk, w.trajectory.pk]
    return {
        "behandelaar": [
            ("cases:client_create", []),
            ("cases:note_create", [case.pk]),
            ("cases:goal_create", [case.pk]),
            ("cases:work_situation", [case.pk]),
            ("cases:driegesprek_plan", [case.pk]),
            ("cases:conversation_create", [case.pk]),
            ("consent:create_for_case", [case.pk]),
            ("consent:withdraw", [w.consent.pk]),
            ("consent:form_add", [w.consent.pk]),
        ],
        "trajectbegeleider": [
            ("ips:contact_create", t),
            ("ips:placement_create", t),
            ("ips:follow_along_create", t),
            ("ips:fidelity_list", []),
        ],
        "klantmanager": [("cases:agreement_create", [case.pk])],
        "beheerder_ggz": [("portal:user_create", []), ("ips:teams", [])],
        "beheerder_gemeente": [("portal:user_create", [])],
        "platform": [],
    }[role]


# --- The world ------------------------------------------------------------------------------


def build_world(ggz_a, gemeente_g, behandelaar_a, jobcoach_a, klantmanager_g, beheerder_a):
    today = timezone.localdate()
    case = make_case(behandelaar_a, first_name="Daan", last_name="Mulder")
    case_services.add_timeline(
        case, behandelaar_a, TimelineKind.NOTITIE, Category.MEDISCH, "Intake", body="Klinisch."
    )
    WorkSituation.objects.create(
        case=case,
        organisation=ggz_a,
        recorded_by=behandelaar_a,
        kind=WorkSituationKind.GEEN,
        benefit=Benefit.BIJSTAND,
        job_search_duty=True,
        wish_to_work=WishToWork.JA,
    )
    Goal.objects.create(
        case=case,
        organisation=ggz_a,
        created_by=behandelaar_a,
        domain=RecoveryDomain.MAATSCHAPPELIJK,
        description="Een betaalde baan",
        status=GoalStatus.OPEN,
    )
    Agreement.objects.create(
        case=case,
        organisation=ggz_a,
        created_by=behandelaar_a,
        what="Vacatures bekijken",
        owner="Cliënt",
        due_date=today + datetime.timedelta(days=14),
    )
    meeting = case.meetings.create(
        organisation=ggz_a,
        created_by=behandelaar_a,
        planned_at=timezone.now() - datetime.timedelta(hours=1),
        location="Kantoor",
        participants="Cliënt, behandelaar en klantmanager",
    )
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    record = make_consent(
        case.client, ggz_a, gemeente_g, Purpose.REINTEGRATIE, WORK_CATEGORIES, recorded_by=None
    )
    withdrawn = make_consent(
        case.client, ggz_a, gemeente_g, Purpose.DRIEGESPREK, [Category.WERKSITUATIE]
    )
    withdraw(withdrawn, behandelaar_a)

    # IPS: referred, accepted, a job found and follow-along (the demo's story).
    access = consent.case_access(behandelaar_a, case)
    referral = case_services.refer(access, ggz_a, CaseRole.TRAJECTBEGELEIDER, "Wil werken")
    case_services.respond(referral, jobcoach_a, accept=True)
    trajectory = Trajectory.objects.get(referral=referral)
    STORY_LOADERS["geplaatst"](trajectory, jobcoach_a, today)
    trajectory.refresh_from_db()
    assert trajectory.phase == Phase.NAZORG
    placement = Placement.objects.filter(trajectory=trajectory).latest("pk")

    conversation = conversation_services.log_conversation(
        consent.case_access(behandelaar_a, case),
        conversation_data(today, importance=6, confidence=4, summary="Twijfel, maar nieuwsgierig."),
        {},
    )

    # A running gespreksleidraad on the case, a finished one on a second case.
    session, _created = leidraad_services.start(consent.case_access(behandelaar_a, case))
    LeidraadThemeNote.objects.bulk_create(
        LeidraadThemeNote(session=session, theme=key, position=i)
        for i, key in enumerate(["krachten", "financien"])
    )
    case2 = make_case(behandelaar_a, first_name="Lotte", last_name="Hendriks")
    done = finished_session(
        case2, behandelaar_a, {"krachten": Judgement.HELPT, "financien": Judgement.BELEMMERT}
    )
    # An open invitation for the klantmanager, and a closed case.
    case_services.invite(
        consent.case_access(behandelaar_a, case2), klantmanager_g, CaseRole.KLANTMANAGER, "Graag"
    )
    closed_case = make_case(behandelaar_a, first_name="Iris", last_name="Vos")
    case_services.close_case(behandelaar_a, closed_case)

    team = jobcoach_a.ips_team_member.team
    review_done = fidelity.create_review(
        jobcoach_a, team, kind=ReviewKind.EXTERN, review_date=today, reviewers="Auditoren"
    )
    scores = {code: (4, "") for code, *_rest in FIDELITY_ITEMS}
    fidelity.save_scores(review_done, scores, review_done.version)
    fidelity.finish_review(review_done, jobcoach_a, review_done.version)
    review_draft = fidelity.create_review(
        jobcoach_a, team, kind=ReviewKind.ZELF, review_date=today, reviewers="IPS-team"
    )

    requested = {
        "behandelaar": (behandelaar_a, ReportType.VOORTGANG, case),
        "klantmanager": (klantmanager_g, ReportType.VOORTGANG, case),
        "trajectbegeleider": (jobcoach_a, ReportType.IPS_RESULTATEN, None),
    }
    return SimpleNamespace(
        case=case,
        case2=case2,
        closed_case=closed_case,
        meeting=meeting,
        consent=record,
        withdrawn=withdrawn,
        trajectory=trajectory,
        placement=placement,
        conversation=conversation,
        session_open=session,
        session_done=done,
        team=team,
        review_done=review_done,
        review_draft=review_draft,
        behandelaar_a=behandelaar_a,
        klantmanager_g=klantmanager_g,
        reports={
            role: reports.request_report(user, kind, "Rapport", case=on)
            for role, (user, kind, on) in requested.items()
        },
    )


@pytest.fixture
def world(ggz_a, gemeente_g, behandelaar_a, jobcoach_a, klantmanager_g, beheerder_a):
    return build_world(ggz_a, gemeente_g, behandelaar_a, jobcoach_a, klantmanager_g, beheerder_a)


# --- The checks -----------------------------------------------------------------------------

# Every form control must have a name from a <label> (its text, or the alt of an image in
# it), aria-labelledby or aria-label: axe also accepts a title or placeholder alone, which
# the house style does not.
PAGE_FACTS = """() => {
    const text = (el) => el ? (el.textContent + [...el.querySelectorAll("img[alt]")]
        .map((img) => img.alt).join("")).trim() : "";
    const named = (el) => {
        if ([...el.labels].some((label) => text(label))) return true;
        if ((el.getAttribute("aria-label") || "").trim()) return true;
        const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
        return ids.some((id) => text(document.getElementById(id)));
    };
    const skip = ["hidden", "submit", "button", "reset", "image"];
    const unnamed = [...document.querySelectorAll("input, select, textarea")]
        .filter((el) => !skip.includes(el.type) && !named(el))
        .map((el) => el.outerHTML.slice(0, 160));
    return {
        h1: document.querySelectorAll("h1").length,
        title: document.title.trim(),
        lang: document.documentElement.getAttribute("lang"),
        unnamed: unnamed,
    };
}"""


@contextmanager
def browser_page(browser, live_server):
    """A page in a browser context of its own, with the console and CSP watch of the
    ``page`` fixture (tests/browser/conftest.py): one per role."""
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors = _console_errors[page] = []
    page.on("console", lambda msg: _record_console_error(errors, msg))
    page.on("pageerror", lambda exc: errors.append(f"Uncaught: {exc}"))
    try:
        yield page
    finally:
        del _console_errors[page]
        context.close()


def check(page, label, problems, status=None):
    """axe and the page facts on the page now open; findings are added to ``problems``."""
    page.wait_for_load_state("load")
    if status and status >= 400:
        # Chromium logs a 4xx answer as a console error; it is the page under test here.
        page.wait_for_timeout(50)  # the console message may trail the load a little
        errors = _console_errors[page]
        errors[:] = [e for e in errors if f"status of {status}" not in e]
    try:
        assert_accessible(page)
    except pytest.fail.Exception as failed:
        problems.append(f"{label}: {failed}")
    facts = page.evaluate(PAGE_FACTS)
    if facts["h1"] != 1:
        problems.append(f"{label}: {facts['h1']} <h1> elements")
    if not facts["title"]:
        problems.append(f"{label}: no <title>")
    if facts["lang"] != "nl":
        problems.append(f"{label}: <html lang={facts['lang']!r}>")
    for html in facts["unnamed"]:
        problems.append(f"{label}: control without a label: {html}")


def confirm_password(page, label, problems):
    """Check allauth's page that asks for the password again, and confirm it."""
    check(page, f"{label}: password asked again", problems)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Bevestigen").click()
    return navigation.value


def visit(page, path, label, problems, expected=200):
    response = page.goto(path)
    if reverse("account_reauthenticate") in page.url:
        response = confirm_password(page, label, problems)
    if response.status != expected:
        problems.append(f"{label}: status {response.status}, expected {expected} ({page.url})")
    elif not page.url.endswith(path):  # sent elsewhere: the page itself was not checked
        problems.append(f"{label}: redirected to {page.url}")
    check(page, label, problems, response.status)


def _submit_main_form_empty(page):
    """Send the main form of the page (the one with most fields) with every field empty;
    browser validation is off for it, as a browser without it would send the form."""
    forms = page.locator("main form[method=post]").all()
    counts = [f.locator("input:not([type=hidden]), select, textarea").count() for f in forms]
    if not counts:
        return None
    form = forms[counts.index(max(counts))]
    with page.expect_navigation() as navigation:
        form.evaluate(
            """(f) => {
                for (const el of f.elements) {
                    if (el.type === "checkbox" || el.type === "radio") el.checked = false;
                    else if (el.tagName === "SELECT") el.selectedIndex = -1;
                    else if (!["hidden", "submit", "button"].includes(el.type)) el.value = "";
                }
                f.noValidate = true;
                f.requestSubmit();
            }"""
        )
    return navigation.value


def send_empty(page, path, label, problems):
    """Open ``path``, send its main form empty, and check the answer with its errors. A
    sensitive form asks for the password first: that page is checked too."""
    page.goto(path)
    response = _submit_main_form_empty(page)
    if response is not None and reverse("account_reauthenticate") in page.url:
        response = confirm_password(page, label, problems)
        # allauth sends the stashed form on once the password is confirmed.
        if page.locator(".errorlist, [role=alert]").count() == 0:
            response = _submit_main_form_empty(page)
    if response is None:
        problems.append(f"{label}: no form to send")
        return
    if page.locator(".errorlist, [role=alert]").count() == 0:
        problems.append(f"{label}: the answer shows no error ({page.url})")
    check(page, label, problems, response.status)


def crawl_signed_out(page, user):
    problems = []
    visit(page, reverse("account_login"), "sign-in", problems)
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill("fout-wachtwoord")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Inloggen").click()
    check(page, "sign-in with a wrong password", problems, navigation.value.status)
    visit(page, reverse("account_reset_password"), "password reset", problems)
    visit(page, MISSING, "404 signed out", problems, expected=404)
    return problems


def crawl(page, live_server, user, role, w):
    problems = []
    sign_in(page, live_server, user.email)
    pages = pages_of(role, w)
    if role in GENERAL_ROLES:
        pages += GENERAL_PAGES
    if role == "platform":
        pages += ADMIN_PAGES
    for name, args in pages:
        visit(page, reverse(name, args=args), f"{role} {name}{args}", problems)
    visit(page, MISSING, f"{role} 404", problems, expected=404)
    for name, args in forms_of(role, w):
        send_empty(page, reverse(name, args=args), f"{role} {name}{args} sent empty", problems)
    return problems


# --- The tests ------------------------------------------------------------------------------

ROLES = {
    "behandelaar": "behandelaar_a",
    "trajectbegeleider": "jobcoach_a",
    "klantmanager": "klantmanager_g",
    "beheerder_ggz": "beheerder_a",
    "beheerder_gemeente": "beheerder_g",
    "platform": "superuser",
}


def test_every_page_of_every_role(request, browser, live_server, world):
    """One world for all roles (building it takes longer than most pages), a browser context
    per role; the findings of all roles are reported together."""
    with browser_page(browser, live_server) as page:
        problems = crawl_signed_out(page, world.behandelaar_a)
    for role, fixture in ROLES.items():
        with browser_page(browser, live_server) as page:
            user = request.getfixturevalue(fixture)
            problems += crawl(page, live_server, user, role, world)
    assert not problems, f"{len(problems)} finding(s):\n" + "\n".join(problems)


def _names(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


class _Anything:
    """Stands in for any object of the world: every attribute is another one, pk is 1."""

    pk = 1
    client_id = 1

    def __getattr__(self, name):
        return _Anything()

    def __getitem__(self, key):
        return _Anything()


def test_every_page_is_crawled_or_named():
    apps = ("portal:", "cases:", "consent:", "ips:")
    names = {n for n in _names(get_resolver()) if n.startswith(apps)}
    anything = _Anything()
    crawled = {name for name, _args in GENERAL_PAGES}
    for role in ROLES:
        crawled |= {name for name, _args in pages_of(role, anything) + forms_of(role, anything)}
    assert names - crawled - set(NOT_PAGES) == set()
    assert set(NOT_PAGES) <= names  # no stale names
    assert not crawled & set(NOT_PAGES)
