"""Gespreksleidraad 'Arbeid als medicijn' (issue 5): content as versioned data, the session
flow through the views, finishing rules, corrections, who may see what, query counts."""

import copy
import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_content as content
from cases import leidraad_services as leidraad
from cases.constants import (
    CaseRole,
    InvitationStatus,
    Judgement,
    LeidraadStatus,
    ReferralKind,
    TimelineKind,
)
from cases.models import (
    Agreement,
    Invitation,
    LeidraadCorrection,
    LeidraadSession,
    LeidraadThemeNote,
    LeidraadVersion,
    TimelineEntry,
)
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry

from .builders import make_case, make_consent
from .html_checks import assert_errors_tied_to_fields

THEME_KEYS = [
    "krachten",
    "financien",
    "grip",
    "invloed",
    "stress",
    "steun",
    "betrokkenheid",
    "ontwikkeling",
    "werkgever",
]

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


@pytest.fixture(autouse=True)
def guide(db):
    """Version 1 as loaded by the data migration (re-loaded if a transactional test in the
    same run flushed the table)."""
    return leidraad.ensure_bundled()


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def in_future(days=14):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def step_url(case, session, step):
    return reverse("cases:leidraad_step", args=[case.pk, session.pk, step])


def detail_url(case, session):
    return reverse("cases:leidraad_detail", args=[case.pk, session.pk])


def start(c, case):
    response = c.post(reverse("cases:leidraad_start", args=[case.pk]))
    assert response.status_code == 302
    return LeidraadSession.objects.filter(case=case).latest("pk")


def run_session(c, case, judgements, referral=None, agreements=()):
    """Drive one whole session through the views; returns the finished session."""
    session = start(c, case)
    c.post(
        step_url(case, session, 1),
        {"version": session.version, "themes": list(judgements), "client_questions": "Mag ik"},
    )
    session.refresh_from_db()
    data = {"version": session.version, "verder": "1"}
    for key, judgement in judgements.items():
        data[f"notes_{key}"] = f"Notitie over {key}"
        data[f"judgement_{key}"] = judgement
    c.post(step_url(case, session, 2), data)
    if agreements:
        rows = {"action": "afspraken"}
        for i, (what, owner, due) in enumerate(agreements, start=1):
            rows.update({f"what_{i}": what, f"owner_{i}": owner, f"due_{i}": due})
        c.post(step_url(case, session, 3), rows)
    referral = referral or {"kind": "geen", "verwijzing-geen-reason": "Cliënt werkt al."}
    c.post(step_url(case, session, 3), {"action": "verwijzen", **referral})
    session.refresh_from_db()
    c.post(step_url(case, session, 3), {"action": "afronden", "version": session.version})
    session.refresh_from_db()
    return session


def finished_session(case, user, judgements, when=None):
    """A finished session straight in the database (for lists and query counts)."""
    when = when or timezone.now()
    session = LeidraadSession.objects.create(
        case=case,
        organisation=user.organisation,
        guide=leidraad.current_version(),
        started_by=user,
        started_at=when,
        status=LeidraadStatus.AFGEROND,
        finished_at=when,
        finished_by=user,
    )
    LeidraadThemeNote.objects.bulk_create(
        LeidraadThemeNote(session=session, theme=key, position=i, judgement=value, notes="n")
        for i, (key, value) in enumerate(judgements.items())
    )
    return session


def denied(**filters):
    return AccessLogEntry.objects.filter(outcome="geweigerd", **filters)


# --- Content as versioned data ----------------------------------------------------------------


class TestContent:
    def test_bundled_version_meets_the_schema_and_has_the_nine_themes(self, guide):
        data = content.load_bundled()
        assert content.validate(data) == data
        assert [t["key"] for t in data["themes"]] == THEME_KEYS
        for theme in data["themes"]:
            assert 3 <= len(theme["questions"]) <= 5
            assert theme["explanation"] and theme["references"]
            assert all(q.endswith("?") or q.endswith(".") for q in theme["questions"])
        assert [s["key"] for s in data["steps"]] == list(content.STEP_KEYS)
        assert guide.number == 1
        assert [t["key"] for t in guide.themes] == THEME_KEYS
        assert guide.checksum == content.checksum(data)

    def test_questions_address_the_client_as_u(self):
        text = " ".join(q for t in content.load_bundled()["themes"] for q in t["questions"])
        assert " u " in f" {text.lower()} "
        assert " je " not in f" {text.lower()} " and " jij " not in f" {text.lower()} "

    @pytest.mark.parametrize(
        "mutate, message",
        [
            (lambda d: d.pop("themes"), "het veld 'themes' ontbreekt"),
            (lambda d: d.update(extra=1), "onbekend veld 'extra'"),
            (lambda d: d["steps"].pop(), "precies drie stappen"),
            (lambda d: d["themes"][1].update(key="krachten"), "komt twee keer voor"),
            (lambda d: d["themes"][0].update(key="Met Spatie"), "kleine letters"),
            (lambda d: d["themes"][0].update(questions=["Een?", "Twee?"]), "3 tot 5 vragen"),
            (lambda d: d["themes"][0]["questions"].__setitem__(0, "  "), "mag niet leeg zijn"),
            (lambda d: d["themes"][0].update(references=[]), "minstens één verwijzing"),
            (
                lambda d: d["themes"][0]["references"].append(
                    {"title": "x", "url": "javascript:alert(1)"}
                ),
                "https://",
            ),
            (lambda d: d["themes"][0].update(title="x" * 121), "te lang"),
            (lambda d: d.update(themes=[]), "1 tot 12 thema's"),
        ],
    )
    def test_bad_content_is_refused_with_a_dutch_message(self, mutate, message):
        data = copy.deepcopy(content.load_bundled())
        mutate(data)
        with pytest.raises(ValidationError) as exc:
            content.validate(data)
        assert any(message in m for m in exc.value.messages), exc.value.messages

    def test_not_json(self):
        with pytest.raises(ValidationError, match="geen geldige JSON"):
            content.parse("{niet: json")

    def test_publish_numbers_versions_and_refuses_identical_content(self, guide, beheerder_a):
        data = content.load_bundled()
        with pytest.raises(ValidationError, match="gelijk aan versie 1"):
            leidraad.publish(data, beheerder_a)
        data["themes"][1]["title"] = "Geld, inkomen en schulden"
        version = leidraad.publish(data, beheerder_a, "Titel aangepast")
        assert version.number == 2
        assert leidraad.current_version() == version

    def test_management_command(self, guide, tmp_path):
        data = content.load_bundled()
        data["title"] = "Leidraad, tweede druk"
        path = tmp_path / "v2.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        call_command("publish_leidraad", str(path), note="tweede druk")
        assert LeidraadVersion.objects.get(number=2).note == "tweede druk"
        path.write_text('{"title": "x"}', encoding="utf-8")
        with pytest.raises(CommandError, match="ontbreekt"):
            call_command("publish_leidraad", str(path))

    def test_old_session_reads_with_its_own_version(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        old = run_session(c, case_a, {"financien": Judgement.BELEMMERT})
        assert old.guide.number == 1
        data = content.load_bundled()
        data["themes"][1]["title"] = "Rondkomen en schulden"
        data["themes"][1]["questions"][0] = "Lukt het u om elke maand rond te komen?"
        leidraad.publish(data, note="v2")
        new = start(c, case_a)
        assert new.guide.number == 2
        step1 = c.get(step_url(case_a, new, 1)).content.decode()
        assert "Rondkomen en schulden" in step1
        page = c.get(detail_url(case_a, old)).content.decode()
        assert "Geld en inkomen" in page and "Rondkomen en schulden" not in page
        assert "versie 1" in page
        summary = c.get(reverse("cases:leidraad_summary", args=[case_a.pk, old.pk]))
        assert "Geld en inkomen" in summary.content.decode()


class TestBeheer:
    URL = "/beheer/gespreksleidraad/"

    def test_who_may_publish(self, client, client_for, behandelaar_a, klantmanager_g):
        assert client.get(self.URL).status_code == 302
        assert client_for(behandelaar_a).get(self.URL).status_code == 404
        assert client_for(klantmanager_g).get(self.URL).status_code == 404

    def test_check_then_publish(self, client_for, beheerder_a):
        c = client_for(beheerder_a)
        page = c.get(self.URL).content.decode()
        assert "Gepubliceerde versies" in page
        download = c.get(reverse("cases:leidraad_download", args=[1]))
        data = json.loads(download.content)
        data["themes"][0]["questions"].append("Waar bent u trots op?")
        text = json.dumps(data, ensure_ascii=False)
        checked = c.post(self.URL, {"text": text, "note": "Vraag erbij", "action": "controleren"})
        assert "Controle geslaagd" in checked.content.decode()
        assert LeidraadVersion.objects.count() == 1
        c.post(self.URL, {"text": text, "note": "Vraag erbij", "action": "publiceren"})
        version = LeidraadVersion.objects.get(number=2)
        assert version.published_by == beheerder_a
        assert "Waar bent u trots op?" in version.themes[0]["questions"]

    def test_bad_json_and_bad_schema_are_explained(self, client_for, beheerder_a):
        c = client_for(beheerder_a)
        page = c.post(self.URL, {"text": "{", "note": "x", "action": "publiceren"})
        assert "geen geldige JSON" in page.content.decode()
        page = c.post(self.URL, {"text": '{"title": "x"}', "note": "x", "action": "publiceren"})
        assert "ontbreekt" in page.content.decode()
        assert LeidraadVersion.objects.count() == 1


# --- The flow through the views ---------------------------------------------------------------


class TestFlow:
    @SAME_DAY
    def test_whole_session(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        assert session.guide.number == 1 and session.status == LeidraadStatus.BEZIG
        page = c.get(step_url(case_a, session, 1)).content.decode()
        assert "Geld en inkomen" in page and "Kunt u rondkomen?" in page
        c.post(
            step_url(case_a, session, 1),
            {
                "version": session.version,
                "themes": ["krachten", "financien", "werkgever"],
                "client_questions": "Wat gebeurt er met mijn uitkering?",
            },
        )
        assert list(session.theme_notes.values_list("theme", flat=True)) == [
            "krachten",
            "financien",
            "werkgever",
        ]
        session.refresh_from_db()
        c.post(
            step_url(case_a, session, 2),
            {
                "version": session.version,
                "notes_krachten": "Goed met mensen, zorgzaam.",
                "judgement_krachten": Judgement.HELPT,
                "notes_financien": "Schulden geven spanning.",
                "judgement_financien": Judgement.BELEMMERT,
                "notes_werkgever": "",
                "judgement_werkgever": "",
            },
        )
        due = in_future()
        response = c.post(
            step_url(case_a, session, 3),
            {
                "action": "afspraken",
                "what_1": "Gesprek met schuldhulp plannen",
                "owner_1": "Cliënt",
                "due_1": due,
                "what_2": "Vacatures in de zorg bekijken",
                "owner_2": "Cliënt en jobcoach",
                "due_2": due,
            },
        )
        assert response.status_code == 302
        agreements = Agreement.objects.filter(case=case_a)
        assert set(agreements.values_list("what", "organisation")) == {
            ("Gesprek met schuldhulp plannen", behandelaar_a.organisation_id),
            ("Vacatures in de zorg bekijken", behandelaar_a.organisation_id),
        }
        assert set(session.agreements.all()) == set(agreements)
        created = AccessLogEntry.objects.filter(action="create", object_type="afspraak")
        assert sorted(created.values_list("object_id", "category")) == sorted(
            (str(a.pk), Category.AFSPRAKEN) for a in agreements
        )
        response = c.post(step_url(case_a, session, 3), {"action": "verwijzen", "kind": "ips"})
        referral = Invitation.objects.get(case=case_a, is_referral=True)
        # Logged as a referral (as cases:refer logs it) and as the change to the session.
        assert set(
            AccessLogEntry.objects.filter(request_id=response["X-Request-ID"]).values_list(
                "object_type", "object_id", "category", "action"
            )
        ) == {
            ("verwijzing", str(referral.pk), Category.IDENTIFICATIE, "create"),
            ("leidraadsessie", str(session.pk), Category.LEIDRAAD, "update"),
        }
        assert referral.case_role == CaseRole.TRAJECTBEGELEIDER
        assert referral.organisation == behandelaar_a.organisation
        assert "gespreksleidraad" in referral.reason
        session.refresh_from_db()
        response = c.post(
            step_url(case_a, session, 3), {"action": "afronden", "version": session.version}
        )
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.status == LeidraadStatus.AFGEROND and session.finished_by == behandelaar_a
        case_a.refresh_from_db()
        assert case_a.work_discussed_on == timezone.localdate()
        assert TimelineEntry.objects.filter(
            case=case_a, kind=TimelineKind.LEIDRAAD, category=Category.LEIDRAAD
        ).exists()
        summary = c.get(reverse("cases:leidraad_summary", args=[case_a.pk, session.pk]))
        text = summary.content.decode()
        assert "Samenvatting van ons gesprek over werk" in text
        assert "Werk helpt u nu bij uw herstel." in text
        assert "Werk staat uw herstel nu in de weg." in text
        assert "Gesprek met schuldhulp plannen" in text
        assert "IPS-team" in text and "Eva Jansen" in text
        # The case page shows the session and its judgements.
        case_page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "Gesprek over werk (gespreksleidraad)" in case_page
        assert "Werk belemmert herstel" in case_page

    def test_save_half_way_and_resume(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(
            step_url(case_a, session, 1),
            {"version": session.version, "themes": ["stress"], "client_questions": ""},
        )
        case_page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "Verder met het lopende gesprek" in case_page
        again = start(c, case_a)
        assert again == session
        assert LeidraadSession.objects.filter(case=case_a).count() == 1
        detail = c.get(detail_url(case_a, session)).content.decode()
        assert step_url(case_a, session, 2) in detail

    def test_change_over_two_sessions(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        first = run_session(c, case_a, {"financien": "belemmert", "steun": "neutraal"})
        assert first.status == LeidraadStatus.AFGEROND
        second = run_session(c, case_a, {"financien": "helpt", "steun": "neutraal"})
        assert second.status == LeidraadStatus.AFGEROND
        page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "↑ werk helpt meer" in page
        case_a.refresh_from_db()  # the sessions were made by requests: as a new page reads it
        trend = leidraad.trend(
            list(leidraad.sessions_for(consent.case_access(behandelaar_a, case_a), case_a))
        )
        rows = {row["key"]: row for row in trend["rows"]}
        assert [cell["value"] for cell in rows["financien"]["cells"]] == ["belemmert", "helpt"]
        assert rows["steun"]["change"] == "gelijk"
        assert [cell["symbol"] for cell in rows["financien"]["cells"]] == ["−", "+"]

    def test_outside_referral_is_a_timeline_entry(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = run_session(
            c,
            case_a,
            {"werkgever": "belemmert"},
            referral={"kind": "extern", "verwijzing-extern-destination": "bedrijfsarts"},
        )
        assert session.status == LeidraadStatus.AFGEROND
        entry = TimelineEntry.objects.get(case=case_a, kind=TimelineKind.VERWIJZING)
        assert "Bedrijfsarts" in entry.title and entry.category == Category.LEIDRAAD
        assert session.referrals.get().kind == ReferralKind.EXTERN

    def test_referral_to_klantmanager(self, client_for, behandelaar_a, case_a, gemeente_g):
        c = client_for(behandelaar_a)
        run_session(
            c,
            case_a,
            {"financien": "onduidelijk"},
            referral={
                "kind": "klantmanager",
                "verwijzing-klantmanager-organisation": gemeente_g.pk,
            },
        )
        invitation = Invitation.objects.get(case=case_a, is_referral=True)
        assert invitation.case_role == CaseRole.KLANTMANAGER
        assert invitation.organisation == gemeente_g

    def test_referral_forms_say_who_reads_the_reason(self, client_for, behandelaar_a, case_a):
        from cases.leidraad_forms import ReferralForm

        warning = "leest de reden bij de verwijzing, ook als de cliënt nog geen"
        assert {
            kind: warning in str(ReferralForm(kind=kind).fields["reason"].help_text)
            for kind in ReferralKind.values
        } == {"ips": True, "klantmanager": True, "extern": False, "geen": False}

    def test_preparation_sheets(self, client_for, behandelaar_a, case_a, klantmanager_g):
        c = client_for(behandelaar_a)
        blank = c.get(reverse("cases:leidraad_preparation_blank")).content.decode()
        assert "Voorbereiding op ons gesprek over werk" in blank and "Mijn eigen vragen" in blank
        # Each reference on a line of its own (they end in a full stop: no '.;' run-ons).
        assert ".; " not in blank
        assert blank.count("<li>Janlert, U. (1997).") >= 1
        session = start(c, case_a)
        c.post(
            step_url(case_a, session, 1),
            {"version": session.version, "themes": ["grip"], "client_questions": "Hoe lang?"},
        )
        sheet = c.get(reverse("cases:leidraad_preparation", args=[case_a.pk, session.pk]))
        assert "gekozen" in sheet.content.decode() and "Hoe lang?" in sheet.content.decode()


# --- Bad input and finishing rules ------------------------------------------------------------


class TestNothingTypedIsLost:
    """Steps 1 and 2 are forms: the way to another step or back to the case is a button
    that saves first. Links there lost what was typed without a word (a tester's notes on
    'krachten' were gone on coming back from step 3)."""

    def test_the_form_steps_have_no_links_away_and_say_how_to_move_on(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": session.version, "themes": ["krachten"]})
        for step in (1, 2):
            html = c.get(step_url(case_a, session, step)).content.decode()
            for other in (1, 2, 3):
                assert f'href="{step_url(case_a, session, other)}"' not in html
            assert f'href="{reverse("cases:detail", args=[case_a.pk])}"' not in html
            assert "die slaan eerst op wat u typte" in html
            assert 'value="casus"' in html
        # Step 3 has no form of typed text across the page: its links stay.
        html = c.get(step_url(case_a, session, 3)).content.decode()
        assert f'href="{step_url(case_a, session, 2)}"' in html

    @pytest.mark.parametrize(
        "to, where",
        [("casus", "case"), ("1", "step 1"), (None, "step 2")],
    )
    def test_step_2_saves_and_goes_where_asked(self, client_for, behandelaar_a, case_a, to, where):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": session.version, "themes": ["krachten"]})
        session.refresh_from_db()
        data = {"version": session.version, "notes_krachten": "Zorgzaam", "judgement_krachten": ""}
        if to:
            data["naar"] = to
        response = c.post(step_url(case_a, session, 2), data)
        expected = {
            "case": reverse("cases:detail", args=[case_a.pk]),
            "step 1": step_url(case_a, session, 1),
            "step 2": step_url(case_a, session, 2),
        }[where]
        assert response["Location"] == expected
        assert session.theme_notes.get(theme="krachten").notes == "Zorgzaam"

    def test_step_1_saves_and_goes_back_to_the_case(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        response = c.post(
            step_url(case_a, session, 1),
            {"version": session.version, "themes": ["krachten"], "naar": "casus"},
        )
        assert response["Location"] == reverse("cases:detail", args=[case_a.pk])
        assert list(session.theme_notes.values_list("theme", flat=True)) == ["krachten"]

    def test_a_theme_with_notes_but_no_judgement_is_not_called_undiscussed(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["krachten", "grip"]})
        session.refresh_from_db()
        c.post(
            step_url(case_a, session, 2),
            {"version": session.version, "notes_krachten": "Zorgzaam", "notes_grip": ""},
        )
        html = c.get(step_url(case_a, session, 3)).content.decode()
        assert "besproken, nog geen oordeel gekozen" in html
        assert html.count("nog niet besproken") == 1  # grip: no notes, no judgement
        html = c.get(detail_url(case_a, session)).content.decode()
        assert "geen oordeel gekozen" in html

    def test_the_forms_say_who_reads_what_is_typed(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        html = c.get(step_url(case_a, session, 1)).content.decode()
        assert "Gedeeld als ‘Uitkomsten gespreksleidraad’" in html
        assert "ook gemeente en UWV. Schrijf hier geen medische informatie." in html
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["krachten"]})
        html = c.get(step_url(case_a, session, 2)).content.decode()
        assert "Gedeeld als ‘Uitkomsten gespreksleidraad’" in html


class TestRules:
    def test_finishing_needs_a_discussed_theme_and_a_referral_decision(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        session.refresh_from_db()
        response = c.post(
            step_url(case_a, session, 3),
            {"action": "afronden", "version": session.version},
            follow=True,
        )
        text = response.content.decode()
        assert "Er is nog bij geen enkel thema een oordeel gekozen" in text
        assert "Kies in stap 3 of u verwijst" in text
        session.refresh_from_db()
        assert session.status == LeidraadStatus.BEZIG

    def test_selecting_no_theme(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        response = c.post(step_url(case_a, session, 1), {"version": session.version})
        assert "Kies minstens één thema" in response.content.decode()

    def test_bad_agreements_are_refused(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
        response = c.post(
            step_url(case_a, session, 3),
            {"action": "afspraken", "what_1": "CV maken", "owner_1": "", "due_1": in_future()},
        )
        assert "Vul in wie de afspraak uitvoert." in response.content.decode()
        response = c.post(
            step_url(case_a, session, 3),
            {"action": "afspraken", "what_1": "CV maken", "owner_1": "Cliënt", "due_1": past},
        )
        assert "Deze datum ligt in het verleden." in response.content.decode()
        assert not Agreement.objects.filter(case=case_a).exists()

    def test_no_referral_needs_a_reason(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        response = c.post(
            step_url(case_a, session, 3),
            {"action": "verwijzen", "kind": "geen", "verwijzing-geen-reason": " "},
        )
        assert "Geef een reden waarom geen verwijzing nodig is." in response.content.decode()
        assert not session.referrals.exists()

    def test_ips_referral_when_ips_already_runs_shows_it_instead(
        self, client_for, behandelaar_a, jobcoach_a, case_a
    ):
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        page = c.get(step_url(case_a, session, 3)).content.decode()
        assert "is al IPS-trajectbegeleider in deze casus" in page
        assert "Verwijzen naar het IPS-team" not in page
        response = c.post(step_url(case_a, session, 3), {"action": "verwijzen", "kind": "ips"})
        assert "Deze cliënt heeft al een IPS-traject" in response.content.decode()
        assert not Invitation.objects.filter(case=case_a, is_referral=True).exists()

    def test_with_ips_running_finishing_needs_no_referral_and_says_so(
        self, client_for, behandelaar_a, jobcoach_a, case_a
    ):
        """A client already in IPS: the running trajectory is the next step. Finishing
        records it (no forced 'geen verwijzing nodig' with a made-up reason)."""
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        session.refresh_from_db()
        data = {"version": session.version, "verder": "1", "judgement_grip": "helpt"}
        c.post(step_url(case_a, session, 2), data)
        response = c.post(
            step_url(case_a, session, 3),
            {
                "action": "afspraken",
                "what_1": "CV maken",
                "owner_1": "Cliënt",
                "due_1": in_future(),
            },
            follow=True,
        )
        assert "1 afspraak toegevoegd aan de casus." in response.content.decode()
        session.refresh_from_db()
        c.post(step_url(case_a, session, 3), {"action": "afronden", "version": session.version})
        session.refresh_from_db()
        assert session.status == LeidraadStatus.AFGEROND
        (referral,) = session.referrals.all()
        assert referral.kind == "geen"
        # Fixed words: who coaches, where and in which phase is IPS data, not the session's.
        assert referral.reason == "Er loopt al een IPS-traject of een aanmelding daarvoor."
        summary = c.get(reverse("cases:leidraad_summary", args=[case_a.pk, session.pk]))
        assert "Er loopt al een IPS-traject of een aanmelding daarvoor." in (
            summary.content.decode()
        )
        assert TimelineEntry.objects.filter(
            case=case_a, title__endswith="(1 thema besproken)"
        ).exists()

    @pytest.mark.parametrize(
        "holder_name, consented, basis",
        [
            ("ggz_a", False, "eigen_organisatie"),
            ("ggz_b", True, "toestemming"),
            ("ggz_b", False, None),
        ],
    )
    def test_a_running_trajectory_is_named_only_to_who_may_read_it(
        self, request, client_for, behandelaar_a, case_a, holder_name, consented, basis
    ):
        """Where a trajectory runs and its phase are IPS data of its organisation: named to
        GGZ A for its own trajectory or with the client's consent (the read logged on that
        basis); GGZ B's without consent is only said to exist, so that the referral is not
        made twice, on the page and in the refusal."""
        from ips.models import Trajectory

        holder = request.getfixturevalue(holder_name)
        if consented:
            make_consent(
                case_a.client,
                holder,
                behandelaar_a.organisation,
                Purpose.AFSTEMMING,
                [Category.IPS],
            )
        Trajectory.objects.create(case=case_a, client=case_a.client, organisation=holder)
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        page = c.get(step_url(case_a, session, 3)).content.decode()
        named = basis is not None
        assert (
            f"Er loopt al een IPS-traject bij {holder.name} (fase: Aangemeld)." in page
        ) == named
        assert ("Er loopt al een IPS-traject voor deze cliënt." in page) == (not named)
        assert "Verwijzen naar het IPS-team" not in page
        reads = AccessLogEntry.objects.filter(case=case_a, category=Category.IPS)
        assert [(e.action, e.basis) for e in reads] == ([("read", basis)] if named else [])
        response = c.post(step_url(case_a, session, 3), {"action": "verwijzen", "kind": "ips"})
        html = response.content.decode()
        assert "Deze cliënt heeft al een IPS-traject of een aanmelding daarvoor." in html
        if not named:
            assert not any(word in page + html for word in ("GGZ B", "Aangemeld"))
        assert not Invitation.objects.filter(case=case_a, is_referral=True).exists()

    def test_ips_referral_when_a_referral_is_open(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 3), {"action": "verwijzen", "kind": "ips"})
        response = c.post(step_url(case_a, session, 3), {"action": "verwijzen", "kind": "ips"})
        assert "verwijzing open naar het IPS-team" in response.content.decode()
        assert Invitation.objects.filter(case=case_a, status=InvitationStatus.OPEN).count() == 1

    def test_finished_session_is_not_edited_a_correction_is_linked(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = run_session(c, case_a, {"financien": "belemmert"})
        response = c.post(
            step_url(case_a, session, 2),
            {
                "version": session.version,
                "notes_financien": "Overschreven",
                "judgement_financien": "helpt",
            },
            follow=True,
        )
        assert "afgerond en verandert niet meer" in response.content.decode()
        note = session.theme_notes.get()
        assert (note.notes, note.judgement) == ("Notitie over financien", "belemmert")
        response = c.post(
            reverse("cases:leidraad_correction", args=[case_a.pk, session.pk]),
            {"body": "Het gaat om schulden bij de zorgverzekeraar."},
            follow=True,
        )
        assert "Het gaat om schulden bij de zorgverzekeraar." in response.content.decode()
        correction = LeidraadCorrection.objects.get(session=session)
        assert correction.organisation == behandelaar_a.organisation
        session.refresh_from_db()
        assert session.status == LeidraadStatus.AFGEROND

    def test_unselecting_a_theme_with_notes(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip", "steun"]})
        c.post(
            step_url(case_a, session, 2),
            {
                "version": 2,
                "notes_grip": "Weinig regelmaat",
                "judgement_grip": "",
                "notes_steun": "",
            },
        )
        response = c.post(step_url(case_a, session, 1), {"version": 3, "themes": ["steun"]})
        assert "Bij &#x27;Grip op uw situatie&#x27; staat al iets genoteerd" in (
            response.content.decode()
        )
        assert session.theme_notes.count() == 2

    def test_stale_save_is_refused(self, client_for, behandelaar_a, behandelaar_a2, case_a):
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        # A colleague saved version 1 -> 2 already; a save from version 1 is refused.
        other = client_for(behandelaar_a2)
        typed = {"version": 1, "themes": ["grip", "steun"], "client_questions": "Mag ik parttime?"}
        response = other.post(step_url(case_a, session, 1), typed)
        assert "Niet opgeslagen: dit gesprek is intussen gewijzigd" in response.content.decode()
        assert session.theme_notes.count() == 1
        # Nothing typed is lost: the form holds it, on the stored version, so that saving
        # again is a deliberate choice.
        form = response.context["form"]
        assert form["themes"].value() == ["grip", "steun"]
        assert form["client_questions"].value() == "Mag ik parttime?"
        assert form["version"].value() == "2"
        other.post(step_url(case_a, session, 1), {**typed, "version": 2})
        assert session.theme_notes.count() == 2

    def test_stale_notes_keep_what_was_typed(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        """A double click or a second window: the notes typed come back with the reason."""
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        typed = {"version": 2, "notes_grip": "Wil weer structuur", "judgement_grip": ""}
        c.post(step_url(case_a, session, 2), typed)
        response = c.post(step_url(case_a, session, 2), {**typed, "notes_grip": "En meer"})
        html = response.content.decode()
        assert "Niet opgeslagen: dit gesprek is intussen gewijzigd" in html
        assert "En meer" in html
        assert session.theme_notes.get().notes == "Wil weer structuur"

    def test_each_steps_errors_are_tied_to_their_fields(self, client_for, behandelaar_a, case_a):
        """The steps build their fields by hand: an error must still be named by its field's
        aria-describedby, and the field must say it is invalid (a screen reader hears the
        message on the field, not only somewhere on the page)."""
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        html = c.post(
            step_url(case_a, session, 1), {"version": 1, "client_questions": "x" * 4001}
        ).content.decode()
        assert "Kies minstens één thema" in html
        page = assert_errors_tied_to_fields(html)
        assert {"themes-errors", "id_client_questions_error"} <= {
            i for _tag, attrs in page.described_by for i in attrs["aria-describedby"].split()
        }
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        html = c.post(
            step_url(case_a, session, 2),
            {"version": 2, "judgement_grip": "geweldig", "notes_grip": "x" * 4001},
        ).content.decode()
        assert "Kies een oordeel uit de lijst." in html
        page = assert_errors_tied_to_fields(html)
        invalid = {a["name"] for a in page.fields if a.get("aria-invalid") == "true"}
        assert {"notes_grip", "judgement_grip"} <= invalid
        html = c.post(
            step_url(case_a, session, 3),
            {"action": "afspraken", "what_1": "CV maken", "owner_1": "", "due_1": in_future()},
        ).content.decode()
        assert "Vul in wie de afspraak uitvoert." in html
        page = assert_errors_tied_to_fields(html)
        assert "owner_1" in {a["name"] for a in page.fields if a.get("aria-invalid") == "true"}

    def test_bad_judgement_value(self, client_for, behandelaar_a, case_a):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        response = c.post(
            step_url(case_a, session, 2), {"version": 2, "judgement_grip": "geweldig"}
        )
        assert "Kies een oordeel uit de lijst." in response.content.decode()


# --- Who may see what ------------------------------------------------------------------------


@pytest.fixture
def done(behandelaar_a, case_a, client_for):
    """A finished session with an agreement, run by behandelaar_a of GGZ A."""
    c = client_for(behandelaar_a)
    return run_session(
        c,
        case_a,
        {"financien": "belemmert"},
        agreements=[("Schuldhulp bellen", "Cliënt", in_future())],
    )


class TestAccess:
    def test_anonymous_goes_to_sign_in(self, client_for, case_a, done):
        response = client_for(None).get(detail_url(case_a, done))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_outsider_gets_404_and_a_denied_log(self, client_for, outsider, case_a, done):
        c = client_for(outsider)
        for url in (
            detail_url(case_a, done),
            reverse("cases:leidraad_summary", args=[case_a.pk, done.pk]),
            reverse("cases:leidraad_list", args=[case_a.pk]),
        ):
            assert c.get(url).status_code == 404
        assert denied(user=outsider, case=case_a).count() == 3

    def test_klantmanager_without_consent(self, client_for, klantmanager_g, case_a, done):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        c = client_for(klantmanager_g)
        assert c.get(detail_url(case_a, done)).status_code == 404
        assert denied(user=klantmanager_g, category=Category.LEIDRAAD).exists()
        case_page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "Gesprek over werk (gespreksleidraad)" not in case_page
        assert "Notitie over financien" not in case_page
        assert c.post(reverse("cases:leidraad_start", args=[case_a.pk])).status_code == 404
        assert denied(user=klantmanager_g, action="create").exists()

    def test_klantmanager_with_consent_for_leidraad_only(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.LEIDRAAD],
        )
        c = client_for(klantmanager_g)
        page = c.get(detail_url(case_a, done)).content.decode()
        assert "Notitie over financien" in page
        assert "Schuldhulp bellen" not in page  # afspraken are not consented
        entry = AccessLogEntry.objects.filter(
            user=klantmanager_g, object_type="leidraadsessie", outcome="toegestaan"
        ).latest("pk")
        assert entry.basis == "toestemming" and entry.category == Category.LEIDRAAD
        case_page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert "Gesprek over werk (gespreksleidraad)" in case_page
        assert "Gesprek over werk starten" not in case_page
        # Reading is not writing.
        assert c.get(step_url(case_a, done, 2)).status_code == 404

    def test_jobcoach_reads_but_does_not_run_sessions(self, client_for, jobcoach_a, case_a, done):
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        c = client_for(jobcoach_a)
        assert "Notitie over financien" in c.get(detail_url(case_a, done)).content.decode()
        assert c.post(reverse("cases:leidraad_start", args=[case_a.pk])).status_code == 404
        assert (
            c.get(reverse("cases:leidraad_correction", args=[case_a.pk, done.pk])).status_code
            == 404
        )

    def test_colleague_on_the_team_continues_a_session(
        self, client_for, behandelaar_a, behandelaar_a2, case_a
    ):
        consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
        session = start(client_for(behandelaar_a), case_a)
        c = client_for(behandelaar_a2)
        assert c.get(step_url(case_a, session, 1)).status_code == 200

    def test_other_care_organisation_reads_with_consent_but_never_writes(
        self, client_for, behandelaar_a, outsider, case_a, done
    ):
        consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
        make_consent(
            case_a.client,
            behandelaar_a.organisation,
            outsider.organisation,
            Purpose.AFSTEMMING,
            [Category.LEIDRAAD],
        )
        c = client_for(outsider)
        assert c.get(detail_url(case_a, done)).status_code == 200
        assert (
            c.get(reverse("cases:leidraad_correction", args=[case_a.pk, done.pk])).status_code
            == 404
        )
        assert denied(user=outsider, action="update", category=Category.LEIDRAAD).exists()

    def test_withdrawn_consent_ends_reading(
        self, client_for, behandelaar_a, klantmanager_g, case_a, done
    ):
        from .builders import withdraw

        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        record = make_consent(
            case_a.client,
            behandelaar_a.organisation,
            klantmanager_g.organisation,
            Purpose.REINTEGRATIE,
            [Category.LEIDRAAD],
        )
        c = client_for(klantmanager_g)
        assert c.get(detail_url(case_a, done)).status_code == 200
        withdraw(record, behandelaar_a)
        assert c.get(detail_url(case_a, done)).status_code == 404


# --- Query counts ----------------------------------------------------------------------------


def test_session_list_and_case_page_query_counts(
    client_for, behandelaar_a, case_a, django_assert_num_queries
):
    from .test_cases import count_queries

    start_at = timezone.now() - datetime.timedelta(days=400)
    for _ in range(2):
        finished_session(
            case_a, behandelaar_a, {"financien": "belemmert", "steun": "helpt"}, start_at
        )
    c = client_for(behandelaar_a)
    list_url = reverse("cases:leidraad_list", args=[case_a.pk])
    case_url = reverse("cases:detail", args=[case_a.pk])
    expected_list = count_queries(c, list_url)
    expected_case = count_queries(c, case_url)
    for i in range(28):
        finished_session(
            case_a,
            behandelaar_a,
            {"financien": "helpt", "steun": "neutraal", "grip": "onduidelijk"},
            start_at + datetime.timedelta(days=i + 1),
        )
    with django_assert_num_queries(expected_list):
        response = c.get(list_url)
    assert response.content.decode().count("leidraad/") >= 30
    with django_assert_num_queries(expected_case):
        c.get(case_url)


@SAME_DAY
def test_another_organisations_session_does_not_change_the_cases_work_discussed(
    client_for, behandelaar_a, outsider, case_a
):
    """A behandelaar of GGZ B on the team runs the gespreksleidraad: the session is theirs,
    on their own timeline; the case's "werk besproken" (GGZ A's data) stays as it was."""
    consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
    session = run_session(client_for(outsider), case_a, {"financien": "helpt"})
    assert (
        session.status == LeidraadStatus.AFGEROND and session.organisation == outsider.organisation
    )
    case_a.refresh_from_db()
    assert case_a.work_discussed_on is None
    own = run_session(client_for(behandelaar_a), case_a, {"financien": "helpt"})
    assert own.status == LeidraadStatus.AFGEROND
    case_a.refresh_from_db()
    assert case_a.work_discussed_on == timezone.localdate()
