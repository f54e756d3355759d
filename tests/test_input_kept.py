"""What a professional types is kept: line breaks typed in a multi-line field are shown, a
long pasted link stays on the paper of a PDF, and text typed in a field that the chosen
option does not use is refused at that field instead of dropped without a word."""

import datetime
import html
import re

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_services as leidraad
from cases import services as case_services
from cases.constants import MeetingStatus, TargetBehaviour
from cases.models import Conversation, Driegesprek
from consent.constants import Category
from ips import fidelity
from ips import services as ips_services
from ips.constants import FIDELITY_ITEM_CODES, CloseReason, Phase
from ips.models import PhaseChange, Placement, Trajectory
from portal import reports
from portal.models import Report, ReportType

from .builders import make_case
from .test_conversations import form_data as conversation_data
from .test_ips import placement_data, start_trajectory, to_search
from .test_leidraad import run_session, step_url
from .test_reports import _private_media, pdf_text  # noqa: F401

TODAY = timezone.localdate
# The clock stands still from before the fixtures run: the dates a test computes and those
# the server computes fall on one day, also when a run crosses midnight.
pytestmark = pytest.mark.time_machine(timezone.localtime, tick=False)

TWO_LINES = "Regel een\nRegel twee"
SHOWN_AS_TWO = re.compile(r"Regel een<br>\s*Regel twee")


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


@pytest.fixture
def search(behandelaar_a, jobcoach_a, case_a):
    return to_search(start_trajectory(behandelaar_a, jobcoach_a, case_a), jobcoach_a)


def page_of(c, url):
    response = c.get(url)
    assert response.status_code == 200
    return response.content.decode()


def report_html(report):
    """The HTML the PDF of ``report`` is made from, as the render task makes it."""
    build, _may = reports.builder_for(report.type)
    built = build(report)
    return render_to_string(
        built.template,
        {**built.context, "report": report, "generated_at": timezone.now(), "confidential": True},
    )


def new_report(user, report_type, case=None, params=None):
    return Report.objects.create(
        type=report_type,
        title=str(report_type.label),
        requested_by=user,
        organisation=user.organisation,
        case=case,
        params=params or {},
    )


# --- Line breaks typed in a multi-line field are shown as line breaks ---------------------


class TestLineBreaksShown:
    def test_employer_contact_outcome(self, client_for, jobcoach_a, case_a, search):
        c = client_for(jobcoach_a)
        response = c.post(
            reverse("ips:contact_create", args=[case_a.pk, search.pk]),
            {
                "contacted_on": TODAY().isoformat(),
                "employer": "Drukkerij Rivier",
                "type": "eerste_contact",
                "outcome": TWO_LINES,
            },
        )
        assert response.status_code == 302
        assert SHOWN_AS_TWO.search(page_of(c, reverse("ips:trajectory", args=[case_a.pk])))
        assert SHOWN_AS_TWO.search(page_of(c, reverse("ips:contacts")))

    def test_phase_note_and_close_note(self, client_for, jobcoach_a, case_a, search):
        c = client_for(jobcoach_a)
        search.refresh_from_db()
        response = c.post(
            reverse("ips:phase_change", args=[case_a.pk, search.pk]),
            {
                "version": search.version,
                "to_phase": Phase.AFGESLOTEN,
                "changed_on": TODAY().isoformat(),
                "close_reason": CloseReason.ANDERS,
                "close_note": TWO_LINES,
                "note": "Notitie een\nNotitie twee <b>",
            },
        )
        assert response.status_code == 302
        page = page_of(c, reverse("ips:trajectory", args=[case_a.pk]))
        assert re.search(r"Notitie een<br>\s*Notitie twee &lt;b&gt;", page)  # still escaped
        assert SHOWN_AS_TWO.search(page)

    def test_close_note_of_an_earlier_trajectory(
        self, client_for, behandelaar_a, jobcoach_a, case_a, search
    ):
        ips_services.change_phase(
            search,
            jobcoach_a,
            Phase.AFGESLOTEN,
            TODAY(),
            close_reason=CloseReason.ANDERS,
            close_note=TWO_LINES,
        )
        start_trajectory(behandelaar_a, jobcoach_a, case_a)
        page = page_of(client_for(jobcoach_a), reverse("ips:trajectory", args=[case_a.pk]))
        assert SHOWN_AS_TWO.search(page)

    def test_placement_override_reason(self, client_for, jobcoach_a, case_a, search):
        c = client_for(jobcoach_a)
        response = c.post(
            reverse("ips:placement_create", args=[case_a.pk, search.pk]),
            placement_data(competitive_override="true", override_reason=TWO_LINES),
        )
        assert response.status_code == 302
        assert Placement.objects.get(trajectory=search).override_reason == TWO_LINES
        assert SHOWN_AS_TWO.search(page_of(c, reverse("ips:trajectory", args=[case_a.pk])))

    def test_invitation_reason_on_the_invitees_start_page(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        response = client_for(behandelaar_a).post(
            reverse("cases:invite", args=[case_a.pk]),
            {"email": behandelaar_a2.email, "case_role": "behandelaar", "reason": TWO_LINES},
        )
        assert response.status_code == 302
        assert SHOWN_AS_TWO.search(page_of(client_for(behandelaar_a2), reverse("portal:home")))

    def test_leidraad_referral_reason(self, client_for, behandelaar_a, case_a):
        leidraad.ensure_bundled()
        c = client_for(behandelaar_a)
        session = run_session(
            c,
            case_a,
            {"financien": "belemmert"},
            referral={"kind": "geen", "verwijzing-geen-reason": TWO_LINES},
        )
        # The finished session: its page, the summary for the client and its PDF.
        assert SHOWN_AS_TWO.search(
            page_of(c, reverse("cases:leidraad_detail", args=[case_a.pk, session.pk]))
        )
        assert SHOWN_AS_TWO.search(
            page_of(c, reverse("cases:leidraad_summary", args=[case_a.pk, session.pk]))
        )
        case_a.refresh_from_db()  # it has a session now
        report = new_report(
            behandelaar_a, ReportType.LEIDRAAD, case=case_a, params={"session": session.pk}
        )
        assert SHOWN_AS_TWO.search(report_html(report)), "one line in the client's PDF"

    def test_leidraad_referral_reason_in_step_3(self, client_for, behandelaar_a, case_a):
        leidraad.ensure_bundled()
        c = client_for(behandelaar_a)
        c.post(reverse("cases:leidraad_start", args=[case_a.pk]))
        session = case_a.leidraad_sessions.latest("pk")
        response = c.post(
            step_url(case_a, session, 3),
            {"action": "verwijzen", "kind": "geen", "verwijzing-geen-reason": TWO_LINES},
        )
        assert response.status_code == 302
        assert SHOWN_AS_TWO.search(page_of(c, step_url(case_a, session, 3)))

    def test_fidelity_note_on_screen_and_in_the_pdf(self, client_for, jobcoach_a):
        review = fidelity.create_review(
            jobcoach_a,
            jobcoach_a.ips_team_member.team,
            kind="zelf",
            review_date=TODAY(),
            reviewers="Team A",
        )
        values = {code: (4, TWO_LINES if code == "p1" else "") for code in FIDELITY_ITEM_CODES}
        fidelity.save_scores(review, values, review.version)
        review = fidelity.finish_review(review, jobcoach_a, review.version)
        page = page_of(client_for(jobcoach_a), reverse("ips:fidelity_detail", args=[review.pk]))
        assert SHOWN_AS_TWO.search(page)
        report = new_report(
            jobcoach_a,
            ReportType.IPS_MODELGETROUWHEID,
            params={"review": review.pk, "team": review.team_id},
        )
        assert SHOWN_AS_TWO.search(report_html(report))

    def test_driegesprek_summary_in_the_progress_report(self, behandelaar_a, case_a):
        Driegesprek.objects.create(
            case=case_a,
            organisation=behandelaar_a.organisation,
            planned_at=timezone.now() - datetime.timedelta(days=1),
            location="Gemeentehuis",
            participants="Cliënt, behandelaar, klantmanager",
            status=MeetingStatus.GEHOUDEN,
            summary=TWO_LINES,
            created_by=behandelaar_a,
        )
        page = report_html(new_report(behandelaar_a, ReportType.VOORTGANG, case=case_a))
        assert SHOWN_AS_TWO.search(page.split("Gemeentehuis", 1)[1])


# --- A long word stays on the paper ---------------------------------------------------------

# A job link as people paste it: 150 characters, no spaces, no hyphens.
LINK = (
    "https://www.indeed.nl/viewjob?jk=0a1b2c3d4e5f6a7b&tk=1h2j3k4l5m6n7o8p9q0r&from=serp"
    "&vjs=3&advn=1234567890123456&adid=987654321&sjdu=QwrRXKrqZ3CNX5W"
)


def text_past_the_edge(page_html):
    """The text of the PDF made of ``page_html`` that lies past a page's right edge: not on
    the paper."""
    from django.conf import settings
    from weasyprint import HTML

    document = HTML(string=page_html, base_url=str(settings.BASE_DIR)).render()
    found = []
    for page in document.pages:
        todo = [page._page_box]
        while todo:
            box = todo.pop()
            text = getattr(box, "text", None)
            if text and box.position_x + box.width > page.width + 1:
                found.append(text)
            todo.extend(getattr(box, "children", None) or ())
    return found


class TestLongWordsOnPaper:
    def test_a_pasted_link_keeps_the_columns_after_it_on_the_page(
        self, client_for, behandelaar_a, case_a
    ):
        due = TODAY() + datetime.timedelta(days=14)
        response = client_for(behandelaar_a).post(
            reverse("cases:agreement_create", args=[case_a.pk]),
            {"what": f"Solliciteren op {LINK}", "owner": "Cliënt", "due_date": due.isoformat()},
        )
        assert response.status_code == 302
        report = reports.request_report(behandelaar_a, ReportType.VOORTGANG, "V", case=case_a)
        reports.render(report.pk)
        lines = pdf_text(report).splitlines()
        # The heading of the agreements table, all four columns on the paper.
        assert any(re.search(r"Wat\s+Wie\s+Uiterlijk\s+Gedaan", line) for line in lines)
        # The row: who, when and done beside the link, which wraps inside its cell.
        start = next(i for i, line in enumerate(lines) if "Solliciteren op" in line)
        row = lines[start : start + 6]
        assert re.search(r"Solliciteren op\s+\S*\s+Cliënt\s+\d+", row[0]), row
        assert any(re.search(r"\bnee\b", line) for line in row), row
        assert any(str(due.year) in line for line in row), row
        # The link itself is whole: without the other columns its pieces make it up again.
        rest = "".join(row)
        for other in ("Cliënt", "nee", *date_filter(due, "j F Y").split()):
            rest = rest.replace(other, "", 1)
        assert LINK in "".join(rest.split()), row
        assert not text_past_the_edge(report_html(report))

    def test_a_long_note_title_stays_in_its_column(self, behandelaar_a, case_a):
        title = "x" * 195 + "EINDE"
        case_services.add_timeline(case_a, behandelaar_a, "notitie", Category.AFSPRAKEN, title)
        page = report_html(new_report(behandelaar_a, ReportType.VOORTGANG, case=case_a))
        assert title in page
        assert not text_past_the_edge(page)

    def test_short_columns_keep_their_words_whole(self, behandelaar_a, case_a):
        """Only a cell of typed text breaks anywhere: next to a long note the date and the
        kind of an event keep their words (not a letter a line)."""
        body = " ".join(f"woord{i}" for i in range(300))
        case_services.add_timeline(
            case_a, behandelaar_a, "notitie", Category.AFSPRAKEN, "Lange notitie", body
        )
        report = reports.request_report(behandelaar_a, ReportType.VOORTGANG, "V", case=case_a)
        reports.render(report.pk)
        text = pdf_text(report)
        assert re.search(r"Datum\s+Soort\s+Onderwerp", text)
        assert re.search(r"Notitie\s+Lange notitie", text)


# --- Text typed where the chosen option does not use it -------------------------------------


def error_of(page, field):
    """The error list Django renders at ``field`` (id ``id_<field>_error``), unescaped."""
    found = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</ul>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


class TestOtherTargetBehaviour:
    def test_typed_with_another_behaviour_is_refused_at_the_field(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        data = conversation_data(
            target_behaviour=TargetBehaviour.WERK_ZOEKEN, target_other="Weer gaan sporten"
        )
        response = c.post(reverse("cases:conversation_create", args=[case_a.pk]), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "‘Anders’" in error_of(page, "target_other")
        assert 'value="Weer gaan sporten"' in page
        assert not Conversation.objects.filter(case=case_a).exists()

    def test_with_anders_it_is_saved(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        data = conversation_data(
            target_behaviour=TargetBehaviour.ANDERS, target_other="  Weer gaan sporten "
        )
        response = c.post(reverse("cases:conversation_create", args=[case_a.pk]), data)
        assert response.status_code == 302
        assert Conversation.objects.get(case=case_a).target_other == "Weer gaan sporten"

    def test_spaces_only_with_another_behaviour_are_no_text(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        data = conversation_data(target_behaviour=TargetBehaviour.TERUGKEER, target_other="   ")
        response = c.post(reverse("cases:conversation_create", args=[case_a.pk]), data)
        assert response.status_code == 302
        assert Conversation.objects.get(case=case_a).target_other == ""


class TestCloseFieldsForAnotherPhase:
    def post(self, c, case, trajectory, **fields):
        trajectory.refresh_from_db()
        data = {
            "version": trajectory.version,
            "to_phase": Phase.BEROEPSPROFIEL,
            "changed_on": TODAY().isoformat(),
            "close_reason": "",
            "close_note": "",
            "note": "Gewone toelichting",
        }
        data.update(fields)
        return c.post(reverse("ips:phase_change", args=[case.pk, trajectory.pk]), data)

    def nothing_saved(self, trajectory, changes_before):
        trajectory.refresh_from_db()
        assert trajectory.phase == Phase.ZOEKEN and trajectory.close_note == ""
        assert PhaseChange.objects.filter(trajectory=trajectory).count() == changes_before

    def test_close_note_is_refused_at_the_field(self, client_for, jobcoach_a, case_a, search):
        before = PhaseChange.objects.filter(trajectory=search).count()
        response = self.post(
            client_for(jobcoach_a), case_a, search, close_note="Belangrijke toelichting X"
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "Alleen bij afsluiten" in error_of(page, "close_note")
        assert "Belangrijke toelichting X" in page and "Gewone toelichting" in page
        self.nothing_saved(search, before)

    def test_close_reason_is_refused_at_the_field(self, client_for, jobcoach_a, case_a, search):
        before = PhaseChange.objects.filter(trajectory=search).count()
        response = self.post(
            client_for(jobcoach_a), case_a, search, close_reason=CloseReason.VERHUISD
        )
        assert response.status_code == 200
        assert "Afgesloten" in error_of(response.content.decode(), "close_reason")
        self.nothing_saved(search, before)

    def test_without_them_the_phase_changes(self, client_for, jobcoach_a, case_a, search):
        response = self.post(client_for(jobcoach_a), case_a, search, close_note="  ")
        assert response.status_code == 302
        assert Trajectory.objects.get(pk=search.pk).phase == Phase.BEROEPSPROFIEL

    def test_closing_keeps_its_note(self, client_for, jobcoach_a, case_a, search):
        response = self.post(
            client_for(jobcoach_a),
            case_a,
            search,
            to_phase=Phase.AFGESLOTEN,
            close_reason=CloseReason.VERHUISD,
            close_note="Naar Groningen",
        )
        assert response.status_code == 302
        assert Trajectory.objects.get(pk=search.pk).close_note == "Naar Groningen"
