"""Fixes in the gespreksleidraad found by exploratory testing: a correction on a closed case,
one open session per case *and organisation*, the access-log entry for 'werk besproken' when
a session is finished, a new summary PDF on every request, and the beheer upload (a NUL
character, JSON syntax errors in Dutch, a file with a byte-order mark)."""

import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases import leidraad_content as content
from cases import leidraad_services as leidraad
from cases import services as case_services
from cases.constants import CaseRole, CaseStatus, LeidraadStatus
from cases.models import Case, LeidraadCorrection, LeidraadSession, LeidraadVersion
from consent import services as consent
from consent.constants import Action, Basis, Category
from consent.models import AccessLogEntry
from portal.models import Report

from .builders import make_case
from .test_leidraad import SAME_DAY, detail_url, run_session, start

CLOSED = str(case_services.CASE_CLOSED_MESSAGE)
BEHEER_URL = reverse("cases:leidraad_beheer")


@pytest.fixture(autouse=True)
def guide(db):
    return leidraad.ensure_bundled()


@pytest.fixture
def case_a(behandelaar_a):
    return make_case(behandelaar_a, first_name="Eva", last_name="Jansen")


def close(case):
    """Close ``case`` straight in the database (the close view has rules of its own)."""
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.GESLOTEN, closed_at=timezone.now())


def fresh_token():
    """The one-time token of a freshly rendered form ({% submit_once %})."""
    return str(uuid.uuid4())


def correction_url(case, session):
    return reverse("cases:leidraad_correction", args=[case.pk, session.pk])


# --- F1: a correction on a closed case --------------------------------------------------------


def test_a_closed_case_takes_no_correction_of_a_session(client_for, behandelaar_a, case_a):
    """The behandelaar of a closed case posted a correction to a finished session (the page
    no longer offers it, but the form was still open in a tab): it was stored, with a
    timeline entry, although a closed case takes nothing new. Now it is refused with the
    closed-case message and nothing is stored or logged as created."""
    c = client_for(behandelaar_a)
    session = run_session(c, case_a, {"financien": "helpt"})
    assert session.status == LeidraadStatus.AFGEROND
    close(case_a)
    response = c.post(
        correction_url(case_a, session), {"body": "Aanvulling na sluiten"}, follow=True
    )
    assert CLOSED in response.content.decode()
    assert not LeidraadCorrection.objects.exists()
    assert not AccessLogEntry.objects.filter(object_type="leidraadcorrectie").exists()
    # The form itself is not shown on a closed case either.
    page = c.get(correction_url(case_a, session), follow=True)
    assert page.redirect_chain[-1][0] == reverse("cases:detail", args=[case_a.pk])


def test_add_correction_refuses_a_case_closed_meanwhile(behandelaar_a, case_a):
    """The view checked an open case, then the case was closed before the correction was
    stored: the service refuses too, going by the case as stored."""
    session = LeidraadSession.objects.create(
        case=case_a,
        organisation=behandelaar_a.organisation,
        guide=leidraad.current_version(),
        started_by=behandelaar_a,
        status=LeidraadStatus.AFGEROND,
        finished_at=timezone.now(),
        finished_by=behandelaar_a,
    )
    access = consent.case_access(behandelaar_a, case_a)
    close(case_a)  # access.case still reads as open
    with pytest.raises(ValidationError) as exc:
        leidraad.add_correction(access, session, "Te laat")
    assert exc.value.messages == [CLOSED]
    assert not LeidraadCorrection.objects.exists()


# --- F3: one open session per case and organisation -------------------------------------------


def test_another_ggz_on_the_team_starts_its_own_session(
    client_for, behandelaar_a, outsider, case_a
):
    """A behandelaar of GGZ B on the team pressed 'Gesprek over werk starten' while GGZ A
    had a session open: they were told a conversation was already running (GGZ A's, which
    they may not read) and sent to it, a 404. Now they get a session of their own, and
    learn nothing of GGZ A's."""
    consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
    theirs = start(client_for(behandelaar_a), case_a)
    c = client_for(outsider)
    page = c.get(reverse("cases:detail", args=[case_a.pk])).content.decode()
    assert "Gesprek over werk starten" in page
    response = c.post(reverse("cases:leidraad_start", args=[case_a.pk]), follow=True)
    assert response.status_code == 200
    own = LeidraadSession.objects.get(
        case=case_a, organisation=outsider.organisation, status=LeidraadStatus.BEZIG
    )
    assert response.redirect_chain[-1][0] == reverse(
        "cases:leidraad_step", args=[case_a.pk, own.pk, 1]
    )
    html = response.content.decode()
    assert "Er loopt al een gesprek" not in html and detail_url(case_a, theirs) not in html
    assert not AccessLogEntry.objects.filter(
        object_type="leidraadsessie", object_id=str(theirs.pk), user=outsider
    ).exists()
    # GGZ A's session runs on, untouched.
    theirs.refresh_from_db()
    assert theirs.status == LeidraadStatus.BEZIG


def test_starting_again_continues_the_own_organisations_open_session(
    client_for, behandelaar_a, behandelaar_a2, outsider, case_a
):
    """Within one organisation the rule stays: a colleague who starts while a session of
    their organisation runs continues that one, whatever another organisation has open."""
    consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
    consent.add_member(case_a, behandelaar_a2, CaseRole.BEHANDELAAR)
    start(client_for(outsider), case_a)
    first = start(client_for(behandelaar_a), case_a)
    response = client_for(behandelaar_a2).post(reverse("cases:leidraad_start", args=[case_a.pk]))
    assert response["Location"] == detail_url(case_a, first)
    assert LeidraadSession.objects.filter(case=case_a, status=LeidraadStatus.BEZIG).count() == 2


def test_the_database_holds_one_open_session_per_case_and_organisation(
    behandelaar_a, outsider, case_a
):
    """The constraint follows the rule: a second open session of the same organisation is
    refused, one of another organisation is not."""

    def open_session(user):
        return LeidraadSession.objects.create(
            case=case_a,
            organisation=user.organisation,
            guide=leidraad.current_version(),
            started_by=user,
        )

    open_session(behandelaar_a)
    open_session(outsider)
    with pytest.raises(IntegrityError), transaction.atomic():
        open_session(behandelaar_a)


# --- F4: finishing a session logs the change of 'werk besproken' -------------------------------


@SAME_DAY
def test_finishing_a_session_logs_the_change_of_work_discussed(client_for, behandelaar_a, case_a):
    """Finishing a session set the case's 'werk besproken' (its organisation's afspraken &
    doelen) without an access-log entry for that change (NEN 7513). Now it is logged as the
    'werk besproken' form logs it; a second session the same day changes nothing and logs
    nothing more."""
    run_session(client_for(behandelaar_a), case_a, {"financien": "helpt"})
    case_a.refresh_from_db()
    assert case_a.work_discussed_on == timezone.localdate()
    entries = AccessLogEntry.objects.filter(
        case=case_a, object_type="casus", category=Category.AFSPRAKEN, action=Action.UPDATE
    )
    entry = entries.get()
    assert (entry.object_id, entry.user, entry.basis) == (
        str(case_a.pk),
        behandelaar_a,
        Basis.EIGEN_ORGANISATIE,
    )
    run_session(client_for(behandelaar_a), case_a, {"financien": "helpt"})
    assert entries.count() == 1


def test_another_organisations_session_logs_no_change_of_the_case(
    client_for, behandelaar_a, outsider, case_a
):
    """A session of another organisation on the team leaves the case's 'werk besproken'
    alone, so no change of it is logged either."""
    consent.add_member(case_a, outsider, CaseRole.BEHANDELAAR)
    session = run_session(client_for(outsider), case_a, {"financien": "helpt"})
    assert session.status == LeidraadStatus.AFGEROND
    assert not AccessLogEntry.objects.filter(
        case=case_a, object_type="casus", category=Category.AFSPRAKEN, action=Action.UPDATE
    ).exists()


# --- F5: a new summary PDF on every request ----------------------------------------------------


def test_a_summary_pdf_requested_again_is_made_anew(client_for, behandelaar_a, case_a):
    """The behandelaar printed the summary, added a correction and asked for the PDF again
    (a fresh form, the same empty content): they were told they had already sent this form
    and got the first PDF, without the correction. Now each request makes a report of the
    data as they are now; a double click on one form still makes one."""
    c = client_for(behandelaar_a)
    session = run_session(c, case_a, {"financien": "helpt"})
    url = reverse("cases:leidraad_summary_report", args=[case_a.pk, session.pk])
    token = fresh_token()
    assert c.post(url, {"submission": token}).status_code == 302
    c.post(url, {"submission": token})  # the same form sent twice: a double click
    assert Report.objects.count() == 1
    response = c.post(
        correction_url(case_a, session),
        {"body": "Afspraak verschoven", "submission": fresh_token()},
    )
    assert response.status_code == 302
    response = c.post(url, {"submission": fresh_token()})
    assert Report.objects.count() == 2
    assert response["Location"] == reverse(
        "portal:report_detail", args=[Report.objects.latest("pk").pk]
    )


# --- F6/F7/F8: the beheer upload ----------------------------------------------------------------


def test_a_nul_character_in_the_content_is_refused_in_dutch(client_for, beheerder_a):
    """Content with a NUL character (\\u0000) passed the check and crashed on publishing
    (the database stores no NUL): a server error. Now the check names the field."""
    data = content.load_bundled()
    data["themes"][0]["questions"][1] = "Waar bent u \u0000 goed in?"
    with pytest.raises(ValidationError) as exc:
        content.validate(data)
    assert any("Thema 1 (krachten) vraag 2" in m and "NUL" in m for m in exc.value.messages)
    data = content.load_bundled()
    data["title"] += " \u0000x"
    response = client_for(beheerder_a).post(
        BEHEER_URL, {"text": json.dumps(data), "note": "nul", "action": "publiceren"}
    )
    assert response.status_code == 200
    assert "Titel: bevat het teken NUL" in response.content.decode()
    assert LeidraadVersion.objects.count() == 1


@pytest.mark.parametrize(
    "text, where",
    [
        ("{title: 1}", "regel 1, kolom 2"),
        ('{"title": "x",\n "steps": [1, 2,]}', "regel 2, kolom 17"),
        ('{"title": "x" "steps": []}', "regel 1, kolom 15"),
        ('{"title": "x}', "regel 1, kolom 11"),
        ('{"title": "x"} extra', "regel 1, kolom 16"),
    ],
)
def test_a_json_syntax_error_is_explained_in_dutch(text, where):
    """A JSON syntax error on the beheer page read 'Dit is geen geldige JSON (regel 1,
    kolom 2): Expecting property name enclosed in double quotes', half English. Now the
    whole message is Dutch, with where the error is."""
    with pytest.raises(ValidationError) as exc:
        content.parse(text)
    (message,) = exc.value.messages
    assert message.startswith(f"Dit is geen geldige JSON ({where})")
    for english in ("Expecting", "delimiter", "Unterminated", "Extra data", "double quotes"):
        assert english not in message


def test_a_json_syntax_error_on_the_beheer_page_is_dutch(client_for, beheerder_a):
    response = client_for(beheerder_a).post(
        BEHEER_URL, {"text": "{title: 1}", "note": "x", "action": "controleren"}
    )
    html = response.content.decode()
    assert "Dit is geen geldige JSON (regel 1, kolom 2)" in html
    assert "Expecting" not in html


def test_a_utf8_file_with_a_byte_order_mark_is_accepted(client_for, beheerder_a):
    """A valid file saved as 'UTF-8 met BOM' (as Windows Kladblok does) was refused with
    'Unexpected UTF-8 BOM (decode using utf-8-sig)'. Now it is read like any UTF-8 file,
    and so is pasted text that starts with the mark."""
    data = content.load_bundled()
    data["title"] += " (met BOM)"
    raw = "\ufeff".encode() + json.dumps(data, ensure_ascii=False).encode()
    c = client_for(beheerder_a)
    response = c.post(
        BEHEER_URL,
        {
            "upload": SimpleUploadedFile("leidraad.json", raw, content_type="application/json"),
            "note": "bom",
            "action": "publiceren",
        },
    )
    assert response.status_code == 302
    assert LeidraadVersion.objects.get(number=2).title.endswith("(met BOM)")
    data["title"] += " geplakt"
    pasted = "\ufeff" + json.dumps(data, ensure_ascii=False)
    response = c.post(BEHEER_URL, {"text": pasted, "note": "bom", "action": "controleren"})
    assert "Controle geslaagd" in response.content.decode()


def test_a_theme_key_with_a_trailing_line_break_is_refused():
    """The key's pattern ended in "$", which also matches before a final line break: "ab\\n"
    passed as a key, and would have been stored as one."""
    data = content.load_bundled()
    data["themes"][0]["key"] = "krachten\n"
    with pytest.raises(ValidationError) as exc:
        content.validate(data)
    assert any("Thema 1" in m and "sleutel" in m for m in exc.value.messages)
