"""Reports and what the access policy refuses: the client's name on the consent overview
(only for who may export the client organisation's identification, logged on that basis), a
report refused when it is made (ended at once, not retried, in words that fit the requester),
and the access log of a report without client data and of a status page opened by another."""

import errno
import logging

import pytest
from django.urls import reverse

from cases.constants import CaseRole
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry
from portal import reports
from portal.models import Report, ReportStatus, ReportType
from portal.tasks import render_report

from .builders import make_case, make_consent, withdraw
from .test_reports import _private_media, pdf_text  # noqa: F401

NAME, BORN = "Eva Jansen", "14 maart 1988"  # make_case's default date of birth
TEAM_WORDS = "uw plaats in het team"


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def overview_url(case):
    return reverse("consent:client_consents_report", args=[case.client_id])


def detail_url(report):
    return reverse("portal:report_detail", args=[report.pk])


def download_url(report):
    return reverse("portal:report_download", args=[report.pk])


def text_of(report):
    return " ".join(pdf_text(report).split())


def overview_by(client_for, user, case):
    """``user`` asks for the consent overview of ``case``'s client; it is made."""
    response = client_for(user).post(overview_url(case))
    assert response.status_code == 302
    report = Report.objects.get(requested_by=user)
    reports.render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.KLAAR, report.error
    return report


def exports(user):
    """(category, basis, consent id) of ``user``'s allowed report exports."""
    return sorted(
        AccessLogEntry.objects.filter(
            user=user, object_type="rapport", action="export", outcome="toegestaan"
        ).values_list("category", "basis", "consent_id")
    )


def identification(case, provider, recipient, purpose):
    return make_consent(case.client, provider, recipient, purpose, [Category.IDENTIFICATIE])


# --- F1: the client's name on the consent overview ------------------------------------------


class TestOverviewName:
    """The overview holds the records of the requester's organisation; the client's name and
    date of birth are the client's organisation's, as on the case page."""

    @pytest.mark.parametrize(
        "fixture, case_role",
        [("klantmanager_g", CaseRole.KLANTMANAGER), ("outsider", CaseRole.BEHANDELAAR)],
    )
    def test_without_consent_the_name_is_left_out(
        self, client_for, request, case_a, fixture, case_role
    ):
        user = request.getfixturevalue(fixture)
        consent.add_member(case_a, user, case_role)
        # The case page does not name the client to them.
        page = client_for(user).get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "naam niet gedeeld" in page and NAME not in page
        report = overview_by(client_for, user, case_a)
        text = text_of(report)
        assert f"Casus {case_a.pk} (naam niet gedeeld)" in text
        assert NAME not in text and BORN not in text and "Eva" not in text
        assert f"toestemmingen die {user.organisation} voor deze cliënt" in text
        # It holds the requester's organisation's records only, and is logged so.
        assert report.contents == [[user.organisation_id, Category.IDENTIFICATIE]]
        assert client_for(user).get(download_url(report)).status_code == 200
        assert exports(user) == [(Category.IDENTIFICATIE, "eigen_organisatie", None)]

    @pytest.mark.parametrize(
        "fixture, case_role, purpose",
        [
            ("klantmanager_g", CaseRole.KLANTMANAGER, Purpose.REINTEGRATIE),
            ("outsider", CaseRole.BEHANDELAAR, Purpose.AFSTEMMING),
        ],
    )
    def test_with_consent_the_name_is_there_on_the_consent(
        self, client_for, request, behandelaar_a, case_a, fixture, case_role, purpose
    ):
        user = request.getfixturevalue(fixture)
        consent.add_member(case_a, user, case_role)
        record = identification(case_a, behandelaar_a.organisation, user.organisation, purpose)
        report = overview_by(client_for, user, case_a)
        text = text_of(report)
        assert f"Cliënt: {NAME}, geboren {BORN}." in text
        assert "naam niet gedeeld" not in text
        assert sorted(report.contents) == sorted(
            [
                [user.organisation_id, Category.IDENTIFICATIE],
                [case_a.client.organisation_id, Category.IDENTIFICATIE],
            ]
        )
        assert client_for(user).get(download_url(report)).status_code == 200
        # The name on the client's consent (with its number), the records on their own.
        assert exports(user) == sorted(
            [
                (Category.IDENTIFICATIE, "eigen_organisatie", None),
                (Category.IDENTIFICATIE, "toestemming", record.pk),
            ]
        )

    def test_a_consent_for_other_data_does_not_name_the_client(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.WERKSITUATIE],
        )
        text = text_of(overview_by(client_for, klantmanager_g, case_a))
        assert NAME not in text and "naam niet gedeeld" in text

    @pytest.mark.parametrize(
        "fixture, basis", [("behandelaar_a", "eigen_organisatie"), ("beheerder_a", "beheer")]
    )
    def test_the_clients_own_organisation_names_the_client(
        self, client_for, request, case_a, fixture, basis
    ):
        user = request.getfixturevalue(fixture)
        report = overview_by(client_for, user, case_a)
        assert f"Cliënt: {NAME}, geboren {BORN}." in text_of(report)
        assert report.contents == [[case_a.client.organisation_id, Category.IDENTIFICATIE]]
        assert client_for(user).get(download_url(report)).status_code == 200
        assert exports(user) == [(Category.IDENTIFICATIE, basis, None)]

    def test_withdrawing_the_consent_blocks_a_copy_with_the_name(
        self, client_for, behandelaar_a, klantmanager_g, case_a
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        record = identification(
            case_a, behandelaar_a.organisation, klantmanager_g.organisation, Purpose.REINTEGRATIE
        )
        report = overview_by(client_for, klantmanager_g, case_a)
        c = client_for(klantmanager_g)
        assert c.get(download_url(report)).status_code == 200
        withdraw(record, behandelaar_a)
        assert c.get(download_url(report)).status_code == 404
        page = c.get(detail_url(report)).content.decode()
        assert "niet meer beschikbaar voor u" in page and download_url(report) not in page
        # A new overview leaves the name out and can be had.
        Report.objects.all().delete()
        report = overview_by(client_for, klantmanager_g, case_a)
        assert NAME not in text_of(report)
        assert c.get(download_url(report)).status_code == 200


# --- F4 + F5: refused when it is made --------------------------------------------------------


@pytest.fixture
def on_team(case_a, klantmanager_g):
    consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
    return case_a


def progress(user, case):
    return reports.request_report(user, ReportType.VOORTGANG, "Voortgang", case=case)


def faults(caplog):
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


class TestRefusedWhenMade:
    def test_leaving_the_team_ends_the_report_at_once(
        self, client_for, on_team, klantmanager_g, caplog
    ):
        report = progress(klantmanager_g, on_team)
        consent.remove_member(on_team, klantmanager_g)
        with caplog.at_level(logging.INFO, logger="portal.reports"):
            returned = reports.render(report.pk)  # no exception: nothing to retry
        assert returned.status == ReportStatus.MISLUKT
        report.refresh_from_db()
        assert (report.status, report.attempts, bool(report.file)) == ("mislukt", 1, False)
        assert "niet meer beschikbaar voor u" in report.error
        assert TEAM_WORDS in report.error  # a team member's report
        assert "Probeer het later opnieuw" not in report.error
        assert faults(caplog) == []  # no stack trace: it is no fault
        # It stays ended: a second delivery of the task does not try again.
        reports.render(report.pk)
        report.refresh_from_db()
        assert (report.status, report.attempts) == ("mislukt", 1)
        page = client_for(klantmanager_g).get(detail_url(report)).content.decode()
        assert "niet meer beschikbaar voor u" in page and "Probeer het later" not in page

    def test_the_task_does_not_retry_a_refusal(self, on_team, klantmanager_g):
        report = progress(klantmanager_g, on_team)
        consent.remove_member(on_team, klantmanager_g)
        result = render_report.apply(args=[report.pk])
        assert result.successful() and result.result == ReportStatus.MISLUKT
        report.refresh_from_db()
        assert report.attempts == 1

    def test_the_task_still_retries_a_fault(self, on_team, klantmanager_g, monkeypatch):
        """A fault (here WeasyPrint) is tried again, up to MAX_ATTEMPTS, then told as one."""
        report = progress(klantmanager_g, on_team)

        def broken(html, base_url):
            raise RuntimeError("kapot")

        monkeypatch.setattr(reports, "render_pdf", broken)
        # Run eagerly, a retry runs at once, and is not thrown at the caller.
        monkeypatch.setattr(render_report.app.conf, "task_eager_propagates", False)
        render_report.apply(args=[report.pk])
        report.refresh_from_db()
        assert (report.status, report.attempts) == ("mislukt", reports.MAX_ATTEMPTS)
        assert "kon niet worden gemaakt" in report.error

    def test_the_operating_systems_permission_error_is_a_fault(
        self, on_team, behandelaar_a, monkeypatch
    ):
        """A file the worker may not read raises PermissionError too, with an errno: that is
        a fault, tried again, not the policy's refusal."""
        report = progress(behandelaar_a, on_team)

        def unreadable(report):
            raise PermissionError(errno.EACCES, "Permission denied", "/fonts/x.ttf")

        monkeypatch.setattr(reports, "builder_for", lambda _type: (unreadable, None))
        with pytest.raises(PermissionError):
            reports.render(report.pk)
        report.refresh_from_db()
        assert (report.status, report.error) == (ReportStatus.WACHTRIJ, "")

    def test_withdrawn_consent_for_a_leidraad_summary(
        self, client_for, behandelaar_a, klantmanager_g, on_team
    ):
        from cases import leidraad_services as leidraad

        from .test_leidraad import run_session

        leidraad.ensure_bundled()
        done = run_session(client_for(behandelaar_a), on_team, {"financien": "helpt"})
        record = make_consent(
            on_team.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.LEIDRAAD],
        )
        client_for(klantmanager_g).post(
            reverse("cases:leidraad_summary_report", args=[on_team.pk, done.pk])
        )
        report = Report.objects.get(requested_by=klantmanager_g)
        withdraw(record, behandelaar_a)
        reports.render(report.pk)
        report.refresh_from_db()
        assert (report.status, report.attempts) == ("mislukt", 1)
        assert "niet meer beschikbaar voor u" in report.error


class TestBeheerderWording:
    """A beheerder is never on a case team: their reports do not speak of a place in it."""

    def test_a_finished_overview_after_a_role_change(self, client_for, beheerder_a, case_a):
        report = overview_by(client_for, beheerder_a, case_a)
        beheerder_a.role = "behandelaar"
        beheerder_a.save(update_fields=["role"])
        c = client_for(beheerder_a)
        assert c.get(download_url(report)).status_code == 404
        page = c.get(detail_url(report)).content.decode()
        assert "niet meer beschikbaar voor u" in page
        assert "uw rol" in page and TEAM_WORDS not in page

    def test_an_overview_refused_when_it_is_made(self, client_for, beheerder_a, case_a):
        client_for(beheerder_a).post(overview_url(case_a))
        report = Report.objects.get()
        beheerder_a.role = "behandelaar"
        beheerder_a.save(update_fields=["role"])
        reports.render(report.pk)
        report.refresh_from_db()
        assert (report.status, report.attempts) == ("mislukt", 1)
        assert "niet meer beschikbaar voor u" in report.error
        assert "uw rol" in report.error and TEAM_WORDS not in report.error
        page = client_for(beheerder_a).get(detail_url(report)).content.decode()
        assert "uw rol" in page and TEAM_WORDS not in page


# --- F6: the access log of reports ---------------------------------------------------------


class TestLog:
    def test_a_report_without_client_data_is_logged_about_no_client(
        self, client_for, behandelaar_a, klantmanager_g, on_team
    ):
        """Consent withdrawn before the report was made: it names only the case number. Its
        download is no export of the client's data; with the consent it is."""
        record = make_consent(
            on_team.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.IDENTIFICATIE],
        )
        c = client_for(klantmanager_g)
        shared = progress(klantmanager_g, on_team)
        reports.render(shared.pk)
        assert c.get(download_url(shared)).status_code == 200
        entry = AccessLogEntry.objects.get(object_id=str(shared.pk), action="export")
        assert (entry.client_id, entry.category, entry.basis, entry.consent_id) == (
            on_team.client_id,
            Category.IDENTIFICATIE,
            "toestemming",
            record.pk,
        )

        withdraw(record, behandelaar_a)
        empty = progress(klantmanager_g, on_team)
        reports.render(empty.pk)
        empty.refresh_from_db()
        assert empty.contents == []
        assert f"Casus {on_team.pk} (naam niet gedeeld)" in text_of(empty)
        assert c.get(download_url(empty)).status_code == 200
        entry = AccessLogEntry.objects.get(object_id=str(empty.pk), action="export")
        assert (entry.client_id, entry.case_id, entry.category, entry.outcome) == (
            None,
            on_team.pk,
            "",
            "toegestaan",
        )

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "outsider"])
    def test_another_users_status_page_is_logged_as_a_read(
        self, client_for, request, on_team, klantmanager_g, fixture
    ):
        report = progress(klantmanager_g, on_team)
        other = request.getfixturevalue(fixture)
        c = client_for(other)
        assert c.get(detail_url(report)).status_code == 404
        assert c.get(download_url(report)).status_code == 404
        tried = AccessLogEntry.objects.filter(user=other, object_type="rapport")
        assert sorted(tried.values_list("action", "outcome", "client_id")) == [
            ("export", "geweigerd", on_team.client_id),
            ("read", "geweigerd", on_team.client_id),
        ]
