"""Rapportage 4: the AVG-inzage (art. 15) for the beheerder of the client's own organisation:
everything the organisation holds about the client and the full access log, readable; and
for the beheerder of an organisation whose people worked in another organisation's client's
case (TestAnotherOrganisationsClient): what it recorded and what its people did.
Asking needs a fresh password confirmation and a recorded request of the client (when it
came in, how, how the identity was checked), and is itself logged with that request;
nobody else asks or downloads, and another organisation's data never ends up in it."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases import services
from cases.constants import CaseRole, WorkSituationKind
from cases.models import Agreement, ChangeRecord, Goal, WorkSituation
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry, AccessRequest
from portal import reports
from portal.models import Report, ReportStatus, ReportType

from .builders import make_case, make_consent, next_bsn
from .conftest import PASSWORD
from .factories import UserFactory
from .test_reports import _private_media, pdf_text  # noqa: F401
from .test_reports_consent import categories  # noqa: F401

MEDICAL = "MEDISCH-AVG-2b7c"
GEMEENTE_NOTE = "GEMEENTE-NOTITIE-9a0f"
OTHER_CLIENT = "ANDERE-CLIENT-44d1"


@pytest.fixture
def case_a(behandelaar_a, klantmanager_g, client_for):
    case = make_case(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn="111222333",
        phone="06-12345678",
    )
    services.add_timeline(case, behandelaar_a, "notitie", Category.MEDISCH, "Consult", MEDICAL)
    WorkSituation.objects.create(
        case=case,
        organisation=behandelaar_a.organisation,
        recorded_by=behandelaar_a,
        kind=WorkSituationKind.VRIJWILLIGER,
        hours_per_week=8,
        benefit="bijstand",
        wish_to_work="ja",
    )
    Agreement.objects.create(
        case=case,
        organisation=behandelaar_a.organisation,
        what="Cv bijwerken",
        owner="Cliënt",
        due_date=datetime.date(2030, 1, 31),
        created_by=behandelaar_a,
    )
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    make_consent(
        case.client,
        behandelaar_a.organisation,
        klantmanager_g.organisation,
        Purpose.REINTEGRATIE,
        [Category.IDENTIFICATIE, Category.WERKSITUATIE],
        recorded_by=behandelaar_a,
    )
    # Held by the gemeente, not by GGZ A.
    services.add_timeline(
        case, klantmanager_g, "notitie", Category.AFSPRAKEN, "Gemeente", GEMEENTE_NOTE
    )
    # The klantmanager reads the case (on consent): in the access log.
    page = client_for(klantmanager_g).get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200
    other = make_case(behandelaar_a, first_name="Piet", last_name="Anders")
    services.add_timeline(other, behandelaar_a, "notitie", Category.MEDISCH, "X", OTHER_CLIENT)
    return case


def request_url(client):
    return reverse("consent:avg_inzage_request", args=[client.pk])


def request_data(**changes):
    """A valid request of the client: received two days ago by letter, identity checked
    at the desk."""
    data = {
        "received_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "channel": "brief",
        "identity_check": "id_bewijs",
        "identity_note": "",
        "note": "",
    }
    data.update(changes)
    return data


def find(c, client):
    """The beheerder's search by the BSN the client handed over: the way to another
    organisation's client (consent.views.found_by_bsn)."""
    return c.get(reverse("consent:avg_inzage"), {"q": client.bsn})


def ask(c, client, **changes):
    find(c, client)
    return c.post(request_url(client), request_data(**changes))


def denied(user, **filters):
    return AccessLogEntry.objects.filter(user=user, outcome="geweigerd", **filters)


class TestWhoMayAsk:
    def test_anonymous_is_sent_to_sign_in(self, client_for, case_a):
        for response in (
            ask(client_for(None), case_a.client),
            client_for(None).get(request_url(case_a.client)),
        ):
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not Report.objects.exists() and not AccessRequest.objects.exists()

    @pytest.mark.parametrize("fixture", ["behandelaar_a", "klantmanager_g", "outsider"])
    def test_professionals_are_refused(self, client_for, request, case_a, fixture):
        user = request.getfixturevalue(fixture)
        assert ask(client_for(user), case_a.client).status_code == 403
        assert client_for(user).get(request_url(case_a.client)).status_code == 403
        assert client_for(user).get(reverse("consent:avg_inzage")).status_code == 403
        assert not Report.objects.exists() and not AccessRequest.objects.exists()

    def test_beheerder_of_an_organisation_that_never_worked_with_the_client_gets_404_logged(
        self, client_for, outsider, ggz_b, case_a
    ):
        # GGZ B's behandelaar tried the case and was refused: that is no work with it.
        case_page = reverse("cases:detail", args=[case_a.pk])
        assert client_for(outsider).get(case_page).status_code == 404
        beheerder_b = UserFactory(email="beheer@b.test", organisation=ggz_b, role="beheerder")
        c = client_for(beheerder_b)
        assert ask(c, case_a.client).status_code == 404
        assert denied(beheerder_b, object_type="avg-inzage", client=case_a.client).exists()
        # Nor the form, which names the client.
        response = c.get(request_url(case_a.client))
        assert response.status_code == 404 and "Jansen" not in response.content.decode()
        assert denied(beheerder_b, client=case_a.client).count() == 2
        # Nor the search, by name or by BSN.
        for q in ("Jansen", "111222333"):
            html = c.get(reverse("consent:avg_inzage"), {"q": q}).content.decode()
            assert "Eva Jansen" not in html and request_url(case_a.client) not in html
        assert not Report.objects.exists() and not AccessRequest.objects.exists()

    def test_asks_for_the_password_first_then_goes_through(self, client, beheerder_a, case_a):
        client.force_login(beheerder_a, backend="portal.backends.UserBackend")
        # Already the form, which names the client.
        response = client.get(request_url(case_a.client))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        response = ask(client, case_a.client, note="Brief van 3 juni")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert not Report.objects.exists()
        assert client.post(response["Location"], {"password": "fout"}).status_code == 200
        assert not Report.objects.exists() and not AccessRequest.objects.exists()
        resumed = client.post(response["Location"], {"password": PASSWORD})
        report = Report.objects.get()
        assert resumed["Location"] == reverse("portal:report_detail", args=[report.pk])
        # The request typed before the password is the one stored.
        assert AccessRequest.objects.get().note == "Brief van 3 juni"

    def test_the_request_is_logged(self, client_for, beheerder_a, case_a):
        response = ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        assert response["Location"] == reverse("portal:report_detail", args=[report.pk])
        assert (report.type, report.client, report.case, report.status) == (
            ReportType.AVG_INZAGE,
            case_a.client,
            None,
            ReportStatus.WACHTRIJ,
        )
        entry = AccessLogEntry.objects.get(user=beheerder_a, object_type="avg-inzage")
        assert (entry.action, entry.basis, entry.outcome, entry.client_id, entry.object_id) == (
            "export",
            "beheer",
            "toegestaan",
            case_a.client_id,
            str(report.pk),
        )
        # Why: the client's request, recorded with it, in the same request of the log.
        access_request = AccessRequest.objects.get()
        why = AccessLogEntry.objects.get(user=beheerder_a, object_type="inzageverzoek")
        assert (why.action, why.outcome, why.client_id, why.object_id, why.request_id) == (
            "create",
            "toegestaan",
            case_a.client_id,
            str(access_request.pk),
            entry.request_id,
        )
        assert why.pk == entry.pk - 1

    def test_search_page_finds_own_clients_and_offers_the_request(
        self, client_for, beheerder_a, beheerder_g, case_a
    ):
        html = (
            client_for(beheerder_a)
            .get(reverse("consent:avg_inzage"), {"q": "Jansen"})
            .content.decode()
        )
        # It opens the request form; nothing is made from the search page.
        assert f'<form method="get" action="{request_url(case_a.client)}">' in html
        assert "Eva Jansen" in html
        assert AccessLogEntry.objects.filter(
            user=beheerder_a, client=case_a.client, action="read", outcome="toegestaan"
        ).exists()
        other = (
            client_for(beheerder_g)
            .get(reverse("consent:avg_inzage"), {"q": "Jansen"})
            .content.decode()
        )
        assert "Eva Jansen" not in other


# The clock stands still from before the fixtures run (timezone.localtime is called then):
# the dates a test computes and those the server computes fall on one day.
@pytest.mark.time_machine(timezone.localtime, tick=False)
class TestTheClientsRequest:
    """No AVG-inzage without the client's request on record: when it came in, how, and how
    the beheerder knows it was the client. The export holds medical notes; a beheerder
    does not read them this way without a stated reason."""

    def test_the_form_page_names_the_client_and_is_logged(self, client_for, beheerder_a, case_a):
        response = client_for(beheerder_a).get(request_url(case_a.client))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Eva Jansen" in html and "111222333" not in html  # the BSN partly hidden
        for name in ("received_on", "channel", "identity_check", "identity_note", "note"):
            assert f'name="{name}"' in html
        assert "ID-bewijs gezien aan de balie" in html
        assert "Via DigiD of een beveiligd portaal" in html
        assert AccessLogEntry.objects.filter(
            user=beheerder_a,
            client=case_a.client,
            object_type="inzageverzoekformulier",
            action="read",
            outcome="toegestaan",
        ).exists()
        assert not Report.objects.exists() and not AccessRequest.objects.exists()

    def test_without_a_request_nothing_is_made(self, client_for, beheerder_a, case_a):
        response = client_for(beheerder_a).post(request_url(case_a.client), {"knop": "1"})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"received_on", "channel", "identity_check"}
        assert not Report.objects.exists() and not AccessRequest.objects.exists()
        assert not AccessLogEntry.objects.filter(action__in=("export", "create")).exists()

    @pytest.mark.parametrize(
        ("days", "message"),
        [
            (-1, "Deze datum ligt in de toekomst."),
            (400, "Deze datum ligt meer dan een jaar terug"),
            (365 * 2000, "Deze datum ligt meer dan een jaar terug"),
        ],
        ids=["morgen", "ruim-een-jaar", "jaar-1"],
    )
    def test_the_date_received_is_not_in_the_future_nor_long_ago(
        self, client_for, beheerder_a, case_a, days, message
    ):
        day = timezone.localdate() - datetime.timedelta(days=days)
        response = ask(client_for(beheerder_a), case_a.client, received_on=day.isoformat())
        assert response.status_code == 200
        assert message in response.context["form"].errors["received_on"][0]
        assert not Report.objects.exists() and not AccessRequest.objects.exists()

    def test_a_year_ago_today_is_still_accepted(self, client_for, beheerder_a, case_a):
        from portal.forms import add_months

        day = add_months(timezone.localdate(), -12)
        ask(client_for(beheerder_a), case_a.client, received_on=day.isoformat())
        assert AccessRequest.objects.get().received_on == day

    def test_other_needs_an_explanation(self, client_for, beheerder_a, case_a):
        c = client_for(beheerder_a)
        response = ask(c, case_a.client, identity_check="anders", channel="anders")
        errors = response.context["form"].errors
        assert errors["identity_note"] == [
            "Beschrijf hoe u de identiteit van de cliënt hebt vastgesteld, bijvoorbeeld "
            "‘persoonlijk bekend bij de medewerker die het verzoek aannam’."
        ]
        assert errors["note"] == ["Beschrijf in de notitie hoe het verzoek binnenkwam."]
        assert not AccessRequest.objects.exists()
        response = ask(
            c,
            case_a.client,
            identity_check="anders",
            identity_note="Bekend bij de regiebehandelaar",
            channel="anders",
            note="Gevraagd tijdens het driegesprek",
        )
        assert response.status_code == 302
        assert AccessRequest.objects.get().identity_note == "Bekend bij de regiebehandelaar"

    def test_the_request_is_stored_with_its_report_and_in_the_audit_stream(
        self, client_for, beheerder_a, case_a
    ):
        from structlog.testing import capture_logs

        with capture_logs() as events:
            ask(
                client_for(beheerder_a),
                case_a.client,
                channel="email",
                identity_check="digid",
                note="Mail van 2 juni",
            )
        report, stored = Report.objects.get(), AccessRequest.objects.get()
        assert (
            stored.client,
            stored.organisation,
            stored.received_on,
            stored.channel,
            stored.identity_check,
            stored.note,
            stored.recorded_by,
            stored.report,
        ) == (
            case_a.client,
            beheerder_a.organisation,
            timezone.localdate() - datetime.timedelta(days=2),
            "email",
            "digid",
            "Mail van 2 juni",
            beheerder_a,
            report,
        )
        [event] = [e for e in events if e["event"] == "avg_inzage_aangevraagd"]
        assert (
            event["report_id"],
            event["access_request_id"],
            event["received_on"],
            event["channel"],
            event["identity_check"],
        ) == (
            report.pk,
            stored.pk,
            str(stored.received_on),
            "email",
            "digid",
        )
        assert "Mail van 2 juni" not in str(event)  # free text stays out of the stream

    def test_the_pdf_shows_the_request_on_its_first_page(self, client_for, beheerder_a, case_a):
        ask(
            client_for(beheerder_a),
            case_a.client,
            identity_check="anders",
            identity_note="Bekend bij de regiebehandelaar",
            note="Gevraagd tijdens het driegesprek",
        )
        report = Report.objects.get()
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        first = text[: text.index("Uw gegevens")]
        received = timezone.localdate() - datetime.timedelta(days=2)
        assert f"Ontvangen op {date_format(received, 'j F Y')}" in first
        assert "Hoe het binnenkwam Per brief" in first
        assert "Identiteit vastgesteld Anders: Bekend bij de regiebehandelaar" in first
        assert "Notitie Gevraagd tijdens het driegesprek" in first
        assert beheerder_a.get_full_name() in first
        # Among the client's data too, and in the log that is part of it.
        assert "Verzoeken om inzage" in text and "inzageverzoek" in text

    def test_no_pdf_without_a_recorded_request(self, beheerder_a, case_a):
        """A report record made some other way (or before requests were recorded) is not
        rendered: the rule holds in the worker too."""
        from consent import avg_report

        report = reports.request_report(
            beheerder_a, ReportType.AVG_INZAGE, "AVG-inzage", client=case_a.client
        )
        with pytest.raises(PermissionError):
            avg_report.build(report)

    def test_the_request_outlives_its_purged_report(self, client_for, beheerder_a, case_a):
        ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        later = timezone.now() + datetime.timedelta(days=365)
        assert reports.purge_expired(now=later) == 1
        stored = AccessRequest.objects.get()
        assert stored.report is None and stored.client == case_a.client
        with pytest.raises(ValueError):
            stored.save()
        with pytest.raises(ValueError):
            stored.delete()


class TestContent:
    def test_everything_the_organisation_holds_and_the_full_log(
        self, client_for, beheerder_a, klantmanager_g, case_a
    ):
        ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        assert "AVG-inzage (artikel 15)" in text
        # Identification, in full: it is the client's own copy.
        assert "Eva Jansen" in text
        assert "111222333" in text and "06-12345678" in text and "17 mei 1990" in text
        # What GGZ A holds, of every category, medical too.
        assert MEDICAL in text
        assert "Vrijwilligerswerk" in text and "Cv bijwerken" in text
        assert "Re-integratie en participatie" in text  # the consent
        # The access log: the klantmanager's read on consent, and this request itself.
        assert klantmanager_g.get_full_name() in text
        assert "Toestemming van de cliënt" in text
        assert "avg-inzage" in text and "Beheer (functioneel beheerder)" in text
        # Not what the gemeente holds, not another client.
        assert GEMEENTE_NOTE not in text
        assert OTHER_CLIENT not in text and "Piet Anders" not in text
        assert "Vertrouwelijk" in text
        # Every page's header carries the title, hyphen and all (not as JavaScript escapes).
        assert "u002D" not in text and "\\0000" not in text
        pages = text.count("Pagina ")
        assert pages >= 2 and text.count("AVG-inzage (artikel 15)") == pages + 1

    def test_case_team_shows_the_case_role_not_the_permission(
        self, client_for, beheerder_a, behandelaar_a, case_a
    ):
        """A case role is stored as a guardian Permission (codename = CaseRole value): the
        client reads its label, not Permission's "Cliënten en casussen | casus | ..."."""
        ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        team = text[text.index("Casusteam") :]
        assert f"{behandelaar_a} – Regiebehandelaar" in team
        assert "Rol in de casus Regiebehandelaar" in team
        assert "Cliënten en casussen |" not in text and "| casus |" not in text
        assert "– regiebehandelaar" not in text

    def test_case_team_names_members_of_other_organisations(
        self, client_for, beheerder_a, klantmanager_g, case_a
    ):
        """Art. 15: the client learns who received their data. The gemeente's klantmanager
        on the team is in it, with organisation and role, as the timeline says."""
        ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        layout = pdf_text(report)
        text = " ".join(layout.split())
        start = text.index("Casusteam")
        team = text[start : text.index("Werksituatie", start)]
        assert f"{klantmanager_g} – Klantmanager" in team
        assert f"Medewerker {klantmanager_g}" in team
        assert "Organisatie Gemeente G" in team and "Organisatie GGZ A" in team
        assert beside(layout, "Organisatie", "Gemeente G")
        assert beside(layout, "Rol in de casus", "Klantmanager")
        # Still only what GGZ A holds: not the gemeente's own note.
        assert GEMEENTE_NOTE not in text
        # Held by GGZ A (the case team of its case): the download is checked against it.
        assert {holder for holder, _ in report.contents} == {beheerder_a.organisation_id}

    def test_every_log_line_about_the_client_is_in_it(self, client_for, beheerder_a, case_a):
        ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        text = pdf_text(report)
        log = AccessLogEntry.objects.filter(client=case_a.client)
        assert log.count() >= 4  # the klantmanager's page view, the request, ...
        assert log.filter(outcome="geweigerd").exists() is False
        # One row per entry: only the log shows times with seconds.
        assert len(re.findall(r"\b\d{2}:\d{2}:\d{2}\b", text)) == log.count()


def beside(text, label, value):
    """Whether ``value`` is on the (first) line of ``label`` in pdftotext -layout ``text``:
    the start of the line holding the value (the label, or its first line when it wraps),
    or None when no line holding the value starts with the label."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if value in line:
            left = line[: line.index(value)].strip()
            if left and label.startswith(left):
                return left
    return None


class TestLayout:
    """The exploratory tester found values beside the wrong labels: a label that wrapped to
    a second line pushed every value below it one row down ('Einddatum: Joke Bakker')."""

    NOTE = "Notitie-5d2e"
    IDENTITY = "Bekend bij de regiebehandelaar"

    def test_each_label_sits_beside_its_own_value(self, client_for, beheerder_a, case_a):
        ask(
            client_for(beheerder_a),
            case_a.client,
            channel="email",
            identity_check="anders",
            identity_note=self.IDENTITY,
            note=self.NOTE,
        )
        report = Report.objects.get()
        reports.render(report.pk)
        text = pdf_text(report)
        name = beheerder_a.get_full_name()
        pairs = [
            # The first page: the request.
            ("Hoe het binnenkwam", "Per e-mail"),
            ("Identiteit vastgesteld", f"Anders: {self.IDENTITY}"),
            ("Notitie", self.NOTE),
            ("Vastgelegd", f"door {name}"),
            # Its record among the client's data: long labels, wrapped.
            ("Hoe het verzoek binnenkwam", "Per e-mail"),
            ("Toelichting op de identiteit", self.IDENTITY),
            ("Notitie bij het verzoek", self.NOTE),
            ("Vastgelegd door", name),
            # The client's identity.
            ("Telefoonnummer", "06-12345678"),
            ("BSN", "111222333"),
        ]
        starts = {}
        for label, value in pairs:
            starts[label] = beside(text, label, value)
            assert starts[label], (label, value)
        # Some label did wrap (its value is beside its first line): the test would not see
        # the fault otherwise.
        assert any(start != label for label, start in starts.items())

    def test_a_long_unbroken_value_wraps_on_the_page(self, client_for, beheerder_a, case_a):
        from django.template.loader import render_to_string
        from weasyprint import HTML

        from consent import avg_report

        url = "https://voorbeeld.nl/" + "verzoek" * 40
        ask(client_for(beheerder_a), case_a.client, note=url)
        report = Report.objects.get()
        built = avg_report.build(report)
        html = render_to_string(
            built.template,
            {**built.context, "report": report, "generated_at": timezone.now()},
        )
        too_wide, boxes = [], 0
        for page in HTML(string=html).render().pages:
            body = page._page_box
            right = body.content_box_x() + body.width
            todo = [body]
            while todo:
                box = todo.pop()
                if hasattr(box, "text"):
                    boxes += 1
                    if box.position_x + box.width > right + 0.5:
                        too_wide.append(box.text[:30])
                todo.extend(getattr(box, "children", ()))
        assert too_wide == []
        assert boxes > 10


def test_a_log_line_is_not_split_over_two_pages(client_for, beheerder_a, case_a):
    """The exploratory tester found a page ending in a log row without its 'Wie'."""
    from consent import avg_report

    from .test_reports_ips import rows_per_page, split_rows

    c = client_for(beheerder_a)
    for _ in range(40):  # each view of the client's consents adds log lines
        c.get(reverse("consent:avg_inzage"), {"q": "Jansen"})
    ask(c, case_a.client)
    report = Report.objects.get()
    pages = rows_per_page(avg_report.build(report), report, confidential=True)
    assert len(pages) > 2
    assert split_rows(pages) == []


@pytest.mark.parametrize("count", [2, 15])
def test_search_page_queries_do_not_grow_with_the_clients(
    client_for, beheerder_a, behandelaar_a, django_assert_num_queries, count
):
    for index in range(count):
        services.register_client(
            behandelaar_a,
            first_name=f"Vera{index}",
            last_name="Zoekmans",
            date_of_birth=datetime.date(1980, 1, 1),
            bsn=next_bsn(),
        )
    c = client_for(beheerder_a)
    url = reverse("consent:avg_inzage")
    with django_assert_num_queries(11):
        response = c.get(url, {"q": "Zoekmans"})
    assert response.content.decode().count("AVG-inzage maken voor") == count


def test_every_field_has_a_dutch_name():
    from django.apps import apps

    from consent.avg_report import SECTIONS, _fields, label

    for section in SECTIONS:
        model = apps.get_model(section.model)
        for field in _fields(model, section):
            name = label(field)
            assert name == "Status" or name.lower() != field.name.replace("_", " "), (
                section.model,
                field.name,
            )


def test_css_string_keeps_page_headers_literal():
    from portal.templatetags.pdf import css_string

    assert css_string('GGZ "Noord-Holland" & Zuid\\') == (
        "GGZ\\000020\\000022Noord\\00002DHolland\\000022\\000020\\000026\\000020Zuid\\00005C"
    )


class TestDownload:
    def test_only_while_beheerder_of_the_clients_organisation(
        self, client_for, beheerder_a, case_a
    ):
        c = client_for(beheerder_a)
        ask(c, case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        report.refresh_from_db()
        entries = AccessLogEntry.objects.filter(
            user=beheerder_a, object_type="rapport", action="export", outcome="toegestaan"
        )
        assert entries.count() == len(report.contents) > 0
        assert set(entries.values_list("basis", flat=True)) == {"beheer"}
        beheerder_a.role = "behandelaar"
        beheerder_a.save(update_fields=["role"])
        assert c.get(url).status_code == 404
        assert denied(beheerder_a, object_type="rapport").exists()

    def test_another_beheerder_never_gets_it(self, client_for, beheerder_a, case_a, ggz_a):
        ask(client_for(beheerder_a), case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        colleague = UserFactory(email="beheer2@a.test", organisation=ggz_a, role="beheerder")
        url = reverse("portal:report_download", args=[report.pk])
        assert client_for(colleague).get(url).status_code == 404
        assert denied(colleague, object_type="rapport").exists()


class TestAnotherOrganisationsClient:
    """The gemeente's klantmanager worked in GGZ A's case (read it on consent, wrote a note):
    what the gemeente recorded is the gemeente's to give when the client asks it (art. 15).
    Its beheerder finds the client by BSN only, and the report holds the gemeente's records
    and what the gemeente's people did, not GGZ A's data or contact details."""

    def test_found_by_bsn_only(self, client_for, beheerder_g, behandelaar_a, case_a):
        c = client_for(beheerder_g)
        url = reverse("consent:avg_inzage")
        by_name = c.get(url, {"q": "Jansen"}).content.decode()
        assert "Eva Jansen" not in by_name and request_url(case_a.client) not in by_name
        assert "alleen op BSN" in by_name
        by_bsn = c.get(url, {"q": "111 222 333"}).content.decode()
        assert f'<form method="get" action="{request_url(case_a.client)}">' in by_bsn
        assert "Eva Jansen" in by_bsn
        # Not which organisation: that the client is registered at a GGZ provider is shown
        # after the password, on the form.
        assert "(ingeschreven bij een andere organisatie)" in by_bsn and "GGZ A" not in by_bsn
        read = AccessLogEntry.objects.get(user=beheerder_g, object_type="cliëntzoekactie")
        # On the client's request: not as if the gemeente administered GGZ A's client.
        assert (read.client_id, read.basis, read.outcome) == (
            case_a.client_id,
            "inzageverzoek",
            "toegestaan",
        )
        # A client of GGZ A the gemeente never worked with: not even by BSN.
        never = make_case(behandelaar_a, first_name="Nora", last_name="Nooit", bsn=next_bsn())
        html = c.get(url, {"q": never.client.bsn}).content.decode()
        assert "Nooit" not in html and request_url(never.client) not in html
        assert client_for(beheerder_g).get(request_url(never.client)).status_code == 404

    def test_the_form_says_whose_client_it_is(self, client_for, beheerder_g, case_a):
        c = client_for(beheerder_g)
        find(c, case_a.client)
        html = c.get(request_url(case_a.client)).content.decode()
        assert "Eva Jansen" in html and "ingeschreven bij GGZ A" in html
        assert "06-12345678" not in html

    def test_the_report_holds_the_gemeentes_records_and_its_peoples_log(
        self, client_for, beheerder_g, klantmanager_g, behandelaar_a, case_a
    ):
        # GGZ A reads its own file: in its log, not in the gemeente's.
        case_page = reverse("cases:detail", args=[case_a.pk])
        assert client_for(behandelaar_a).get(case_page).status_code == 200
        c = client_for(beheerder_g)
        assert ask(c, case_a.client).status_code == 302
        report = Report.objects.get()
        assert report.organisation == beheerder_g.organisation
        reports.render(report.pk)
        text = " ".join(pdf_text(report).split())
        # Who the client is, as on the identity document; not GGZ A's contact details.
        assert "Eva Jansen" in text and "111222333" in text and "17 mei 1990" in text
        assert "06-12345678" not in text
        # What the gemeente recorded, nothing GGZ A holds.
        assert GEMEENTE_NOTE in text
        assert MEDICAL not in text and "Cv bijwerken" not in text
        assert "Vrijwilligerswerk" not in text
        # The consent the gemeente read on: whose, for what (the source of what it saw).
        received = text[text.index("Ontvangen toestemmingen") :]
        assert "Re-integratie en participatie" in received and "GGZ A" in received
        assert "Gegevens Identificatie en contact, Werksituatie en uitkering" in received
        assert "Stand Actief" in received
        # As the gemeente's consent panel shows it: not how GGZ A recorded it, or who did
        # (the client's therapist, often).
        assert "Hoe gegeven" not in received and "Vastgelegd door" not in received
        assert behandelaar_a.get_full_name() not in text
        assert OTHER_CLIENT not in text
        # The log: what the gemeente's people did (the klantmanager's read and note), not
        # GGZ A's reads of its own file.
        log_part = text[text.index("Inzagelog: wat medewerkers van Gemeente G") :]
        assert klantmanager_g.get_full_name() in log_part
        assert behandelaar_a.get_full_name() not in log_part
        log = AccessLogEntry.objects.filter(client=case_a.client)
        assert log.exclude(organisation=beheerder_g.organisation).exists()
        rows = len(re.findall(r"\b\d{2}:\d{2}:\d{2}\b", pdf_text(report)))
        assert rows == log.filter(organisation=beheerder_g.organisation).count()
        # Where the rest is.
        assert "ingeschreven bij GGZ A" in text
        assert {holder for holder, _ in report.contents} == {beheerder_g.organisation_id}

    def test_the_export_is_logged_for_what_the_report_holds_only(
        self, client_for, beheerder_g, klantmanager_g, case_a
    ):
        """A change the klantmanager made to a gemeente goal is in it as 'Doel – status' (not
        goal.status), under afspraken: the download logs no export of medical data, or of
        any category the report does not hold."""
        goal = Goal.objects.create(
            case=case_a,
            organisation=klantmanager_g.organisation,
            domain="maatschappelijk",
            description="Werkritme opbouwen",
            created_by=klantmanager_g,
        )
        ChangeRecord.objects.create(
            case=case_a,
            object_type="goal",
            object_id=goal.pk,
            field="status",
            old_value="Open",
            new_value="Bereikt",
            changed_by=klantmanager_g,
        )
        c = client_for(beheerder_g)
        ask(c, case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        report.refresh_from_db()
        gemeente = beheerder_g.organisation_id
        assert {tuple(pair) for pair in report.contents} == {
            (gemeente, Category.IDENTIFICATIE),
            (gemeente, Category.AFSPRAKEN),
        }
        text = " ".join(pdf_text(report).split())
        assert "Doel – status" in text and "Bereikt" in text
        assert "goal.status" not in text
        assert c.get(reverse("portal:report_download", args=[report.pk])).status_code == 200
        exported = AccessLogEntry.objects.filter(
            user=beheerder_g, object_type="rapport", action="export"
        )
        assert set(exported.values_list("category", flat=True)) == {"identificatie", "afspraken"}

    def test_a_bsn_with_hyphens_and_a_second_registration(
        self, client_for, beheerder_g, klantmanager_g, case_a
    ):
        """One person registered by GGZ A and by the gemeente (a BSN is unique per
        organisation): both registrations, each saying where it is, and a word that each
        has its own report."""
        own = services.register_client(
            klantmanager_g,
            first_name="Eva",
            last_name="Jansen",
            date_of_birth=datetime.date(1990, 5, 17),
            bsn="111222333",
        )
        html = (
            client_for(beheerder_g)
            .get(reverse("consent:avg_inzage"), {"q": "111-222-333"})
            .content.decode()
        )
        assert request_url(case_a.client) in html and request_url(own) in html
        assert html.count("(ingeschreven bij een andere organisatie)") == 1
        assert "meer dan eens in Werkpad ingeschreven" in html

    def test_no_door_after_a_decline_or_a_place_on_the_team_without_consent(
        self, client_for, behandelaar_a, uwv_u, adviseur_u
    ):
        """Nothing of the client reached UWV: its adviseur declined an invitation to one of
        GGZ A's cases and sat on the team of another without a consent. Its beheerder
        learns nothing of either client, not even that GGZ A has them."""
        beheerder_u = UserFactory(email="beheer@u.test", organisation=uwv_u, role="beheerder")
        declined = make_case(behandelaar_a, first_name="Dina", last_name="Nee", bsn=next_bsn())
        joined = make_case(behandelaar_a, first_name="Jan", last_name="Mee", bsn=next_bsn())
        adviseur = client_for(adviseur_u)
        for case, answer in (
            (declined, {"accept": "0", "reason": "Geen tijd."}),
            (joined, {"accept": "1"}),
        ):
            invitation = services.invite(
                consent.case_access(behandelaar_a, case), adviseur_u, CaseRole.KLANTMANAGER
            )
            response = adviseur.post(reverse("cases:respond", args=[invitation.pk]), answer)
            assert response.status_code == 302
        assert adviseur.get(reverse("cases:detail", args=[joined.pk])).status_code == 200
        assert AccessLogEntry.objects.filter(user=adviseur_u, outcome="toegestaan").exists()
        c = client_for(beheerder_u)
        for case in (declined, joined):
            html = c.get(reverse("consent:avg_inzage"), {"q": case.client.bsn}).content.decode()
            assert case.client.last_name not in html and request_url(case.client) not in html
            assert c.get(request_url(case.client)).status_code == 404

    def test_only_the_gemeente_downloads_it(self, client_for, beheerder_g, beheerder_a, case_a):
        c = client_for(beheerder_g)
        ask(c, case_a.client)
        report = Report.objects.get()
        reports.render(report.pk)
        url = reverse("portal:report_download", args=[report.pk])
        assert c.get(url).status_code == 200
        assert client_for(beheerder_a).get(url).status_code == 404
        assert denied(beheerder_a, object_type="rapport").exists()

    def test_a_beheerders_own_handling_is_no_work_with_the_client(self, client_for, uwv_u, case_a):
        """Only the work of people in cases opens the door: an allowed entry of a UWV
        beheerder (say, a search) does not."""
        beheerder_u = UserFactory(email="beheer@u.test", organisation=uwv_u, role="beheerder")
        consent.write_log(
            [
                consent.entry(
                    None,
                    beheerder_u,
                    decision=consent.Decision(True, "beheer"),
                    action="read",
                    object_type="cliëntzoekactie",
                    category=Category.IDENTIFICATIE,
                    client=case_a.client,
                )
            ]
        )
        assert client_for(beheerder_u).get(request_url(case_a.client)).status_code == 404
        html = (
            client_for(beheerder_u)
            .get(reverse("consent:avg_inzage"), {"q": "111222333"})
            .content.decode()
        )
        assert "Jansen" not in html


def test_every_record_with_a_change_history_has_a_section():
    """A change record counts under the category of the record it changed (its section's):
    each kind whose changes are kept (services.save_versioned, a log's change talk)
    resolves, so none falls back to needing every category."""
    from cases.models import Conversation, Driegesprek, LeidraadSession
    from consent.avg_report import _changed
    from ips.models import Beroepsprofiel, Placement

    for model in (
        Goal,
        Agreement,
        Driegesprek,
        LeidraadSession,
        Conversation,
        Beroepsprofiel,
        Placement,
    ):
        found, category = _changed(model._meta.model_name)
        assert found is model and category is not None, model


def test_a_change_to_change_talk_is_named_in_words(client_for, beheerder_a, behandelaar_a):
    """A log's change talk is no field of its own (its rows are): the record of its change
    reads 'Motiverend gesprek – verandertaal' (it stopped the report)."""
    from .test_conversations import log_via_page

    case = make_case(behandelaar_a, first_name="Eva", last_name="Jansen", bsn="111222333")
    conversation = log_via_page(client_for(behandelaar_a), case)
    ChangeRecord.objects.create(
        case=case,
        object_type="conversation",
        object_id=conversation.pk,
        field="change_talk",
        old_value="Wens: —",
        new_value="Wens: Ik wil weer werken",
        changed_by=behandelaar_a,
    )
    ask(client_for(beheerder_a), case.client)
    report = Report.objects.get()
    reports.render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.KLAAR
    assert "Motiverend gesprek – verandertaal" in " ".join(pdf_text(report).split())


def test_every_kind_of_client_data_is_in_the_avg_inzage():
    """A model that (directly or through a case, trajectory, session...) belongs to a client
    must be a section of the AVG-inzage, or be named as not client data: new data cannot be
    forgotten in the client's right of access."""
    from django.apps import apps

    from consent.avg_report import NOT_CLIENT_DATA, SECTIONS

    own = [m for m in apps.get_models() if m._meta.app_label in ("cases", "consent", "ips")]
    about_client = {apps.get_model("cases.Client")}
    grown = True
    while grown:
        grown = False
        for model in own:
            if model in about_client:
                continue
            targets = {
                f.related_model
                for f in model._meta.get_fields()
                if f.many_to_one or (f.one_to_one and f.concrete)
            }
            if targets & about_client:
                about_client.add(model)
                grown = True
    labels = {m._meta.label for m in about_client}
    # The client's identity heads the report; the access log is its own part of it.
    covered = {s.model for s in SECTIONS} | {"cases.Client", "consent.AccessLogEntry"}
    assert labels - covered - NOT_CLIENT_DATA == set()
