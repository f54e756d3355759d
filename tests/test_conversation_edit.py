"""Editing a motivational conversation log: a save that lost the race keeps what was typed
(and, on a second save, what the other change did to fields this one left alone); a save
without a change stores nothing; a corrected log says why it no longer changes."""

from html import unescape
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import conversation_services as conversations
from cases.models import ChangeRecord, Conversation, MitiSelfAssessment, TimelineEntry
from consent import services as consent
from consent.models import AccessLogEntry

from .builders import make_case
from .test_conversations import SAME_DAY, detail_url, form_data, log_via_page

pytestmark = SAME_DAY

CONFLICT = "Niet opgeslagen: dit gesprek is intussen gewijzigd"
NOTHING_CHANGED = "Er was niets gewijzigd."
B_TEXT = "Tab B: bang dat werk te zwaar wordt"


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


class _FormValues(HTMLParser):
    """What a browser sends when the (only) POST form of a page is submitted as shown."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self.in_form = False
        self.textarea = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values[name] = attrs.get("value") or "on"
            else:
                self.values[name] = attrs.get("value") or ""
        elif tag == "textarea":
            self.textarea = name
            self.values[name] = ""
        elif tag == "select":
            self.select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.values[self.select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data


def form_values(html):
    parser = _FormValues()
    parser.feed(html)
    values = parser.values
    for name, value in values.items():
        # A textarea's first newline belongs to the markup, not to the value.
        values[name] = unescape(value[1:] if value.startswith("\n") else value)
    values.pop("csrfmiddlewaretoken", None)
    return values


def edit_url(case, conversation):
    return reverse("cases:conversation_edit", args=[case.pk, conversation.pk])


def open_tab(c, case, conversation):
    response = c.get(edit_url(case, conversation))
    assert response.status_code == 200
    return form_values(response.content.decode())


def messages_of(html):
    return unescape(html)


@pytest.fixture
def logged(client_for, behandelaar_a, case_a):
    return log_via_page(client_for(behandelaar_a), case_a)


# --- 1. A save that lost the race ------------------------------------------------------------


class TestConflict:
    def test_typed_text_is_kept_and_a_second_save_keeps_the_other_change(
        self, client_for, behandelaar_a, case_a, logged
    ):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        assert tab_a["importance"] == "6" and tab_b["version"] == "1"

        assert c.post(url, {**tab_a, "importance": "8"}).status_code == 302

        response = c.post(url, {**tab_b, "sustain_talk": B_TEXT})
        assert response.status_code == 200  # the form again, not a redirect
        html = messages_of(response.content.decode())
        assert CONFLICT in html
        assert "Het gaat om: Belang (0–10)." in html
        shown = form_values(response.content.decode())
        assert shown["sustain_talk"] == B_TEXT  # what B typed is not lost
        assert shown["importance"] == "8"  # B did not touch it: the stored value
        assert shown["version"] == "2"  # so that saving again is deliberate
        stored = Conversation.objects.get(pk=logged.pk)
        assert (stored.version, stored.importance) == (2, 8)
        assert stored.sustain_talk != B_TEXT  # nothing of B stored yet
        assert not ChangeRecord.objects.filter(new_value=B_TEXT).exists()

        response = c.post(url, shown)
        assert response.status_code == 302
        stored.refresh_from_db()
        assert (stored.version, stored.sustain_talk, stored.importance) == (3, B_TEXT, 8)
        fields = list(
            ChangeRecord.objects.filter(object_id=logged.pk)
            .order_by("pk")
            .values_list("field", flat=True)
        )
        assert fields == ["importance", "sustain_talk"]  # A's change is not reverted

    def test_a_field_both_changed_shows_the_typed_value_and_names_the_stored_one(
        self, client_for, behandelaar_a, case_a, logged
    ):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        c.post(url, {**tab_a, "importance": "8", "summary": "Samenvatting van A"})
        response = c.post(url, {**tab_b, "importance": "2"})
        assert response.status_code == 200
        html = messages_of(response.content.decode())
        assert "Het gaat om: Belang (0–10) (nu: 8), Samenvatting." in html
        shown = form_values(response.content.decode())
        assert (shown["importance"], shown["summary"]) == ("2", "Samenvatting van A")
        assert c.post(url, shown).status_code == 302
        stored = Conversation.objects.get(pk=logged.pk)
        assert (stored.importance, stored.summary, stored.version) == (2, "Samenvatting van A", 3)

    def test_change_talk_rows_merge_per_kind(self, client_for, behandelaar_a, case_a, logged):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        c.post(url, {**tab_a, "talk_need": "on", "quote_need": "Ik moet wel"})
        response = c.post(url, {**tab_b, "quote_desire": "Ik wil graag weer werken"})
        assert response.status_code == 200
        assert "Het gaat om: Gehoorde verandertaal." in messages_of(response.content.decode())
        shown = form_values(response.content.decode())
        assert shown["quote_desire"] == "Ik wil graag weer werken"
        assert (shown.get("talk_need"), shown["quote_need"]) == ("on", "Ik moet wel")
        assert c.post(url, shown).status_code == 302
        talk = dict(Conversation.objects.get(pk=logged.pk).change_talk.values_list("kind", "quote"))
        assert talk == {
            "desire": "Ik wil graag weer werken",
            "reasons": "",
            "need": "Ik moet wel",
        }

    def test_nothing_changed_in_the_stale_tab_saves_nothing_and_loses_nothing(
        self, client_for, behandelaar_a, case_a, logged
    ):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        c.post(url, {**tab_a, "importance": "8"})
        response = c.post(url, tab_b, follow=True)
        assert response.redirect_chain[-1][0] == detail_url(case_a, logged)
        assert NOTHING_CHANGED in response.content.decode()
        stored = Conversation.objects.get(pk=logged.pk)
        assert (stored.importance, stored.version) == (8, 2)

    def test_the_same_change_twice_is_stored_once(self, client_for, behandelaar_a, case_a, logged):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        c.post(url, {**tab_a, "importance": "8"})
        # Not byte for byte what A sent (that is a repeat, portal.middleware), same values.
        response = c.post(url, {**tab_b, "importance": " 8"}, follow=True)
        assert response.redirect_chain[-1][0] == detail_url(case_a, logged)
        assert "stond intussen al zo opgeslagen" in response.content.decode()
        assert Conversation.objects.get(pk=logged.pk).version == 2
        assert ChangeRecord.objects.filter(object_id=logged.pk).count() == 1

    def test_a_form_without_its_loaded_values_keeps_all_that_was_typed(
        self, client_for, behandelaar_a, case_a, logged
    ):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        c.post(url, {**tab_a, "importance": "8"})
        del tab_b["loaded"]
        response = c.post(url, {**tab_b, "sustain_talk": B_TEXT})
        assert response.status_code == 200
        html = messages_of(response.content.decode())
        assert CONFLICT in html and "Anders dan wat u invulde:" in html
        shown = form_values(response.content.decode())
        assert (shown["sustain_talk"], shown["version"]) == (B_TEXT, "2")
        assert Conversation.objects.get(pk=logged.pk).sustain_talk != B_TEXT

    def test_a_forged_loaded_value_is_ignored(self, client_for, behandelaar_a, case_a, logged):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        c.post(url, {**tab_a, "importance": "8"})
        response = c.post(url, {**tab_b, "sustain_talk": B_TEXT, "loaded": "nep"})
        assert response.status_code == 200
        assert "Anders dan wat u invulde:" in messages_of(response.content.decode())


# --- 2. A save without a change ----------------------------------------------------------------


class TestNothingChanged:
    def test_stores_nothing_and_says_so(self, client_for, behandelaar_a, case_a, logged):
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        timeline = TimelineEntry.objects.filter(case=case_a).count()
        assessment = MitiSelfAssessment.objects.get(conversation=logged)
        response = c.post(url, open_tab(c, case_a, logged), follow=True)
        assert response.redirect_chain[-1][0] == detail_url(case_a, logged)
        html = response.content.decode()
        assert NOTHING_CHANGED in html and "Gesprek bijgewerkt." not in html
        stored = Conversation.objects.get(pk=logged.pk)
        assert stored.version == 1
        assert not ChangeRecord.objects.filter(object_id=logged.pk).exists()
        assert TimelineEntry.objects.filter(case=case_a).count() == timeline
        assert not TimelineEntry.objects.filter(case=case_a, title__contains="aangepast").exists()
        assert not AccessLogEntry.objects.filter(
            action="update", object_type="motiverend-gesprek"
        ).exists()
        assert MitiSelfAssessment.objects.get(conversation=logged).pk == assessment.pk
        assert set(stored.change_talk.values_list("kind", flat=True)) == {"desire", "reasons"}

    def test_a_real_change_is_still_saved_logged_and_on_the_timeline(
        self, client_for, behandelaar_a, case_a, logged
    ):
        c = client_for(behandelaar_a)
        response = c.post(
            edit_url(case_a, logged), {**open_tab(c, case_a, logged), "discord": "Even boos"}
        )
        assert response.status_code == 302
        assert Conversation.objects.get(pk=logged.pk).version == 2
        assert TimelineEntry.objects.filter(case=case_a, title__contains="aangepast").count() == 1
        assert AccessLogEntry.objects.filter(
            action="update", object_type="motiverend-gesprek", object_id=str(logged.pk)
        ).exists()

    def test_the_service_returns_none_without_a_change(self, behandelaar_a, case_a, logged):
        access = consent.case_access(behandelaar_a, case_a)
        stored = Conversation.objects.get(pk=logged.pk)

        class Form:
            cleaned_data = {"version": stored.version}

        result = conversations.edit_conversation(
            access,
            stored,
            Form(),
            {n: getattr(stored, n) for n in conversations.FIELDS},
            dict(stored.change_talk.values_list("kind", "quote")),
            miti=conversations._miti_of(MitiSelfAssessment.objects.get(conversation=stored)),
        )
        assert result == (None, False)
        assert Conversation.objects.get(pk=logged.pk).version == 1

    def test_the_self_assessment_alone_is_saved_but_is_no_change_to_the_clients_file(
        self, client_for, behandelaar_a, case_a, logged
    ):
        """The MITI self-assessment rates the professional's own technique: changing only
        it makes no 'aangepast' entry the team reads, no history, no access-log update of
        the client's conversation; it is stored, and a new version refuses an older tab."""
        c = client_for(behandelaar_a)
        older_tab = open_tab(c, case_a, logged)
        timeline = TimelineEntry.objects.filter(case=case_a).count()
        tab = open_tab(c, case_a, logged)
        response = c.post(edit_url(case_a, logged), {**tab, "empathy": "2"}, follow=True)
        assert "Gesprek bijgewerkt." in response.content.decode()
        assert MitiSelfAssessment.objects.get(conversation=logged).empathy == 2
        stored = Conversation.objects.get(pk=logged.pk)
        assert stored.version == 2
        assert TimelineEntry.objects.filter(case=case_a).count() == timeline
        assert not ChangeRecord.objects.filter(object_id=logged.pk).exists()
        assert not AccessLogEntry.objects.filter(
            action="update", object_type="motiverend-gesprek"
        ).exists()
        # The older tab's save is refused (shown again), not stored over it.
        again = c.post(edit_url(case_a, logged), {**older_tab, "partnership": "1"})
        assert again.status_code == 200 and "message-error" in again.content.decode()
        assert MitiSelfAssessment.objects.get(conversation=logged).partnership == 4
        # With the client's data too: one entry, logged.
        c.post(edit_url(case_a, logged), {**open_tab(c, case_a, logged), "discord": "Boos"})
        assert TimelineEntry.objects.filter(case=case_a).count() == timeline + 1
        assert AccessLogEntry.objects.filter(
            action="update", object_type="motiverend-gesprek"
        ).exists()


# --- 3. A corrected log ----------------------------------------------------------------------


class TestCorrected:
    def correct(self, c, case, original):
        url = reverse("cases:conversation_correct", args=[case.pk, original.pk])
        response = c.post(url, form_data(correction_reason="Belang verkeerd overgenomen."))
        assert response.status_code == 302
        return Conversation.objects.get(corrects=original)

    def test_editing_a_corrected_log_gives_the_real_reason(
        self, client_for, behandelaar_a, case_a, logged
    ):
        c = client_for(behandelaar_a)
        self.correct(c, case_a, logged)
        for response in (
            c.get(edit_url(case_a, logged), follow=True),
            c.post(edit_url(case_a, logged), form_data(version="1"), follow=True),
        ):
            assert response.redirect_chain[-1][0] == detail_url(case_a, logged)
            html = response.content.decode()
            assert "Dit gesprek is gecorrigeerd" in html
            assert "meer dan 7 dagen" not in html
            assert "Naar de correctie" in html  # the way to the correction is on the page
        assert Conversation.objects.get(pk=logged.pk).version == 1

    def test_the_service_gives_the_same_reason(self, behandelaar_a, client_for, case_a, logged):
        self.correct(client_for(behandelaar_a), case_a, logged)
        access = consent.case_access(behandelaar_a, case_a)
        with pytest.raises(ValidationError) as refused:
            conversations.edit_conversation(
                access, logged, None, {n: getattr(logged, n) for n in conversations.FIELDS}, {}
            )
        assert refused.value.messages == [str(conversations.CORRECTED_MESSAGE)]

    def test_the_correction_itself_can_be_edited(self, client_for, behandelaar_a, case_a, logged):
        c = client_for(behandelaar_a)
        correction = self.correct(c, case_a, logged)
        assert c.get(edit_url(case_a, correction)).status_code == 200


# --- From the review ---------------------------------------------------------------------------


class TestReview:
    def test_a_form_without_its_loaded_values_stays_so_after_a_refused_save(
        self, client_for, behandelaar_a, case_a, logged
    ):
        """A form opened before the loaded values were carried, refused once for a typing
        error, was given values loaded from what was stored by then: its old Belang then
        counted as the user's change and undid the other window's, unnamed."""
        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab_a, tab_b = open_tab(c, case_a, logged), open_tab(c, case_a, logged)
        del tab_b["loaded"]
        assert c.post(url, {**tab_a, "importance": "8"}).status_code == 302
        refused = c.post(url, {**tab_b, "importance": "99"})
        assert refused.status_code == 200
        again = form_values(refused.content.decode())
        assert not again.get("loaded")  # still not known what it was loaded with
        response = c.post(url, {**again, "importance": "6"})
        assert response.status_code == 200
        html = messages_of(response.content.decode())
        assert CONFLICT in html and "Belang" in html  # named, not silently undone
        assert Conversation.objects.get(pk=logged.pk).importance == 8

    def test_a_closed_cases_log_is_not_edited(self, client_for, behandelaar_a, case_a, logged):
        from cases import services

        c = client_for(behandelaar_a)
        url = edit_url(case_a, logged)
        tab = open_tab(c, case_a, logged)
        services.close_case(behandelaar_a, case_a)
        response = c.post(url, {**tab, "sustain_talk": B_TEXT}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case_a.pk])
        assert "gesloten" in response.content.decode()
        assert Conversation.objects.get(pk=logged.pk).sustain_talk != B_TEXT
        assert c.get(url).status_code == 302
