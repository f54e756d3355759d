"""Every form fuzzed with hypothesis (issue 9, "Security hardening"): strings with HTML and
script, SQL fragments, very long values, odd Unicode, null bytes, empty and missing values,
odd dates and numbers, ids of other objects. For every submission:

- no server error (the test client re-raises it) and no unexpected status;
- no input written out as markup, on the answer, the page it leads to, and - after a
  save - the pages that show what was stored (no stored script that later runs);
- nothing half-saved: either nothing changed and the page explains why (a form error or
  a message, never Django's English), or exactly what the valid submission changes;
- the access log stays consistent: the chain verifies, nothing is logged for anyone else,
  no denial for the user's own form, and a save logs what the valid save logs.

The forms come from the URL configuration (tests/test_security_routes.py: every view that
reads request.POST, request.FILES or request.GET): a new one fails
``test_every_form_is_fuzzed`` until it has an entry in FORMS below. Each entry holds a
valid submission; the fuzzer keeps it and replaces some of its fields (or drops them).

Every example runs in a savepoint that is rolled back, on one world built once for the
class (tests/test_security_routes.py), so examples are independent and reproducible;
generation is derandomized so a run finds the same things every time.
"""

import datetime
import json
import re
from dataclasses import dataclass, field

import pytest
from django.contrib import messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import leidraad_services as leidraad
from consent import services as consent
from consent.models import AccessLogEntry

from .builders import next_bsn
from .conftest import PASSWORD
from .html_checks import assert_errors_tied_to_fields
from .test_security_routes import (
    CANARY,
    PDF,
    PNG,
    ROUTES,
    changed_models,
    fingerprint,
    injected_markup,
    reads_input,
    world_in_transaction,
)

EXAMPLES = 25
LONG = 10_001  # longer than any field the product stores

# --- Hostile values --------------------------------------------------------------------------

NASTY = [
    # markup and script, in text, attributes and URLs
    f"<script>{CANARY}()</script>",
    f'"><img src=x onerror={CANARY}()>',
    f"' onmouseover='{CANARY}()' x='",
    f'" autofocus onfocus="{CANARY}()" x="',
    f"javascript:{CANARY}()",
    f"</textarea></title><{CANARY}>",
    f"<svg/onload={CANARY}()>",
    f"{{{{ {CANARY} }}}}{{% debug %}}",
    # SQL and pattern fragments
    "' OR '1'='1",
    "1; DROP TABLE cases_client; --",
    "%' UNION SELECT password FROM portal_user --",
    "%",
    "_",
    "\\",
    # empty, blank, control characters, null bytes
    "",
    " ",
    "\t\r\n",
    "\x00",
    "Eva\x00Jansen",
    "\x1b[31m\x07",
    # long and odd Unicode
    "A" * LONG,
    "é" * 2001,
    "💩" * 1000,
    "e\u0301" * 300,
    "\u202egnp.exe",
    "\ufeff\u200b\u200d",
    "Ω≈ç√∫ 𝕿𝖊𝖘𝖙 ﷺ",
    "İıŞşĞğ ß ǅ",
    # odd dates and times
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "31-12-2024",
    "2024-13-01",
    "1900-01-01",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2024-03-31T02:30",  # does not exist in Europe/Amsterdam
    # odd numbers and ids
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "Infinity",
    "99999999999999999999999",
    str(2**63),
    "1,5",
    "١٢",
    "１２",
    "¹",
    "²³",
    "¹¹¹¹¹¹¹¹¹",
    "٢٠٠٠٠٠٠٣٢",  # a valid BSN in Arabic-Indic digits
    " 12 ",
    "0x1F",
    "12.999999999999999999",
    "1 OR 1=1",
]


def hostile():
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates(min_value=datetime.date(1, 1, 1)).map(datetime.date.isoformat),
    )


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"

    def build(self):
        return SimpleUploadedFile(self.name, self.content, self.content_type)


def hostile_upload():
    names = st.one_of(
        st.sampled_from(
            [
                "../../etc/passwd",
                f"<script>{CANARY}</script>.pdf",
                "scan.pdf.exe",
                "a" * 300 + ".pdf",
                "leeg",
                "formulier.pdf\x00.png",
            ]
        ),
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00/\\"), max_size=30),
    ).filter(lambda name: name.rsplit("/", 1)[-1].strip() not in ("", ".", ".."))
    contents = st.one_of(
        st.sampled_from([b"", b"MZ\x90\x00", b"\x7fELF", PDF[:3], b"<html><script>x</script>"]),
        st.binary(max_size=64),
        st.just(PDF + b"\x00" * 64),
        st.just(PNG),
    )
    return st.builds(Upload, names, contents)


OMIT = object()


# --- The forms -------------------------------------------------------------------------------


def today(days=0):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Form:
    route: str
    user: str
    data: object  # world -> a valid submission
    kwargs: object = None  # world -> URL kwargs
    method: str = "POST"
    query: object = None  # world -> query string that stays fixed (POST forms)
    saves: bool = True  # the valid submission changes data
    optional: frozenset = frozenset()  # models a valid save may leave untouched
    statuses: frozenset = frozenset({200, 302})
    pages: object = None  # world -> pages that show what was saved
    extra: dict = field(default_factory=dict)  # field -> world -> extra hostile strategy
    # Hidden fields and button values: a page never lets the user change them, so a changed
    # one is tampering, and a silent refusal is enough.
    hidden: frozenset = frozenset({"version", "action", "kind", "verder", "knop"})


def case_kwargs(w):
    return {"pk": w.case.pk}


def case_pages(w):
    return [reverse("cases:detail", args=[w.case.pk])]


def trajectory_kwargs(w):
    return {"pk": w.case.pk, "trajectory_pk": w.trajectory.pk}


def trajectory_pages(w):
    return [reverse("ips:trajectory", args=[w.case.pk]), *case_pages(w)]


def session_kwargs(attribute, **more):
    return lambda w: {"pk": w.case.pk, "sid": getattr(w, attribute).pk, **more}


def session_pages(w):
    return [
        reverse("cases:leidraad_detail", args=[w.case.pk, w.session.pk]),
        reverse("cases:leidraad_detail", args=[w.case.pk, w.finished_session.pk]),
        reverse("cases:leidraad_summary", args=[w.case.pk, w.finished_session.pk]),
        *case_pages(w),
    ]


def consent_kwargs(w):
    return {"pk": w.consent.pk}


def conversation_kwargs(w):
    return {"pk": w.case.pk, "cid": w.conversation.pk}


def conversation_pages(w):
    return [
        reverse("cases:conversation_detail", args=[w.case.pk, w.conversation.pk]),
        reverse("cases:conversation_list", args=[w.case.pk]),
    ]


def conversation_data():
    return {
        "held_on": today(),
        "duration_minutes": "45",
        "participants": "Cliënt en behandelaar",
        "form": "persoonlijk",
        "target_behaviour": "werk_zoeken",
        "target_other": "",
        "stage": "contemplatie",
        "importance": "6",
        "confidence": "4",
        "talk_desire": "on",
        "quote_desire": "Ik wil weer iets doen",
        "sustain_talk": "Bang om de uitkering kwijt te raken",
        "discord": "",
        "summary": "Werk is belangrijk voor de cliënt",
        "zvw_funded": "on",
    }


def consent_data(w):
    return {
        "recipient": w.gemeente_g.pk,
        "purpose": "reintegratie",
        "categories": ["werksituatie", "identificatie"],
        "valid_from": today(),
        "valid_until": today(30),
        "method": "schriftelijk",
        "purpose_explained": "on",
    }


def contact_data(w):
    return {
        "contacted_on": today(),
        "employer": "Bakkerij De Korenschoof",
        "contact_person": "Jan Bakker",
        "type": "eerste_contact",
        "face_to_face": "on",
        "outcome": "Vacature besproken",
    }


def guide_with_title(title):
    content = dict(leidraad.current_version().content)
    content["themes"] = [dict(content["themes"][0], title=title), *content["themes"][1:]]
    return json.dumps(content, ensure_ascii=False)


def user_create_data(w):
    return {
        "email": "nieuw@a.test",
        "first_name": "Nina",
        "last_name": "Nieuw",
        "role": "trajectbegeleider",
    }


FIDELITY_CODES = ("p1", "p2")

FORMS = {
    # --- portal ------------------------------------------------------------------------------
    "portal:home": Form(
        "portal:home",
        "behandelaar_a",
        lambda w: {"q": "Eva", "status": "open", "role": "regiebehandelaar", "pagina": "1"},
        method="GET",
        saves=False,
    ),
    "portal:user_list": Form(
        "portal:user_list",
        "beheerder_a",
        lambda w: {"q": "Bea", "pagina": "1"},
        method="GET",
        saves=False,
    ),
    # The status page's poll says which status the page shows (a 204 while unchanged).
    "portal:report_detail": Form(
        "portal:report_detail",
        "behandelaar_a",
        lambda w: {"getoond": "bezig"},
        kwargs=lambda w: {"pk": w.report.pk},
        method="GET",
        saves=False,
    ),
    "portal:user_create": Form(
        "portal:user_create",
        "beheerder_a",
        user_create_data,
        pages=lambda w: [reverse("portal:user_list")],
    ),
    "portal:user_edit": Form(
        "portal:user_edit",
        "beheerder_a",
        lambda w: {
            "first_name": "Jan",
            "last_name": "Coach",
            "role": "behandelaar",
            "version": str(w.jobcoach_a.version),
        },
        kwargs=lambda w: {"pk": w.jobcoach_a.pk},
        pages=lambda w: [reverse("portal:user_list")],
    ),
    "portal:user_set_active": Form(
        "portal:user_set_active",
        "beheerder_a",
        lambda w: {"actief": "0"},
        kwargs=lambda w: {"pk": w.jobcoach_a.pk},
    ),
    "portal:user_reset_mfa": Form(
        "portal:user_reset_mfa",
        "beheerder_a",
        lambda w: {"knop": "1"},
        kwargs=lambda w: {"pk": w.jobcoach_a.pk},
        saves=False,  # jobcoach_a has no second factor yet
    ),
    # --- cases -------------------------------------------------------------------------------
    "cases:client_create": Form(
        "cases:client_create",
        "behandelaar_a",
        lambda w: {
            "first_name": "Piet",
            "last_name": "Puk",
            "date_of_birth": "1980-01-02",
            "bsn": w.fresh_bsn,
            "email": "piet@example.nl",
            "phone": "0612345678",
            "address": "Dorpsstraat 1, Havenstad",
        },
        pages=lambda w: [reverse("portal:home")],
    ),
    "cases:case_open": Form(
        "cases:case_open",
        "behandelaar_a",
        lambda w: {"bsn": w.closed_client.bsn},
        kwargs=lambda w: {"client_pk": w.closed_client.pk},
    ),
    "cases:timeline": Form(
        "cases:timeline",
        "behandelaar_a",
        lambda w: {"pagina": "1"},
        case_kwargs,
        "GET",
        saves=False,
    ),
    "cases:work_situation": Form(
        "cases:work_situation",
        "behandelaar_a",
        lambda w: {
            "kind": "betaald",
            "hours_per_week": "20",
            "benefit": "ww",
            "job_search_duty": "on",
            "job_search_exempt": "",
            "wish_to_work": "ja",
        },
        case_kwargs,
        pages=case_pages,
    ),
    "cases:work_discussed": Form(
        "cases:work_discussed",
        "behandelaar_a",
        lambda w: {
            "version": str(w.case.version),
            "discussed_on": today(),
            "work_is_goal": "on",
            "note": "Werk besproken",
        },
        case_kwargs,
        pages=case_pages,
    ),
    "cases:note_create": Form(
        "cases:note_create",
        "behandelaar_a",
        lambda w: {"category": "medisch", "title": "Consult", "body": "Het gaat beter."},
        case_kwargs,
        pages=case_pages,
    ),
    "cases:goal_create": Form(
        "cases:goal_create",
        "behandelaar_a",
        lambda w: {"domain": "maatschappelijk", "description": "Werk vinden"},
        case_kwargs,
        pages=case_pages,
    ),
    "cases:goal_status": Form(
        "cases:goal_status",
        "behandelaar_a",
        lambda w: {"version": str(w.goal.version), "status": "bereikt"},
        lambda w: {"pk": w.case.pk, "goal_pk": w.goal.pk},
        pages=case_pages,
        hidden=frozenset({"version", "status"}),  # one button per status
    ),
    "cases:agreement_create": Form(
        "cases:agreement_create",
        "behandelaar_a",
        lambda w: {"what": "Cv bijwerken", "owner": "Cliënt", "due_date": today(7)},
        case_kwargs,
        pages=case_pages,
    ),
    "cases:agreement_done": Form(
        "cases:agreement_done",
        "behandelaar_a",
        lambda w: {"version": str(w.agreement.version), "done": "on"},
        lambda w: {"pk": w.case.pk, "agreement_pk": w.agreement.pk},
        pages=case_pages,
    ),
    "cases:invite": Form(
        "cases:invite",
        "behandelaar_a",
        lambda w: {"email": w.adviseur_u.email, "case_role": "klantmanager", "reason": "Graag"},
        case_kwargs,
        pages=lambda w: [*case_pages(w), reverse("portal:home")],
    ),
    "cases:refer": Form(
        "cases:refer",
        "behandelaar_a",
        lambda w: {"target": "klantmanager", "organisation": str(w.uwv_u.pk), "reason": "Werk"},
        case_kwargs,
        pages=case_pages,
    ),
    "cases:leave": Form(
        "cases:leave",
        "behandelaar_a",
        lambda w: {"gebruiker": str(w.klantmanager_g.pk)},
        case_kwargs,
        # The value comes from a button on the team list; anything else is not a member.
        statuses=frozenset({200, 302, 404}),
        pages=case_pages,
    ),
    "cases:leave-confirm": Form(
        "cases:leave",
        "behandelaar_a",
        lambda w: {"gebruiker": str(w.klantmanager_g.pk)},
        case_kwargs,
        "GET",
        saves=False,
        # The page that asks first; a value that is no member of the team is a 404.
        statuses=frozenset({200, 404}),
        pages=case_pages,
    ),
    "cases:without_lead": Form(
        "cases:without_lead",
        "beheerder_a",
        lambda w: {"pagina": "1"},
        method="GET",
        saves=False,
    ),
    "cases:assign_lead": Form(
        "cases:assign_lead",
        "beheerder_a",
        lambda w: {"lead": str(w.behandelaar_a2.pk)},
        kwargs=lambda w: {"pk": w.orphan_case.pk},
        pages=lambda w: [reverse("cases:without_lead")],
    ),
    "cases:close": Form(
        "cases:close",
        "behandelaar_a2",
        lambda w: {"knop": "1"},
        # w.case has a running IPS trajectory, which keeps a case open.
        lambda w: {"pk": w.other_case.pk},
        pages=lambda w: [reverse("cases:detail", args=[w.other_case.pk])],
    ),
    "cases:driegesprek_plan": Form(
        "cases:driegesprek_plan",
        "behandelaar_a",
        lambda w: {
            "planned_at": today(7) + "T10:00",
            "location": "Gemeentehuis",
            "participants": "Cliënt, klantmanager",
        },
        case_kwargs,
        pages=case_pages,
    ),
    "cases:driegesprek_record": Form(
        "cases:driegesprek_record",
        "behandelaar_a",
        lambda w: {
            "version": str(w.meeting.version),
            "summary": "Goed gesprek",
            "what_1": "Vacatures bekijken",
            "owner_1": "Cliënt",
            "due_1": today(7),
        },
        lambda w: {"pk": w.case.pk, "meeting_pk": w.meeting.pk},
        optional=frozenset({"cases.Agreement"}),
        pages=case_pages,
    ),
    "cases:progress_report": Form(
        "cases:progress_report", "behandelaar_a", lambda w: {"knop": "1"}, case_kwargs
    ),
    "cases:respond": Form(
        "cases:respond",
        "behandelaar_a2",
        lambda w: {"accept": "1", "reason": ""},
        lambda w: {"invitation_pk": w.invitation.pk},
        pages=case_pages,
    ),
    # --- motiverende gesprekken --------------------------------------------------------------
    "cases:conversation_create": Form(
        "cases:conversation_create",
        "behandelaar_a",
        lambda w: {
            **conversation_data(),
            "next_what": "Vacatures bekijken",
            "next_owner": "Cliënt",
            "next_due": today(7),
            "questions": "17",
            "simple_reflections": "13",
            "complex_reflections": "11",
            "cultivating_change_talk": "4",
            "softening_sustain_talk": "3",
            "partnership": "4",
            "empathy": "5",
        },
        case_kwargs,
        # Without a next step no afspraak, without scores no self-assessment, without
        # change talk no rows of it.
        optional=frozenset({"cases.Agreement", "cases.MitiSelfAssessment", "cases.ChangeTalk"}),
        pages=case_pages,
    ),
    "cases:conversation_edit": Form(
        "cases:conversation_edit",
        "behandelaar_a",
        lambda w: {
            **conversation_data(),
            "version": str(w.conversation.version),
            "questions": "10",
            "simple_reflections": "5",
            "complex_reflections": "5",
            "cultivating_change_talk": "3",
            "softening_sustain_talk": "3",
            "partnership": "3",
            "empathy": "3",
        },
        conversation_kwargs,
        optional=frozenset({"cases.MitiSelfAssessment", "cases.ChangeTalk", "cases.TimelineEntry"}),
        pages=conversation_pages,
    ),
    "cases:conversation_correct": Form(
        "cases:conversation_correct",
        "behandelaar_a",
        lambda w: {**conversation_data(), "correction_reason": "Verkeerde datum"},
        conversation_kwargs,
        optional=frozenset({"cases.ChangeTalk"}),
        pages=conversation_pages,
    ),
    # --- gespreksleidraad --------------------------------------------------------------------
    "cases:leidraad_start": Form(
        "cases:leidraad_start",
        "behandelaar_a",
        lambda w: {"knop": "1"},
        case_kwargs,
        saves=False,  # a session is under way: it is resumed
    ),
    "cases:leidraad_step-1": Form(
        "cases:leidraad_step",
        "behandelaar_a",
        lambda w: {
            "version": str(w.session.version),
            "themes": w.theme_keys,
            "client_questions": "Wat gebeurt er met mijn uitkering?",
        },
        session_kwargs("session", step=1),
        pages=session_pages,
    ),
    "cases:leidraad_step-2": Form(
        "cases:leidraad_step",
        "behandelaar_a",
        lambda w: {
            "version": str(w.session.version),
            f"notes_{w.theme_keys[0]}": "Goed met mensen",
            f"judgement_{w.theme_keys[0]}": "helpt",
            f"notes_{w.theme_keys[1]}": "",
            f"judgement_{w.theme_keys[1]}": "belemmert",
            "verder": "1",
        },
        session_kwargs("session", step=2),
        pages=session_pages,
    ),
    "cases:leidraad_step-3-afspraken": Form(
        "cases:leidraad_step",
        "behandelaar_a",
        lambda w: {
            "action": "afspraken",
            "what_1": "Schuldhulp bellen",
            "owner_1": "Cliënt",
            "due_1": today(7),
        },
        session_kwargs("session", step=3),
        statuses=frozenset({200, 302, 404}),  # an unknown action is not a form of this page
        pages=session_pages,
    ),
    "cases:leidraad_step-3-verwijzen": Form(
        "cases:leidraad_step",
        "behandelaar_a",
        lambda w: {
            "action": "verwijzen",
            "kind": "extern",
            "verwijzing-extern-destination": "bedrijfsarts",
            "verwijzing-extern-reason": "Terugkeer naar eigen werk",
        },
        session_kwargs("session", step=3),
        statuses=frozenset({200, 302, 404}),  # an unknown action or kind: no such form
        pages=session_pages,
    ),
    "cases:leidraad_step-3-afronden": Form(
        "cases:leidraad_step",
        "behandelaar_a",
        lambda w: {"action": "afronden", "version": str(w.session.version)},
        session_kwargs("session", step=3),
        # The world's client already has IPS: finishing records that as the next step.
        statuses=frozenset({200, 302, 404}),
    ),
    "cases:leidraad_correction": Form(
        "cases:leidraad_correction",
        "behandelaar_a",
        lambda w: {"body": "Aanvulling: de cliënt werkt inmiddels 8 uur."},
        session_kwargs("finished_session"),
        pages=session_pages,
    ),
    "cases:leidraad_summary_report": Form(
        "cases:leidraad_summary_report",
        "behandelaar_a",
        lambda w: {"knop": "1"},
        session_kwargs("finished_session"),
    ),
    "cases:leidraad_beheer": Form(
        "cases:leidraad_beheer",
        "beheerder_a",
        lambda w: {
            "text": guide_with_title("Krachten en talenten (herzien)"),
            "note": "Titel herschreven",
            "action": "publiceren",
        },
        pages=lambda w: [
            reverse("cases:leidraad_beheer"),
            reverse("cases:leidraad_preparation_blank"),
        ],
        extra={"text": lambda w: hostile().map(guide_with_title)},
    ),
    "cases:leidraad_beheer-upload": Form(
        "cases:leidraad_beheer",
        "beheerder_a",
        lambda w: {
            "upload": Upload(
                "leidraad.json", guide_with_title("Sterke kanten").encode(), "application/json"
            ),
            "note": "Upload",
            "action": "controleren",
        },
        saves=False,  # checked and previewed, not yet published
    ),
    # --- consent -----------------------------------------------------------------------------
    "consent:create_for_case": Form(
        "consent:create_for_case",
        "behandelaar_a",
        consent_data,
        case_kwargs,
        pages=lambda w: [*case_pages(w), reverse("consent:help")],
    ),
    "consent:create_for_case-upload": Form(
        "consent:create_for_case",
        "behandelaar_a",
        lambda w: {
            **consent_data(w),
            "signed_form": Upload("scan.pdf", PDF, "application/pdf"),
            # A replacement is for the same recipient and purpose as the consent it replaces.
            "recipient": w.consent.recipient_id,
            "purpose": w.consent.purpose,
            "supersedes": str(w.consent.pk),
        },
        case_kwargs,
        optional=frozenset({"cases.TimelineEntry"}),
    ),
    "consent:form_add": Form(
        "consent:form_add",
        "behandelaar_a",
        lambda w: {"signed_form": Upload("scan.pdf", PDF, "application/pdf")},
        lambda w: {"pk": w.unsigned_consent.pk},
        pages=lambda w: [reverse("consent:detail", args=[w.unsigned_consent.pk]), *case_pages(w)],
    ),
    "consent:create_for_case-renew": Form(
        "consent:create_for_case",
        "behandelaar_a",
        lambda w: {"vervangt": str(w.consent.pk)},
        case_kwargs,
        method="GET",
        saves=False,
    ),
    "consent:withdraw": Form(
        "consent:withdraw",
        "behandelaar_a",
        lambda w: {"method": "schriftelijk", "withdrawn_on": today(), "reason": "Wil niet meer"},
        consent_kwargs,
        pages=lambda w: [reverse("consent:detail", args=[w.consent.pk]), *case_pages(w)],
    ),
    "consent:beheer_create": Form(
        "consent:beheer_create",
        "beheerder_a",
        consent_data,
        query=lambda w: {"client": str(w.case.client_id)},
        pages=lambda w: [reverse("consent:overview")],
    ),
    "consent:beheer_create-search": Form(
        "consent:beheer_create",
        "beheerder_a",
        lambda w: {"q": "Eva", "client": "", "vervangt": ""},
        method="GET",
        saves=False,
        statuses=frozenset({200, 404}),  # a client id of someone else's client: 404
    ),
    "consent:consent_report": Form(
        "consent:consent_report", "behandelaar_a", lambda w: {"knop": "1"}, consent_kwargs
    ),
    "consent:client_consents_report": Form(
        "consent:client_consents_report",
        "behandelaar_a",
        lambda w: {"knop": "1"},
        lambda w: {"client_pk": w.case.client_id},
    ),
    "consent:avg_inzage": Form(
        "consent:avg_inzage", "beheerder_a", lambda w: {"q": "Eva"}, method="GET", saves=False
    ),
    "consent:avg_inzage_request": Form(
        "consent:avg_inzage_request",
        "beheerder_a",
        # 'Anders' both times: their explanations are required then.
        lambda w: {
            "received_on": today(-2),
            "channel": "anders",
            "identity_check": "anders",
            "identity_note": "Bekend bij de regiebehandelaar",
            "note": "Gevraagd in het driegesprek",
        },
        lambda w: {"client_pk": w.case.client_id},
    ),
    "consent:overview": Form(
        "consent:overview",
        "beheerder_a",
        lambda w: {"status": "actief", "q": "Eva", "pagina": "1"},
        method="GET",
        saves=False,
    ),
    "consent:access_log": Form(
        "consent:access_log",
        "beheerder_a",
        lambda w: {
            "date_from": today(-30),
            "date_to": today(),
            "user": "behandelaar",
            "client": "Eva",
            "action": "read",
            "outcome": "toegestaan",
            "ouder_dan": "999999999",
        },
        method="GET",
        saves=False,
    ),
    # --- ips ---------------------------------------------------------------------------------
    "ips:phase_change": Form(
        "ips:phase_change",
        "jobcoach_a",
        lambda w: {
            "version": str(w.trajectory.version),
            "to_phase": "nazorg",
            "changed_on": today(),
            "note": "Gaat goed op het werk",
            "close_reason": "",
            "close_note": "",
        },
        trajectory_kwargs,
        pages=trajectory_pages,
    ),
    "ips:profile_edit": Form(
        "ips:profile_edit",
        "jobcoach_a",
        lambda w: {
            "version": str(w.trajectory.profile.version),
            "disclosure": "gedeeltelijk",
            "disclosure_note": "Alleen dat er ondersteuning is",
            "work_history": "Tien jaar in de zorg",
            "education": "MBO",
            "preferred_sectors": "Zorg",
            "preferred_hours": "24",
            "travel": "Fiets, 10 km",
            "strengths": "Geduldig",
            "barriers": "Drukte",
            "support_needed": "Vaste collega",
        },
        trajectory_kwargs,
        pages=trajectory_pages,
    ),
    "ips:contact_create": Form(
        "ips:contact_create", "jobcoach_a", contact_data, trajectory_kwargs, pages=trajectory_pages
    ),
    "ips:placement_create": Form(
        "ips:placement_create",
        "jobcoach_a",
        lambda w: {
            "employer": "Bakkerij De Korenschoof",
            "job_title": "Bakkersassistent",
            "start_date": today(),
            "hours_per_week": "20",
            "hourly_wage": "15.00",
            "contract_type": "bepaald",
            "competitive_override": "unknown",
            "override_reason": "",
        },
        trajectory_kwargs,
        optional=frozenset({"ips.PhaseChange", "ips.Trajectory"}),
        pages=trajectory_pages,
    ),
    "ips:placement_end": Form(
        "ips:placement_end",
        "jobcoach_a",
        lambda w: {
            "version": str(w.placement.version),
            "end_date": today(),
            "end_reason": "zelf_gestopt",
        },
        lambda w: {**trajectory_kwargs(w), "placement_pk": w.placement.pk},
        pages=trajectory_pages,
    ),
    "ips:follow_along_create": Form(
        "ips:follow_along_create",
        "jobcoach_a",
        lambda w: {
            "contacted_on": today(),
            "with_whom": "client",
            "placement": str(w.placement.pk),
            "note": "Gaat goed",
        },
        trajectory_kwargs,
        pages=trajectory_pages,
    ),
    "ips:contacts": Form(
        "ips:contacts",
        "jobcoach_a",
        contact_data,
        pages=lambda w: [reverse("ips:contacts")],
    ),
    "ips:contacts-page": Form(
        "ips:contacts", "jobcoach_a", lambda w: {"pagina": "2"}, method="GET", saves=False
    ),
    "ips:results": Form(
        "ips:results",
        "jobcoach_a",
        lambda w: {"kwartaal": f"{timezone.localdate().year}-1"},
        method="GET",
        saves=False,
    ),
    "ips:teams": Form(
        "ips:teams",
        "beheerder_a",
        lambda w: {"name": "IPS Noord"},
        pages=lambda w: [reverse("ips:teams")],
    ),
    "ips:team_edit": Form(
        "ips:team_edit",
        "beheerder_a",
        lambda w: {"name": "IPS Zuid"},
        kwargs=lambda w: {"pk": w.jobcoach_a.ips_team_member.team_id},
        pages=lambda w: [reverse("ips:teams")],
    ),
    "ips:team_delete": Form(
        "ips:team_delete",
        "beheerder_a",
        lambda w: {"knop": "1"},
        kwargs=lambda w: {"pk": w.jobcoach_a.ips_team_member.team_id},
        saves=False,  # the team has a member: refused with a message
    ),
    "ips:team_member": Form(
        "ips:team_member",
        "beheerder_a",
        lambda w: {f"coach-{w.jobcoach_a.pk}-team": ""},
        kwargs=lambda w: {"pk": w.jobcoach_a.pk},
        pages=lambda w: [reverse("ips:teams")],
    ),
    "ips:transfer": Form(
        "ips:transfer",
        "beheerder_a",
        lambda w: {f"former-{w.jobcoach_a.pk}-coach": str(w.jobcoach_a.pk)},
        kwargs=lambda w: {"pk": w.jobcoach_a.pk},
        saves=False,  # jobcoach_a is active and coaches on: nothing to hand over, a message
    ),
    "ips:fidelity_list": Form(
        "ips:fidelity_list",
        "jobcoach_a",
        lambda w: {"kind": "extern", "review_date": today(), "reviewers": "A. de Vries, B. Bos"},
        pages=lambda w: [reverse("ips:fidelity_list")],
    ),
    "ips:fidelity_detail": Form(
        "ips:fidelity_detail",
        "jobcoach_a",
        lambda w: {
            "version": str(w.review.version),
            **{f"score_{code}": "4" for code in FIDELITY_CODES},
            **{f"note_{code}": "Op orde" for code in FIDELITY_CODES},
        },
        lambda w: {"pk": w.review.pk},
        pages=lambda w: [reverse("ips:fidelity_detail", args=[w.review.pk])],
    ),
    "ips:results_report": Form(
        "ips:results_report",
        "jobcoach_a",
        lambda w: {"kwartaal": f"{timezone.localdate().year}-1"},
    ),
    "ips:fidelity_report": Form(
        "ips:fidelity_report",
        "jobcoach_a",
        lambda w: {"knop": "1"},
        lambda w: {"pk": w.review.pk},
        saves=False,  # the review is not finished: refused with a message
    ),
    "ips:fidelity_finish": Form(
        "ips:fidelity_finish",
        "jobcoach_a",
        lambda w: {"version": str(w.review.version)},
        lambda w: {"pk": w.review.pk},
        saves=False,  # not every item scored yet: refused with a message
    ),
}

# The sign-in form is allauth's, not found by the walk over the project's routes.
LOGIN = Form(
    "account_login",
    None,
    lambda w: {"login": w.behandelaar_a.email, "password": PASSWORD},
    saves=False,
)


def test_every_form_is_fuzzed():
    """Every view that reads user input, for every way it reads it, has an entry."""
    covered = {(form.route, form.method) for form in FORMS.values()}
    wanted = {(name, method) for name, route in ROUTES.items() for method in reads_input(route)}
    missing = sorted(wanted - covered)
    assert missing == [], (
        "Views that read user input without a fuzz entry; add them to FORMS in "
        f"tests/test_fuzz.py: {missing}"
    )
    assert {form.route for form in FORMS.values()} <= set(ROUTES)


# --- One submission and what must hold for it ------------------------------------------------

ERROR_SHOWN = re.compile(r'class="(?:errorlist|form-errors|error|message message-error)\b')
EXPLAINED = re.compile(r'class="(?:errorlist|form-errors|error|message message-\w+)\b')
ENGLISH = re.compile(
    r"This field is required|Enter a valid|Ensure this value|Select a valid choice|"
    r"Null characters are not allowed|is not one of the available choices|Enter a number|"
    r"Enter a whole number|The submitted file is empty|No file was submitted|"
    r"Server Error|Traceback",
)


def html_of(response):
    if "text/html" not in response.get("Content-Type", ""):
        return ""
    body = b"".join(response) if response.streaming else response.content
    return body.decode("utf-8", errors="replace")


def check_page(response, where):
    html = html_of(response)
    assert injected_markup(html) == [], (where, injected_markup(html))
    english = ENGLISH.search(html)
    assert english is None, (where, english and english.group(0))
    assert_errors_tied_to_fields(html)
    return html


def url_of(form, world):
    url = reverse(form.route, kwargs=form.kwargs(world) if form.kwargs else None)
    if form.query:
        from urllib.parse import urlencode

        url += "?" + urlencode(form.query(world))
    return url


def send(c, form, world, payload):
    url = url_of(form, world)
    if form.method == "GET":
        return c.get(url, payload)
    data = {k: v.build() if isinstance(v, Upload) else v for k, v in payload.items()}
    # A browser always sends the token, so request.POST is never empty (the test client
    # does not check it; tests/test_security_hardening.py checks that the views do).
    data.setdefault("csrfmiddlewaretoken", "x" * 64)
    return c.post(url, data)


@dataclass
class Outcome:
    status: int
    changed: set
    logged: set  # (object type, action, outcome) written for the request
    explained: bool
    error_shown: bool


def queued_messages(response):
    """The messages the view added (django.contrib.messages), without rendering a page."""
    storage = getattr(response.wsgi_request, "_messages", None)
    return list(getattr(storage, "_queued_messages", []))


def submit(c, form, world, payload, user):
    """Send one submission in a savepoint that is rolled back; check what holds for every
    submission, return what happened for the comparison with the valid one."""
    c.cookies.pop("messages", None)
    with transaction.atomic():
        before = fingerprint()
        last = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = send(c, form, world, payload)
        assert response.status_code in form.statuses, response.status_code
        htmls = [check_page(response, "answer")]
        notes = queued_messages(response)
        for note in notes:
            assert not (isinstance(note.message, SafeData) and CANARY in note.message), note
            assert ENGLISH.search(str(note.message)) is None, note
        changed = changed_models(before, fingerprint())
        hostile_markup = CANARY in repr(payload)
        location = response.get("Location", "") if response.status_code == 302 else ""
        if hostile_markup and location.startswith("/") and not location.startswith("/accounts/"):
            # The page the answer leads to shows the messages (and maybe the input).
            followed = c.get(location)
            assert followed.status_code == 200, (location, followed.status_code)
            htmls.append(check_page(followed, location))
        if changed and form.pages and hostile_markup:
            for page in form.pages(world):
                if page == location.split("#")[0]:
                    continue  # just seen
                shown = c.get(page)
                assert shown.status_code == 200, (page, shown.status_code)
                check_page(shown, page)
        entries = list(AccessLogEntry.objects.filter(pk__gt=last))
        if user is not None:
            assert {e.user_id for e in entries} <= {user.pk}, "logged for someone else"
        assert [e for e in entries if e.outcome == "geweigerd"] == [], "denied own form"
        _checked, broken = consent.verify_chain()
        assert broken is None, f"access log chain broken at {broken}"
        outcome = Outcome(
            response.status_code,
            changed,
            {(e.object_type, e.action, e.outcome) for e in entries if e.action != "read"},
            bool(notes) or any(EXPLAINED.search(h) for h in htmls),
            any(n.level >= messages.ERROR for n in notes)
            or any(ERROR_SHOWN.search(h) for h in htmls),
        )
        transaction.set_rollback(True)
    return outcome


def payloads(form, world):
    """A strategy: the valid submission with some fields replaced or left out."""
    valid = form.data(world)

    @st.composite
    def build(draw):
        names = sorted(valid)
        mutate = draw(st.sets(st.sampled_from(names), min_size=1), label="mutate")
        # Sometimes one hostile value in every changed field: rules that compare fields
        # (a start and an end date) are reached only when both are odd.
        same = draw(st.one_of(st.none(), st.sampled_from(NASTY)), label="same everywhere")
        payload = {}
        for name in names:
            value = valid[name]
            if name not in mutate:
                payload[name] = value
                continue
            if same is not None and not isinstance(value, Upload):
                payload[name] = [same] if isinstance(value, list) else same
                continue
            options = [hostile(), st.just(OMIT)]
            if isinstance(value, list):
                options.append(st.lists(hostile(), max_size=3))
            if isinstance(value, Upload):
                options = [hostile_upload(), st.just(OMIT)]
            if name in form.extra:
                options.append(form.extra[name](world))
            chosen = draw(st.one_of(options), label=name)
            if chosen is not OMIT:
                payload[name] = chosen
        if draw(st.booleans(), label="extra field"):
            name = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), label="extra name")
            payload.setdefault(name, draw(hostile(), label="extra value"))
        return payload

    return build()


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    with world_in_transaction(django_db_blocker) as built:
        built.fresh_bsn = next_bsn()
        yield built


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def _client(client_for, world, form):
    user = getattr(world, form.user) if form.user else None
    return client_for(user), user


_BASELINES = {}
# A save that changes no field writes no field history.
ALWAYS_OPTIONAL = frozenset({"cases.ChangeRecord"})


def tampered(form, world, payload):
    valid = form.data(world)
    return any(payload.get(name, OMIT) != valid[name] for name in form.hidden if name in valid)


def baseline(c, form, world, user):
    """What the valid submission does (once per form and world): the positive control."""
    key = (id(world), id(form))
    if key not in _BASELINES:
        outcome = submit(c, form, world, form.data(world), user)
        assert outcome.status in (200, 302), outcome.status
        if form.saves:
            assert outcome.changed, "the valid submission saved nothing"
            assert not outcome.error_shown, "the valid submission was refused"
        else:
            assert not outcome.changed, outcome.changed
        _BASELINES[key] = outcome
    return _BASELINES[key]


def _fuzz(c, form, world, user, data):
    valid = baseline(c, form, world, user)
    payload = data.draw(payloads(form, world), label="payload")
    outcome = submit(c, form, world, payload, user)
    if outcome.changed:
        required = valid.changed - form.optional - ALWAYS_OPTIONAL
        assert required <= outcome.changed <= valid.changed, (
            f"half or unexpectedly saved: {sorted(outcome.changed)}, "
            f"a valid save changes {sorted(valid.changed)}"
        )
        assert not outcome.error_shown, "an error was shown, yet data was stored"
        assert outcome.logged >= valid.logged, (
            f"a save without the log entries of a valid save: {valid.logged - outcome.logged}"
        )
    elif form.saves and outcome.status != 404 and not tampered(form, world, payload):
        assert outcome.explained, "nothing was saved and nothing says why"


@pytest.mark.django_db  # also orders these before the transactional tests, which flush
class TestFuzz:
    @pytest.mark.parametrize("name", sorted(FORMS))
    @FUZZ_SETTINGS
    @given(data=st.data())
    def test_form(self, world, db, client_for, name, data):
        form = FORMS[name]
        c, user = _client(client_for, world, form)
        _fuzz(c, form, world, user, data)

    @FUZZ_SETTINGS
    @given(data=st.data())
    def test_sign_in_form(self, world, db, client_for, data):
        c, _user = _client(client_for, world, LOGIN)
        try:
            _fuzz(c, LOGIN, world, None, data)
        finally:
            c.logout()
            cache.clear()  # the rate limit counted the failed sign-ins


# --- The bugs the fuzzing found (now fixed), one regression test each -----------------------


@pytest.mark.django_db
class TestFound:
    @pytest.mark.parametrize("name", ["consent:create_for_case", "consent:beheer_create"])
    def test_consent_starting_in_year_9999_is_refused_in_dutch(self, world, db, client_for, name):
        form = FORMS[name]
        c, user = _client(client_for, world, form)
        payload = {**form.data(world), "valid_from": "9999-12-30", "valid_until": "9999-12-31"}
        outcome = submit(c, form, world, payload, user)
        assert outcome.status == 200 and outcome.error_shown and not outcome.changed

    @pytest.mark.parametrize(
        "name,param",
        [
            ("consent:create_for_case-renew", "vervangt"),
            ("consent:beheer_create-search", "client"),
            ("consent:beheer_create-search", "vervangt"),
        ],
    )
    def test_superscript_digits_in_an_id_are_not_a_server_error(
        self, world, db, client_for, name, param
    ):
        form = FORMS[name]
        c, user = _client(client_for, world, form)
        payload = {**form.data(world), "client": str(world.case.client_id), param: "¹"}
        if name.endswith("-renew"):
            payload.pop("client")
        outcome = submit(c, form, world, payload, user)
        assert outcome.status in (200, 404)

    def test_superscript_bsn_is_refused_in_dutch(self, world, db, client_for):
        form = FORMS["cases:client_create"]
        c, user = _client(client_for, world, form)
        payload = {**form.data(world), "bsn": "¹¹¹¹¹¹¹¹¹"}
        outcome = submit(c, form, world, payload, user)
        assert outcome.status == 200 and outcome.error_shown and not outcome.changed

    def test_the_same_bsn_in_other_digits_is_not_a_second_client(self, world, db, client_for):
        from cases.models import Client

        form = FORMS["cases:client_create"]
        c, _user = _client(client_for, world, form)
        ascii_bsn = world.fresh_bsn
        arabic = ascii_bsn.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        with transaction.atomic():
            c.post(url_of(form, world), {**form.data(world), "bsn": arabic})
            c.post(url_of(form, world), {**form.data(world), "bsn": ascii_bsn})
            stored = list(
                Client.objects.filter(first_name="Piet", last_name="Puk").values_list(
                    "bsn", flat=True
                )
            )
            transaction.set_rollback(True)
        assert stored in ([], [ascii_bsn])


# --- Every change to client data is in the access log ----------------------------------------

# Issue 4: "Every read, create, update, delete, export and denied attempt on client data writes
# one append-only entry". Forms that change something else: user accounts, the guide's
# content, the IPS team's own figures and general employer contacts, and report requests (the
# export is logged when the PDF is downloaded).
NOT_CLIENT_DATA_FORMS = {
    "portal:user_create",
    "portal:user_edit",
    "portal:user_set_active",
    "portal:user_reset_mfa",
    "cases:leidraad_beheer",
    "cases:leidraad_beheer-upload",
    "ips:contacts",
    "ips:teams",
    "ips:team_edit",
    "ips:team_member",
    "ips:fidelity_list",
    "ips:fidelity_detail",
    "ips:fidelity_finish",
}
REPORT_REQUESTS = {
    "cases:progress_report",
    "cases:leidraad_summary_report",
    "consent:consent_report",
    "consent:client_consents_report",
    "consent:avg_inzage_request",
    "ips:results_report",
    "ips:fidelity_report",
}


# --- Dates far off: a typing error in the year is refused in Dutch -----------------------------

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:]+)?")
# Found by their valid submission; these must be among them (so the search cannot go blind).
DATE_FIELDS_INCLUDE = {
    ("cases:client_create", "date_of_birth"),
    ("cases:agreement_create", "due_date"),
    ("cases:driegesprek_plan", "planned_at"),
    ("cases:work_discussed", "discussed_on"),
    ("consent:withdraw", "withdrawn_on"),
    ("ips:placement_create", "start_date"),
    ("ips:contact_create", "contacted_on"),
}


@pytest.mark.django_db
class TestFarOffDates:
    @pytest.mark.parametrize("year", ["0001", "9999"])
    def test_a_date_in_year_1_or_9999_is_refused_in_dutch(self, world, db, client_for, year):
        checked, accepted = set(), []
        for name in sorted(FORMS):
            form = FORMS[name]
            if not form.saves:
                continue  # filters: any date is a fine question
            valid = form.data(world)
            c, user = _client(client_for, world, form)
            for key, value in valid.items():
                if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
                    continue
                checked.add((name, key))
                outcome = submit(c, form, world, {**valid, key: year + value[4:]}, user)
                if outcome.changed or not outcome.error_shown:
                    accepted.append((name, key))
        assert checked >= DATE_FIELDS_INCLUDE
        assert accepted == []


def _write_cases():
    for name in sorted(FORMS):
        form = FORMS[name]
        if not form.saves or name in NOT_CLIENT_DATA_FORMS or name in REPORT_REQUESTS:
            continue
        yield name


def test_exemptions_name_real_forms():
    assert set(FORMS) >= NOT_CLIENT_DATA_FORMS | REPORT_REQUESTS


@pytest.mark.django_db
class TestWritesAreLogged:
    @pytest.mark.parametrize("name", list(_write_cases()))
    def test_a_save_of_client_data_writes_an_access_log_entry(self, world, db, client_for, name):
        form = FORMS[name]
        c, user = _client(client_for, world, form)
        outcome = submit(c, form, world, form.data(world), user)
        assert outcome.changed
        assert {
            (action, result)
            for _type, action, result in outcome.logged
            if action in ("create", "update", "delete")
        } & {("create", "toegestaan"), ("update", "toegestaan"), ("delete", "toegestaan")}
