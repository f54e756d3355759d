"""The access log of a Werk & Inkomen organisation's own client, on which a GGZ behandelaar
works: that the behandelaar wrote or read treatment notes, when and how often, is treatment
information, which Werk & Inkomen never learns (consent.services.log_hidden_from). Those
entries are GGZ's log to review. Found by an exploratory tester: the gemeente's inzagelog
listed each medical note and read of the GGZ behandelaar, category named."""

import pytest
from django.urls import reverse

from cases.constants import CaseRole
from consent import avg_report
from consent import services as consent
from consent.constants import Category
from consent.models import AccessLogEntry
from portal.models import Report

from .builders import make_case
from .test_reports_avg import ask
from .test_reports_consent import categories  # noqa: F401

MEDISCH_LABEL = str(Category.MEDISCH.label)


@pytest.fixture
def gemeente_case(klantmanager_g, behandelaar_a, client_for):
    """The gemeente's client; GGZ A's behandelaar on the team records and reads a medical
    note of GGZ A's."""
    case = make_case(klantmanager_g, first_name="Gerda", last_name="Gemeentecliënt")
    consent.add_member(case, behandelaar_a, CaseRole.BEHANDELAAR)
    c = client_for(behandelaar_a)
    response = c.post(
        reverse("cases:note_create", args=[case.pk]),
        {"category": Category.MEDISCH, "title": "Consult psychiater", "body": "Medicatie."},
    )
    assert response.status_code == 302
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert client_for(klantmanager_g).get(reverse("cases:detail", args=[case.pk])).status_code
    medical = AccessLogEntry.objects.filter(
        user=behandelaar_a, category=Category.MEDISCH, client_id=case.client_id
    )
    assert {entry.action for entry in medical} == {"create", "read"}
    return case


def log_rows(html, who):
    return [row for row in html.split("<tr>")[1:] if who.get_full_name() in row]


def test_the_gemeentes_inzagelog_leaves_out_ggzs_work_on_treatment_information(
    gemeente_case, beheerder_g, klantmanager_g, behandelaar_a, client_for
):
    html = client_for(beheerder_g).get(reverse("consent:access_log")).content.decode()
    assert [row for row in log_rows(html, behandelaar_a) if MEDISCH_LABEL in row] == []
    # Its own people's reads of its client are all there.
    assert log_rows(html, klantmanager_g)


def test_ggzs_inzagelog_still_shows_its_own_peoples_work_there(
    gemeente_case, beheerder_a, behandelaar_a, client_for
):
    html = client_for(beheerder_a).get(reverse("consent:access_log")).content.decode()
    assert len([row for row in log_rows(html, behandelaar_a) if MEDISCH_LABEL in row]) == 2


def test_the_gemeentes_avg_inzage_leaves_it_out_too(
    gemeente_case, beheerder_g, klantmanager_g, behandelaar_a, client_for
):
    ask(client_for(beheerder_g), gemeente_case.client)
    built = avg_report.build(Report.objects.get())
    log = built.context["log"]
    assert [row for row in log if row["category"] == MEDISCH_LABEL] == []
    assert any(row["who"] == klantmanager_g.get_full_name() for row in log)
    assert any(row["what"] == "avg-inzage" for row in log)  # the request itself


def test_who_has_seen_the_file_leaves_out_ggzs_reads_of_its_own_treatment_notes(
    gemeente_case, klantmanager_g, behandelaar_a, client_for
):
    """The case page's 'wie heeft dit dossier ingezien' for the gemeente: the behandelaar
    read only GGZ A's own medical note there, so is not listed (when would tell when
    treatment was looked at); the gemeente's own reads are."""
    page = client_for(klantmanager_g).get(reverse("cases:detail", args=[gemeente_case.pk]))
    visits = page.context["panels"][-1]["visits"]
    assert [v["who"] for v in visits] == [klantmanager_g.get_full_name()]
    # The behandelaar, not of the client's organisation, sees GGZ A's own reads (as before).
    page = client_for(behandelaar_a).get(reverse("cases:detail", args=[gemeente_case.pk]))
    visits = page.context["panels"][-1]["visits"]
    assert [v["who"] for v in visits] == [behandelaar_a.get_full_name()]


def test_a_ggz_holder_reviews_everything_about_its_client(behandelaar_a, klantmanager_g):
    """The rule is Werk & Inkomen's only: a care organisation hides nothing of its log."""
    assert consent.log_hidden_from(behandelaar_a.organisation) is None
    assert consent.log_hidden_from(klantmanager_g.organisation) is not None
