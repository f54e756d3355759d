"""WCAG 1.4.10 Reflow: at 320 CSS px wide (a phone, or 400 % zoom on a 1280 px screen) no
page scrolls sideways as a whole. A wide table scrolls inside its own region instead, and
keyboard users can reach that region to scroll it (axe: scrollable-region-focusable). The
case page has its own test in test_case_journey.py.

The pages are those of the demo world, so every table has real, realistically long rows.
axe runs on every page at that width."""

import pytest
from django.db.models import Count
from playwright.sync_api import expect

from cases.models import Case, Conversation
from ips.models import FidelityReview
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

# For the failure message: the innermost elements, outside the table regions, that stick out.
WHAT_STICKS_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.body.querySelectorAll("*")].filter((el) =>
    el instanceof HTMLElement && !el.closest(".table-scroll")
    && el.getBoundingClientRect().left + el.scrollWidth > width + 1);
  return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)))
    .map((el) => el.outerHTML.slice(0, 100));
}"""


def pages_per_user():
    """The pages with a data table, per demo account that may see them."""
    conversation = Conversation.objects.order_by("pk").first()
    history = (
        Case.objects.annotate(n=Count("work_situations")).filter(n__gte=2).order_by("pk").first()
    )
    review = FidelityReview.objects.order_by("pk").first()
    return {
        BEHANDELAAR: [
            "/",
            f"/casussen/{history.pk}/werksituatie/",
            f"/casussen/{conversation.case_id}/gesprekken/",
            "/mijn-gespreksvoering/",
            "/wie-ziet-wat/",
        ],
        JOBCOACH: [
            "/ips/caseload/",
            "/ips/werkgeverscontacten/",
            "/ips/resultaten/",
            "/ips/modelgetrouwheid/",
            f"/ips/modelgetrouwheid/{review.pk}/",
        ],
        BEHEERDER: [
            "/beheer/gebruikers/",
            "/beheer/toestemmingen/",
            "/beheer/inzagelog/",
            "/beheer/ips-teams/",
            "/beheer/casussen-zonder-regie/",
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

    def check(path):
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.locator("main table").count(), f"{path}: no table to check"
        root = "document.documentElement"
        if page.evaluate(f"{root}.scrollWidth > {root}.clientWidth"):
            wide = page.evaluate(WHAT_STICKS_OUT)
            problems.append(f"{path}: the whole page scrolls sideways; too wide: {wide}")
        if outside := page.evaluate(TABLES_OUTSIDE_A_REGION):
            problems.append(f"{path}: table(s) not in a focusable, named region: {outside}")
        assert_accessible(page)

    page.goto(LOGIN_PATH)  # demo mode lists the demo accounts in a table
    check(LOGIN_PATH)
    for email, paths in pages_per_user().items():
        sign_in(page, live_server, email, settings.DEMO_PASSWORD)
        for path in paths:
            page.goto(path)
            check(path)
        page.context.clear_cookies()
    assert not problems, "\n".join(problems)
