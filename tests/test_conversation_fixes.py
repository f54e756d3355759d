"""Motivational conversation logs: a closed case takes no correction of a log (and the log's
page no longer offers one), and change talk is shown in DARN-CAT order on every page and in
the voortgangsrapportage, whatever order it was recorded in."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from cases import conversation_services as conversations
from cases import services
from cases.constants import ChangeTalkKind
from cases.models import Conversation
from consent import services as consent
from portal import reports

from .builders import make_case
from .test_conversations import SAME_DAY, detail_url, form_data, log_direct, log_via_page
from .test_reports import _private_media, pdf_text, request_progress  # noqa: F401

pytestmark = SAME_DAY

CLOSED = str(services.CASE_CLOSED_MESSAGE)
CORRECTION_LINK = "Correctie vastleggen"


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def correct_url(case, conversation):
    return reverse("cases:conversation_correct", args=[case.pk, conversation.pk])


def correction_data():
    return form_data(correction_reason="De datum klopte niet", next_what=None)


# --- F2: a closed case takes no correction ----------------------------------------------------


class TestCorrectionOnAClosedCase:
    def test_the_log_offers_no_correction_once_the_case_is_closed(
        self, client_for, behandelaar_a, case_a
    ):
        """The log's page offered "Correctie vastleggen" on a closed case, a link to a form
        the case should no longer take."""
        c = client_for(behandelaar_a)
        logged = log_via_page(c, case_a)
        assert CORRECTION_LINK in c.get(detail_url(case_a, logged)).content.decode()
        services.close_case(behandelaar_a, case_a)
        html = c.get(detail_url(case_a, logged)).content.decode()
        assert CORRECTION_LINK not in html
        assert correct_url(case_a, logged) not in html

    def test_a_posted_correction_is_refused_with_the_closed_case_message(
        self, client_for, behandelaar_a, case_a
    ):
        """A correction posted after the case was closed (from a form opened before, or the
        link above) was stored: new client data on a closed case."""
        c = client_for(behandelaar_a)
        logged = log_via_page(c, case_a)
        url = correct_url(case_a, logged)
        assert c.get(url).status_code == 200  # the form, opened while the case is open
        services.close_case(behandelaar_a, case_a)
        response = c.post(url, correction_data(), follow=True)
        assert response.redirect_chain[-1][0] == reverse("cases:detail", args=[case_a.pk])
        assert escape(CLOSED) in response.content.decode()
        assert not Conversation.objects.filter(corrects=logged).exists()
        assert c.get(url).status_code == 302  # the form is not shown either

    def test_the_service_refuses_too(self, behandelaar_a, case_a):
        """Whoever calls correct_conversation on a closed case gets the same refusal."""
        original = log_direct(case_a, behandelaar_a)
        services.close_case(behandelaar_a, case_a)
        access = consent.case_access(behandelaar_a, case_a)
        data = {name: getattr(original, name) for name in conversations.FIELDS}
        with pytest.raises(ValidationError) as refused:
            conversations.correct_conversation(access, original, data, {}, "De datum klopte niet")
        assert refused.value.messages == [CLOSED]
        assert not Conversation.objects.filter(corrects=original).exists()


# --- F9: change talk in DARN-CAT order ----------------------------------------------------------

# Recorded the wrong way round: the database hands rows back as stored unless told otherwise.
# One word each: the PDF's table may break a longer quote over two lines.
RECORDED = {
    ChangeTalkKind.TAKING_STEPS: "Cv-af",
    ChangeTalkKind.ACTIVATION: "Bellen-kan",
    ChangeTalkKind.COMMITMENT: "Maandag-bellen",
    ChangeTalkKind.NEED: "Moet-eruit",
    ChangeTalkKind.DESIRE: "Wil-werken",
}
DARN_CAT = [kind for kind in ChangeTalkKind if kind in RECORDED]


def in_order(text, needles):
    """Whether each of ``needles`` occurs in ``text``, in that order."""
    positions = [text.find(needle) for needle in needles]
    return -1 not in positions and positions == sorted(positions)


def labels():
    return [str(kind.label) for kind in DARN_CAT]


class TestChangeTalkOrder:
    def test_the_list_shows_change_talk_in_darn_cat_order(self, client_for, behandelaar_a, case_a):
        """The list of a case's conversations showed change talk in the order it was
        recorded ("Stappen gezet …, Toezegging …"), not desire-to-taking-steps."""
        log_direct(case_a, behandelaar_a, talk=RECORDED)
        html = (
            client_for(behandelaar_a)
            .get(reverse("cases:conversation_list", args=[case_a.pk]))
            .content.decode()
        )
        cell = re.search(r"<td>([^<]*Stappen gezet[^<]*)</td>", html).group(1)
        assert in_order(cell, labels()), cell

    @pytest.mark.usefixtures("_private_media")
    def test_the_voortgangsrapportage_shows_change_talk_in_darn_cat_order(
        self, behandelaar_a, case_a
    ):
        """The PDF listed a conversation's change talk (with the client's words) in the
        order it was recorded."""
        log_direct(case_a, behandelaar_a, talk=RECORDED)
        report = request_progress(behandelaar_a, case_a)
        reports.render(report.pk)
        text = pdf_text(report)
        assert in_order(text, [RECORDED[kind] for kind in DARN_CAT]), text

    def test_the_log_and_the_case_page_keep_darn_cat_order(self, client_for, behandelaar_a, case_a):
        """The log's page and the case panel sorted change talk themselves; they now show it
        as Conversation.heard_change_talk orders it, still desire to taking steps."""
        logged = log_direct(case_a, behandelaar_a, talk=RECORDED)
        c = client_for(behandelaar_a)
        quotes = [escape(RECORDED[kind]) for kind in DARN_CAT]
        detail = c.get(detail_url(case_a, logged)).content.decode()
        assert in_order(detail, quotes)
        case_page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
        assert in_order(case_page, quotes)

    def test_heard_change_talk_is_in_darn_cat_order_without_a_query(
        self, behandelaar_a, case_a, django_assert_num_queries
    ):
        """The one place the order is given, for every page and report that shows it; it
        sorts what conversations_for prefetched."""
        log_direct(case_a, behandelaar_a, talk=RECORDED)
        (row,) = conversations.conversations_for(consent.case_access(behandelaar_a, case_a), case_a)
        with django_assert_num_queries(0):
            assert [talk.kind for talk in row.heard_change_talk] == DARN_CAT


class TestEditOnAClosedCase:
    def test_the_log_offers_no_edit_once_the_case_is_closed(
        self, client_for, behandelaar_a, case_a
    ):
        """Within its seven days the log's page still offered "Wijzigen" on a closed case,
        a form the edit view then refused."""
        c = client_for(behandelaar_a)
        logged = log_via_page(c, case_a)
        edit = reverse("cases:conversation_edit", args=[case_a.pk, logged.pk])
        assert edit in c.get(detail_url(case_a, logged)).content.decode()
        services.close_case(behandelaar_a, case_a)
        assert edit not in c.get(detail_url(case_a, logged)).content.decode()
