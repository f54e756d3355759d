"""Gespreksleidraad: two windows (or two colleagues) on the same session, and what counts as
a discussed theme. A save that lost the race comes back with the stored value wherever the
user changed nothing and their own value wherever they did, so that saving again as told
never puts an old value back over a newer one; the message names what changed meanwhile.
A theme with notes and no judgement was discussed: the timeline entry (and so the
voortgangsrapportage), the session list and the trend say so, as the summary does."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cases import leidraad_services as leidraad
from cases import reports as case_reports
from cases.constants import TimelineKind
from cases.models import TimelineEntry
from consent import services as consent
from portal.models import Report, ReportType

from .builders import make_case
from .test_leidraad import detail_url, run_session, start, step_url

FINANCIEN, STRESS, GRIP = "Geld en inkomen", "Spanning en belasting", "Grip op uw situatie"


@pytest.fixture(autouse=True)
def guide(db):
    return leidraad.ensure_bundled()


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


class _Forms(HTMLParser):
    """What a browser would post from each form with method post on the page: hidden
    inputs, textareas, checked radios and boxes. No submit button."""

    def __init__(self):
        super().__init__()
        self.forms, self._textarea = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({} if attrs.get("method") == "post" else None)
        data = self.forms[-1] if self.forms else None
        if data is None:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in attrs:
                    data.setdefault(attrs["name"], []).append(attrs.get("value", "on"))
            elif kind != "submit":
                data[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            data[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def posted(response):
    """The step's form (the one with the session's version) as the browser sends it back."""
    assert response.status_code == 200
    page = _Forms()
    page.feed(response.content.decode())
    (form,) = [f for f in page.forms if f and "version" in f]
    data = {}
    for name, value in form.items():
        if isinstance(value, list) and name != "themes":
            (value,) = value
        data[name] = value
    return data


def lf(text):
    return text.replace("\r\n", "\n")


def errors_of(response):
    form = response.context["form"]
    return " ".join(form.non_field_errors()), form


@pytest.fixture
def on_step_2(client_for, behandelaar_a, case_a):
    """A session on step 2 with three themes chosen, nothing noted yet."""
    c = client_for(behandelaar_a)
    session = start(c, case_a)
    c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["financien", "grip", "stress"]})
    return c, session


def notes(session):
    return {n.theme: (n.notes, n.judgement) for n in session.theme_notes.all()}


class TestTwoWindowsOnStep2:
    def test_saving_again_as_told_keeps_the_other_windows_text(self, on_step_2, case_a):
        c, session = on_step_2
        url = step_url(case_a, session, 2)
        tab_a, tab_b = posted(c.get(url)), posted(c.get(url))
        assert tab_a["version"] == tab_b["version"]
        # A: text and a judgement under 'Geld en inkomen', saved.
        tab_a.update(
            notes_financien="Schulden bij de zorgverzekeraar", judgement_financien="belemmert"
        )
        assert c.post(url, tab_a).status_code == 302
        # B, loaded before A saved: text under 'Spanning en belasting'. Refused, told why.
        typed = "Slaapt slecht\r\nsinds de reorganisatie"  # as a browser posts line ends
        tab_b["notes_stress"] = typed
        response = c.post(url, tab_b)
        assert response.status_code == 200
        assert notes(session)["stress"] == ("", "")  # nothing of B stored yet
        # B saves the form shown again, as the message says: both texts are kept.
        again = posted(response)
        assert c.post(url, again).status_code == 302
        stored = notes(session)
        assert stored["financien"] == ("Schulden bij de zorgverzekeraar", "belemmert")
        assert lf(stored["stress"][0]) == lf(typed)
        assert stored["grip"] == ("", "")
        # That form: on the version stored then, A's values where B changed nothing, B's
        # text where B typed; the message names what changed meanwhile.
        session.refresh_from_db()
        assert again["version"] == str(session.version - 1)
        assert again["notes_financien"] == "Schulden bij de zorgverzekeraar"
        assert again["judgement_financien"] == "belemmert"
        assert lf(again["notes_stress"]) == lf(typed)
        message, form = errors_of(response)
        assert "Niet opgeslagen: dit gesprek is intussen gewijzigd" in message
        assert f"Intussen gewijzigd: {FINANCIEN}." in message
        assert f"Wat u invulde bij {STRESS}, staat nog in het formulier" in message
        assert STRESS not in message.split("Wat u invulde")[0]  # not called changed by others
        assert not form.errors.get("notes_financien")  # nothing to choose there

    def test_a_theme_both_changed_keeps_the_typed_text_and_names_the_theme(self, on_step_2, case_a):
        c, session = on_step_2
        url = step_url(case_a, session, 2)
        tab_a, tab_b = posted(c.get(url)), posted(c.get(url))
        tab_a["notes_financien"] = "Tekst van venster A"
        assert c.post(url, tab_a).status_code == 302
        tab_b.update(notes_financien="Tekst van venster B", judgement_grip="helpt")
        response = c.post(url, tab_b)
        message, form = errors_of(response)
        assert f"Intussen gewijzigd: {FINANCIEN}." in message
        assert f"Bij {FINANCIEN} staat nu iets anders dan wat u invulde" in message
        assert f"Wat u invulde bij {FINANCIEN}, {GRIP}, staat nog in het formulier" in message
        # At the theme: what is stored now; in the field: what B typed.
        assert "Tekst van venster A" in " ".join(form.errors["notes_financien"])
        again = posted(response)
        assert again["notes_financien"] == "Tekst van venster B"
        assert again["judgement_grip"] == "helpt"
        assert notes(session)["financien"] == ("Tekst van venster A", "")  # not overwritten
        html = response.content.decode()
        assert 'aria-invalid="true"' in html and "Tekst van venster A" in html
        # Saving again after being told is B's deliberate choice.
        assert c.post(url, again).status_code == 302
        assert notes(session)["financien"] == ("Tekst van venster B", "")
        assert notes(session)["grip"] == ("", "helpt")

    def test_the_same_form_sent_twice_saves_once_and_says_nothing_is_lost(self, on_step_2, case_a):
        c, session = on_step_2
        url = step_url(case_a, session, 2)
        data = {**posted(c.get(url)), "notes_grip": "Wil weer structuur", "verder": "1"}
        assert c.post(url, data).status_code == 302
        response = c.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == step_url(case_a, session, 3)
        assert "Niets nieuws om op te slaan" in response.content.decode()
        assert notes(session)["grip"] == ("Wil weer structuur", "")

    def test_a_theme_chosen_meanwhile_comes_in_with_its_text(self, on_step_2, case_a):
        c, session = on_step_2
        url = step_url(case_a, session, 2)
        tab_b = posted(c.get(url))
        # Window A: chooses 'Steun van anderen' in step 1 and notes something there.
        step_1 = posted(c.get(step_url(case_a, session, 1)))
        step_1["themes"] = [*step_1["themes"], "steun"]
        assert c.post(step_url(case_a, session, 1), step_1).status_code == 302
        tab_a = posted(c.get(url))
        tab_a["notes_steun"] = "Zus helpt met de post"
        assert c.post(url, tab_a).status_code == 302
        tab_b["notes_grip"] = "Weinig regelmaat"
        response = c.post(url, tab_b)
        message, _form = errors_of(response)
        assert "Intussen gewijzigd: Steun van anderen." in message
        again = posted(response)
        assert again["notes_steun"] == "Zus helpt met de post"
        assert again["notes_grip"] == "Weinig regelmaat"
        assert c.post(url, again).status_code == 302
        assert notes(session)["steun"] == ("Zus helpt met de post", "")
        assert notes(session)["grip"] == ("Weinig regelmaat", "")

    def test_text_under_a_theme_taken_off_meanwhile_is_given_back(self, on_step_2, case_a):
        c, session = on_step_2
        url = step_url(case_a, session, 2)
        tab_b = posted(c.get(url))
        step_1 = posted(c.get(step_url(case_a, session, 1)))
        step_1["themes"] = ["financien", "grip"]  # 'Spanning en belasting' off (still empty)
        assert c.post(step_url(case_a, session, 1), step_1).status_code == 302
        tab_b["notes_stress"] = "Slaapt slecht"
        response = c.post(url, tab_b)
        message, _form = errors_of(response)
        assert f"{STRESS} is intussen niet meer gekozen (stap 1)" in message
        assert "“Slaapt slecht”" in message


class TestTwoWindowsOnStep1:
    def test_questions_from_one_window_and_themes_from_the_other_are_both_kept(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        url = step_url(case_a, session, 1)
        c.post(url, {"version": 1, "themes": ["grip"]})
        tab_a, tab_b = posted(c.get(url)), posted(c.get(url))
        tab_a["client_questions"] = "Wat gebeurt er met mijn uitkering?"
        assert c.post(url, tab_a).status_code == 302
        tab_b["themes"] = ["grip", "financien"]
        response = c.post(url, tab_b)
        message, _form = errors_of(response)
        assert "Intussen gewijzigd: Eigen vragen van de cliënt." in message
        assert "Wat u invulde bij Gekozen thema's, staat nog in het formulier" in message
        again = posted(response)
        assert again["client_questions"] == "Wat gebeurt er met mijn uitkering?"
        assert sorted(again["themes"]) == ["financien", "grip"]
        assert c.post(url, again).status_code == 302
        session.refresh_from_db()
        assert session.client_questions == "Wat gebeurt er met mijn uitkering?"
        assert sorted(session.theme_notes.values_list("theme", flat=True)) == ["financien", "grip"]

    def test_themes_chosen_in_two_windows_are_both_kept(self, client_for, behandelaar_a, case_a):
        """The reviewer's find: the second window's list replaced the first's, so saving
        again as told took off the theme a colleague had just chosen."""
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        url = step_url(case_a, session, 1)
        c.post(url, {"version": 1, "themes": ["financien"]})
        tab_a, tab_b = posted(c.get(url)), posted(c.get(url))
        tab_a["themes"] = ["financien", "grip"]
        assert c.post(url, tab_a).status_code == 302
        tab_b["themes"] = ["financien", "stress"]
        response = c.post(url, tab_b)
        message, _form = errors_of(response)
        assert "Intussen gewijzigd: Gekozen thema's." in message
        again = posted(response)
        assert sorted(again["themes"]) == ["financien", "grip", "stress"]
        assert c.post(url, again).status_code == 302
        themes = session.theme_notes.values_list("theme", flat=True)
        assert sorted(themes) == ["financien", "grip", "stress"]
        # And one taken off in the second window stays off, while the other's stays on.
        tab_a, tab_b = posted(c.get(url)), posted(c.get(url))
        tab_a["themes"] = ["financien", "grip", "stress", "steun"]
        assert c.post(url, tab_a).status_code == 302
        tab_b["themes"] = ["financien", "grip"]
        again = posted(c.post(url, tab_b))
        assert sorted(again["themes"]) == ["financien", "grip", "steun"]


class TestDiscussed:
    def test_a_theme_with_notes_and_no_judgement_counts_everywhere(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(
            step_url(case_a, session, 1),
            {"version": 1, "themes": ["financien", "grip", "stress", "steun"]},
        )
        session.refresh_from_db()
        c.post(
            step_url(case_a, session, 2),
            {
                "version": session.version,
                "notes_financien": "Schulden",
                "judgement_financien": "belemmert",
                "notes_grip": "Vaste dagstructuur helpt",
                "judgement_grip": "helpt",
                "notes_stress": "Slaapt slecht",  # no judgement: discussed all the same
                "notes_steun": "",  # nothing: not discussed
            },
        )
        c.post(
            step_url(case_a, session, 3),
            {"action": "verwijzen", "kind": "geen", "verwijzing-geen-reason": "Werkt al."},
        )
        session.refresh_from_db()
        c.post(step_url(case_a, session, 3), {"action": "afronden", "version": session.version})
        session.refresh_from_db()
        assert session.is_finished
        # The summary page: three themes.
        summary = c.get(reverse("cases:leidraad_summary", args=[case_a.pk, session.pk]))
        shown = [item["theme"]["title"] for item in summary.context["themes"]]
        assert shown == [FINANCIEN, GRIP, STRESS]
        # The timeline entry says the same.
        entry = TimelineEntry.objects.get(case=case_a, kind=TimelineKind.LEIDRAAD)
        assert entry.title.endswith("(3 thema's besproken)")
        assert entry.body.splitlines() == [
            f"{FINANCIEN}: Werk belemmert herstel",
            f"{GRIP}: Werk helpt bij herstel",
            f"{STRESS}: geen oordeel gekozen",
        ]
        # And so does the voortgangsrapportage, which shows the timeline.
        built = case_reports.build(
            Report(requested_by=behandelaar_a, case=case_a, type=ReportType.VOORTGANG)
        )
        (in_report,) = [e for e in built.context["entries"] if e.kind == TimelineKind.LEIDRAAD]
        assert in_report.title.endswith("(3 thema's besproken)")
        assert f"{STRESS}: geen oordeel gekozen" in in_report.body
        # The session list names the discussed themes, 'Steun van anderen' not.
        listed = c.get(reverse("cases:leidraad_list", args=[case_a.pk])).content.decode()
        assert f"{STRESS} (geen oordeel gekozen)" in listed
        assert f"{FINANCIEN} (werk belemmert herstel)" in listed
        assert "Steun van anderen" not in listed
        # The session page and the trend do not call it 'niet besproken'.
        page = c.get(detail_url(case_a, session)).content.decode()
        assert "Oordeel:</strong> geen oordeel gekozen" in page
        assert page.count("Oordeel:</strong> niet besproken") == 1  # 'Steun van anderen'

    def test_the_trend_tells_no_judgement_from_not_discussed(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        run_session(c, case_a, {"financien": "belemmert", "stress": "neutraal"})
        second = run_session(c, case_a, {"financien": "helpt", "stress": ""})
        case_a.refresh_from_db()  # the sessions were made by requests: as a new page reads it
        assert second.is_finished
        trend = leidraad.trend(
            list(leidraad.sessions_for(consent.case_access(behandelaar_a, case_a), case_a))
        )
        rows = {row["key"]: row for row in trend["rows"]}
        assert [cell["label"] for cell in rows["stress"]["cells"]] == [
            "Werk is neutraal",
            "geen oordeel gekozen",  # notes were made ('Notitie over stress')
        ]

    def test_finishing_without_any_judgement_says_what_is_missing(
        self, client_for, behandelaar_a, case_a
    ):
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        c.post(step_url(case_a, session, 1), {"version": 1, "themes": ["grip"]})
        session.refresh_from_db()
        c.post(step_url(case_a, session, 2), {"version": session.version, "notes_grip": "Iets"})
        session.refresh_from_db()
        response = c.post(
            step_url(case_a, session, 3),
            {"action": "afronden", "version": session.version},
            follow=True,
        )
        text = response.content.decode()
        assert "Er is nog bij geen enkel thema een oordeel gekozen" in text
        assert "nog geen thema besproken" not in text  # it was discussed
        session.refresh_from_db()
        assert not session.is_finished
