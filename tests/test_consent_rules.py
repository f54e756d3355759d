"""Toestemming: the rules of recording and withdrawing consent (issue 4, "Bad input"), and
that withdrawal and expiry take effect on the very next request."""

import datetime
import itertools
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases import services as cases
from cases.constants import CaseRole, TimelineKind, WorkSituationKind
from cases.models import TimelineEntry, WorkSituation
from cases.validators import validate_bsn
from consent import services as consent
from consent.constants import Action, Basis, Category, ConsentMethod, ConsentState, Purpose
from consent.forms import ConsentForm, add_months
from consent.models import AccessLogEntry, Consent, ConsentWithdrawal
from portal.constants import ROLES_BY_ORGANISATION_TYPE

from .builders import SIGNED_JPEG, SIGNED_PDF, SIGNED_PNG
from .factories import UserFactory

PDF, PNG, JPEG = SIGNED_PDF, SIGNED_PNG, SIGNED_JPEG
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


def _bsns():
    for number in itertools.count(300_000_000):
        try:
            validate_bsn(f"{number:09d}")
        except ValidationError:
            continue
        yield f"{number:09d}"


BSNS = _bsns()


def register(owner, last_name="Jansen"):
    return cases.register_client(
        owner,
        first_name="Eva",
        last_name=last_name,
        date_of_birth=datetime.date(1990, 5, 17),
        bsn=next(BSNS),
    )


@pytest.fixture(autouse=True)
def private_storage(monkeypatch, tmp_path):
    """Uploaded forms land in a temporary private directory."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Consent._meta.get_field("form"), "storage", storage)
    return storage


@pytest.fixture
def case_a(behandelaar_a, klantmanager_g):
    """A client of GGZ A; behandelaar_a is regiebehandelaar, klantmanager_g on the team."""
    case = cases.open_case(behandelaar_a, register(behandelaar_a))
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


def form_data(recipient, **overrides):
    today = timezone.localdate()
    data = {
        "recipient": recipient.pk,
        "purpose": Purpose.REINTEGRATIE,
        "categories": [Category.WERKSITUATIE, Category.MOGELIJKHEDEN],
        "valid_from": today.isoformat(),
        "valid_until": (today + datetime.timedelta(days=180)).isoformat(),
        "method": ConsentMethod.SCHRIFTELIJK,
        "purpose_explained": "on",
        "supersedes": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def stored_files(storage):
    root = Path(storage.location)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def create_url(case):
    return reverse("consent:create_for_case", args=[case.pk])


def nothing_stored(case):
    return (
        not Consent.objects.exists()
        and not TimelineEntry.objects.filter(case=case, kind=TimelineKind.TOESTEMMING).exists()
        and not AccessLogEntry.objects.filter(action=Action.CREATE, object_type="toestemming")
        .exclude(outcome="geweigerd")
        .exists()
    )


class TestRecord:
    def test_valid_consent_is_stored_noted_and_logged(
        self, client_for, behandelaar_a, gemeente_g, ggz_a, case_a
    ):
        response = client_for(behandelaar_a).post(create_url(case_a), form_data(gemeente_g))
        record = Consent.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("consent:detail", args=[record.pk])
        assert record.client_id == case_a.client_id
        assert record.provider == ggz_a
        assert record.recipient == gemeente_g
        assert record.recorded_by == behandelaar_a
        assert set(record.categories.values_list("code", flat=True)) == {
            Category.WERKSITUATIE,
            Category.MOGELIJKHEDEN,
        }
        assert record.state() == ConsentState.ACTIEF
        note = TimelineEntry.objects.get(case=case_a, kind=TimelineKind.TOESTEMMING)
        assert note.category == Category.IDENTIFICATIE
        assert "Gemeente G" in note.title
        entry = AccessLogEntry.objects.get(action=Action.CREATE, object_type="toestemming")
        assert entry.object_id == str(record.pk)
        assert entry.basis == Basis.EIGEN_ORGANISATIE
        assert entry.outcome == "toegestaan"
        assert entry.case_id == case_a.pk

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"categories": None}, "Kies ten minste één gegevenscategorie"),
            ({"purpose_explained": None}, "Leg de cliënt eerst uit"),
            ({"purpose": None}, "Dit veld is verplicht"),
            ({"valid_until": None}, "Dit veld is verplicht"),
            ({"valid_until": "2000-01-01"}, "De einddatum ligt vóór de begindatum."),
            (
                {"categories": [Category.WERKSITUATIE, Category.MEDISCH]},
                "kan nooit worden gedeeld met een gemeente of UWV",
            ),
        ],
    )
    def test_bad_input_is_refused_and_nothing_stored(
        self, client_for, behandelaar_a, gemeente_g, case_a, overrides, message
    ):
        response = client_for(behandelaar_a).post(
            create_url(case_a), form_data(gemeente_g, **overrides)
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert nothing_stored(case_a)

    def test_own_organisation_is_no_recipient(self, client_for, behandelaar_a, ggz_a, case_a):
        response = client_for(behandelaar_a).post(create_url(case_a), form_data(ggz_a))
        assert response.status_code == 200
        assert "Dat kan niet uw eigen organisatie zijn" in response.content.decode()
        assert nothing_stored(case_a)

    def test_medical_information_never_to_uwv(self, client_for, behandelaar_a, uwv_u, case_a):
        response = client_for(behandelaar_a).post(
            create_url(case_a), form_data(uwv_u, categories=[Category.MEDISCH])
        )
        assert "kan nooit worden gedeeld met een gemeente of UWV (UWV U)" in (
            response.content.decode()
        )
        assert nothing_stored(case_a)

    def test_medical_information_to_another_care_organisation_is_allowed(
        self, client_for, behandelaar_a, ggz_b, case_a
    ):
        client_for(behandelaar_a).post(
            create_url(case_a),
            form_data(ggz_b, purpose=Purpose.AFSTEMMING, categories=[Category.MEDISCH]),
        )
        assert Consent.objects.get().recipient == ggz_b

    def test_end_date_at_most_the_configured_months_after_start(
        self, client_for, behandelaar_a, gemeente_g, case_a, settings
    ):
        settings.WERKPAD_CONSENT_MAX_MONTHS = 12
        start = timezone.localdate()
        # 'Tot en met': twelve months from 4 December end on 3 December.
        latest = add_months(start, 12) - datetime.timedelta(days=1)
        c = client_for(behandelaar_a)
        response = c.post(
            create_url(case_a),
            form_data(
                gemeente_g,
                valid_from=start.isoformat(),
                valid_until=(latest + datetime.timedelta(days=1)).isoformat(),
            ),
        )
        assert (
            f"Een toestemming geldt hoogstens 12 maanden: kies uiterlijk {latest:%d-%m-%Y} als "
            "einddatum." in response.content.decode()
        )
        assert nothing_stored(case_a)
        response = c.post(
            create_url(case_a),
            form_data(gemeente_g, valid_from=start.isoformat(), valid_until=latest.isoformat()),
        )
        assert response.status_code == 302
        assert Consent.objects.get().valid_until == latest

    @pytest.mark.parametrize(
        "start, latest",
        [
            (datetime.date(2028, 2, 29), datetime.date(2029, 2, 28)),
            (datetime.date(2028, 3, 31), datetime.date(2029, 3, 30)),
        ],
    )
    def test_the_last_day_from_29_february(self, gemeente_g, case_a, start, latest):
        """'Tot en met' twelve months: the day before the same date a year on, and 28
        February from 29 February (not the 27th)."""
        form = ConsentForm(client=case_a.client, provider=case_a.client.organisation)
        form.max_months = 12
        assert form.latest_end(start) == latest

    def test_the_maximum_is_configurable(
        self, client_for, behandelaar_a, gemeente_g, case_a, settings
    ):
        settings.WERKPAD_CONSENT_MAX_MONTHS = 3
        start = timezone.localdate()
        response = client_for(behandelaar_a).post(
            create_url(case_a),
            form_data(gemeente_g, valid_until=(start + datetime.timedelta(days=120)).isoformat()),
        )
        assert "hoogstens 3 maanden" in response.content.decode()
        assert nothing_stored(case_a)

    def test_end_date_in_the_past_is_refused(self, client_for, behandelaar_a, gemeente_g, case_a):
        today = timezone.localdate()
        response = client_for(behandelaar_a).post(
            create_url(case_a),
            form_data(
                gemeente_g,
                valid_from=(today - datetime.timedelta(days=40)).isoformat(),
                valid_until=(today - datetime.timedelta(days=1)).isoformat(),
            ),
        )
        assert "De einddatum ligt in het verleden" in response.content.decode()
        assert nothing_stored(case_a)

    @SAME_DAY
    @pytest.mark.parametrize("start", [datetime.date(1, 1, 1), "a year ago"])
    def test_start_so_long_ago_that_it_would_have_ended_is_refused(
        self, client_for, behandelaar_a, gemeente_g, case_a, start
    ):
        """Year 1 (a typing error) is refused on the start date, without a date in the
        message; so is the day twelve months ago, the first a twelve-month consent would no
        longer reach today from."""
        today = timezone.localdate()
        if start == "a year ago":
            start = add_months(today, -12)
        response = client_for(behandelaar_a).post(
            create_url(case_a),
            form_data(gemeente_g, valid_from=start.isoformat(), valid_until=today.isoformat()),
        )
        page = response.content.decode()
        assert "Vanaf deze datum zou de toestemming al verlopen zijn" in page
        assert "kies uiterlijk" not in page
        assert nothing_stored(case_a)
        # A day later, it reaches today: recorded.
        response = client_for(behandelaar_a).post(
            create_url(case_a),
            form_data(
                gemeente_g,
                valid_from=(add_months(today, -12) + datetime.timedelta(days=1)).isoformat(),
                valid_until=today.isoformat(),
            ),
        )
        assert response.status_code == 302
        assert Consent.objects.get().valid_until == today

    def test_client_of_another_organisation_is_refused(
        self, client_for, klantmanager_g, behandelaar_a, ggz_b
    ):
        """behandelaar_a is on the team of a client that Gemeente G registered: GGZ A is
        not the provider of that client's identification, so it cannot record consent."""
        case_g = cases.open_case(klantmanager_g, register(klantmanager_g))
        consent.add_member(case_g, behandelaar_a, CaseRole.BEHANDELAAR)
        response = client_for(behandelaar_a).post(create_url(case_g), form_data(ggz_b))
        assert response.status_code == 404
        assert not Consent.objects.exists()
        assert AccessLogEntry.objects.filter(
            object_type="toestemming", action=Action.CREATE, outcome="geweigerd"
        ).exists()

    def test_beheerder_cannot_record_for_a_client_of_another_organisation(
        self, client_for, beheerder_g, behandelaar_a, gemeente_g, case_a
    ):
        url = reverse("consent:beheer_create") + f"?client={case_a.client_id}"
        response = client_for(beheerder_g).post(url, form_data(gemeente_g))
        assert response.status_code == 404
        assert nothing_stored(case_a)

    def test_beheerder_records_for_own_client(self, client_for, beheerder_a, gemeente_g, case_a):
        url = reverse("consent:beheer_create") + f"?client={case_a.client_id}"
        response = client_for(beheerder_a).post(url, form_data(gemeente_g))
        assert response.status_code == 302
        record = Consent.objects.get()
        assert record.recorded_by == beheerder_a
        assert TimelineEntry.objects.filter(case=case_a, kind=TimelineKind.TOESTEMMING).exists()
        entry = AccessLogEntry.objects.get(action=Action.CREATE, object_type="toestemming")
        assert entry.basis == Basis.BEHEER

    def test_supersede_makes_a_new_record_and_the_old_one_vervangen(
        self, client_for, behandelaar_a, gemeente_g, case_a
    ):
        c = client_for(behandelaar_a)
        c.post(create_url(case_a), form_data(gemeente_g))
        old = Consent.objects.get()
        response = c.post(
            create_url(case_a),
            form_data(
                gemeente_g,
                supersedes=old.pk,
                categories=[Category.WERKSITUATIE, Category.AFSPRAKEN],
            ),
        )
        assert response.status_code == 302
        new = Consent.objects.exclude(pk=old.pk).get()
        old = Consent.objects.get(pk=old.pk)
        assert new.supersedes_id == old.pk
        assert old.state() == ConsentState.VERVANGEN
        assert new.state() == ConsentState.ACTIEF
        assert set(old.categories.values_list("code", flat=True)) == {
            Category.WERKSITUATIE,
            Category.MOGELIJKHEDEN,
        }
        assert list(Consent.objects.active().values_list("pk", flat=True)) == [new.pk]

    def test_a_superseded_consent_cannot_be_superseded_again(
        self, client_for, behandelaar_a, gemeente_g, case_a
    ):
        c = client_for(behandelaar_a)
        c.post(create_url(case_a), form_data(gemeente_g))
        old = Consent.objects.get()
        c.post(create_url(case_a), form_data(gemeente_g, supersedes=old.pk))
        response = c.post(create_url(case_a), form_data(gemeente_g, supersedes=old.pk))
        assert response.status_code == 200
        assert "Die toestemming kan niet worden vervangen" in response.content.decode()
        assert Consent.objects.count() == 2

    def test_a_replacement_cannot_start_later_and_leave_a_gap(
        self, client_for, behandelaar_a, klantmanager_g, gemeente_g, case_a
    ):
        """Renewing ahead of time by replacing would end the current consent at once and
        leave the recipient without access until the new one starts: refused, with the
        way that works (a new consent starting after the old one's end, not replacing)."""
        c = client_for(behandelaar_a)
        c.post(create_url(case_a), form_data(gemeente_g))
        old = Consent.objects.get()
        later = old.valid_until + datetime.timedelta(days=1)
        renewal = {
            "valid_from": later.isoformat(),
            "valid_until": (later + datetime.timedelta(days=180)).isoformat(),
        }
        response = c.post(create_url(case_a), form_data(gemeente_g, supersedes=old.pk, **renewal))
        assert response.status_code == 200
        errors = response.context["form"].errors["valid_from"]
        assert f"Een vervanging gaat vandaag in: nr. {old.pk} geldt niet meer" in errors[0]
        assert Consent.objects.count() == 1
        assert old.state() == ConsentState.ACTIEF
        assert consent.case_access(klantmanager_g, case_a).can_read(
            Category.WERKSITUATIE, case_a.client.organisation_id
        )
        # The way the message points to: the new consent follows on, the old one holds.
        response = c.post(create_url(case_a), form_data(gemeente_g, **renewal))
        assert response.status_code == 302
        assert list(Consent.objects.active().values_list("pk", flat=True)) == [old.pk]

    def test_a_replacement_cannot_start_before_the_consent_it_replaces(
        self, client_for, behandelaar_a, gemeente_g, case_a
    ):
        """The start is the day the client gave the new consent: not before the one it
        replaces began (the record would prove sharing the client had not agreed to)."""
        c = client_for(behandelaar_a)
        c.post(create_url(case_a), form_data(gemeente_g))
        old = Consent.objects.get()
        earlier = old.valid_from - datetime.timedelta(days=4)
        response = c.post(
            create_url(case_a),
            form_data(gemeente_g, supersedes=old.pk, valid_from=earlier.isoformat()),
        )
        assert response.status_code == 200
        assert response.context["form"].errors["valid_from"] == [
            "Een vervanging kan niet eerder ingaan dan de toestemming die ze vervangt: nr. "
            f"{old.pk} geldt vanaf {old.valid_from:%d-%m-%Y}. Kies de dag waarop de cliënt de "
            "nieuwe toestemming gaf."
        ]
        assert Consent.objects.count() == 1
        assert old.state() == ConsentState.ACTIEF

    def test_a_replacement_keeps_recipient_and_purpose(
        self, client_for, behandelaar_a, gemeente_g, uwv_u, case_a
    ):
        """Another recipient or purpose is another consent: replacing would end the old
        recipient's access without a withdrawal on record."""
        c = client_for(behandelaar_a)
        c.post(create_url(case_a), form_data(gemeente_g))
        old = Consent.objects.get()
        for change, message in (
            ({"recipient": uwv_u.pk}, f"Nr. {old.pk} geldt voor {gemeente_g}."),
            ({"purpose": Purpose.DRIEGESPREK}, f"Nr. {old.pk} is voor "),
        ):
            response = c.post(
                create_url(case_a), {**form_data(gemeente_g, supersedes=old.pk), **change}
            )
            assert response.status_code == 200
            assert message in response.context["form"].errors["supersedes"][0]
        assert Consent.objects.count() == 1
        assert old.state() == ConsentState.ACTIEF

    def test_renew_link_prefills_the_form(self, client_for, behandelaar_a, gemeente_g, case_a):
        c = client_for(behandelaar_a)
        c.post(create_url(case_a), form_data(gemeente_g))
        old = Consent.objects.get()
        response = c.get(create_url(case_a) + f"?vervangt={old.pk}")
        form = response.context["form"]
        assert form.initial["supersedes"] == old.pk
        assert form.initial["recipient"] == gemeente_g.pk
        assert set(form.initial["categories"]) == {Category.WERKSITUATIE, Category.MOGELIJKHEDEN}


class TestPurposeFitsTheRecipient:
    """The tester's finding: a consent for ‘IPS-traject’ towards a gemeente gave its
    klantmanager nothing (their case role reads under re-integratie and driegesprek only),
    yet the form took it without a word: the behandelaar thought the data was shared."""

    def record_directly(self, case, recipient, purpose):
        """Set-up only: a consent as an older version of the form let it be recorded."""
        today = timezone.localdate()
        record = Consent.objects.create(
            client=case.client,
            provider=case.client.organisation,
            recipient=recipient,
            purpose=purpose,
            valid_from=today - datetime.timedelta(days=10),
            valid_until=today + datetime.timedelta(days=60),
            method=ConsentMethod.SCHRIFTELIJK,
            purpose_explained=True,
            recorded_by=case.client.created_by,
        )
        record.categories.set([Category.WERKSITUATIE])
        return record

    @pytest.mark.parametrize("purpose", list(Purpose))
    def test_accepted_exactly_when_someone_at_the_recipient_could_read_under_it(
        self, behandelaar_a, ggz_b, gemeente_g, uwv_u, case_a, purpose
    ):
        """Against the real access check, for every role the recipient's kind of
        organisation may hold in every case role: a GGZ with behandelaars and
        trajectbegeleiders fits every purpose, a gemeente or UWV only what a klantmanager
        reads under. The form refuses no sharing that would work."""
        provider = case_a.client.organisation
        for recipient in (ggz_b, gemeente_g, uwv_u):
            staff = []
            for role in ROLES_BY_ORGANISATION_TYPE[recipient.type]:
                for case_role in CaseRole:
                    user = UserFactory(organisation=recipient, role=role)
                    consent.add_member(case_a, user, case_role)
                    staff.append(user)
            self.record_directly(case_a, recipient, purpose)
            readable = any(
                consent.case_access(u, case_a).can_read(Category.WERKSITUATIE, provider.pk)
                for u in staff
            )
            form = ConsentForm(
                form_data(recipient, purpose=purpose, categories=[Category.WERKSITUATIE]),
                client=case_a.client,
                provider=provider,
            )
            assert form.is_valid() == readable, (recipient.type, purpose, form.errors)
        # What the tester found: IPS-traject towards a gemeente gives nothing.
        assert readable == (purpose in (Purpose.REINTEGRATIE, Purpose.DRIEGESPREK))

    @pytest.mark.parametrize("recipient", ["gemeente_g", "uwv_u"])
    @pytest.mark.parametrize(
        "purpose", [Purpose.IPS_TRAJECT, Purpose.AFSTEMMING, Purpose.CASUSBESPREKING]
    )
    def test_a_purpose_no_one_there_uses_is_refused_naming_those_that_fit(
        self, client_for, behandelaar_a, case_a, recipient, purpose, request
    ):
        recipient = request.getfixturevalue(recipient)
        response = client_for(behandelaar_a).post(
            create_url(case_a), form_data(recipient, purpose=purpose)
        )
        assert response.status_code == 200
        kind = "Gemeente (Werk & Inkomen)" if recipient.type == "gemeente" else "UWV"
        assert response.context["form"].errors["purpose"] == [
            f"Er zou niets worden gedeeld. Met het doel ‘{purpose.label}’ kan niemand bij "
            f"{recipient} de gegevens inzien. Bij een organisatie van het soort ‘{kind}’ past "
            "alleen ‘Re-integratie en participatie’ of ‘Driegesprek’. Kies een doel dat past, "
            "of een andere ontvanger."
        ]
        assert nothing_stored(case_a)

    def test_the_beheerder_is_refused_too(self, client_for, beheerder_a, gemeente_g, case_a):
        url = reverse("consent:beheer_create") + f"?client={case_a.client_id}"
        response = client_for(beheerder_a).post(
            url, form_data(gemeente_g, purpose=Purpose.IPS_TRAJECT)
        )
        assert response.status_code == 200
        assert (
            "kan niemand bij Gemeente G de gegevens inzien"
            in (response.context["form"].errors["purpose"][0])
        )
        assert nothing_stored(case_a)

    def test_the_form_says_beforehand_which_purposes_fit_where(
        self, client_for, behandelaar_a, case_a
    ):
        response = client_for(behandelaar_a).get(create_url(case_a))
        help_text = response.context["form"].fields["purpose"].help_text
        # No GGZ role reads under re-integratie: a GGZ recipient is narrower too.
        assert help_text == escape(
            "Kies een doel waarvoor de ontvanger de gegevens kan gebruiken. Bij "
            "‘GGZ-aanbieder’ past alleen ‘IPS-traject’, ‘Afstemming behandeling en werk’, "
            "‘Driegesprek’ of ‘Casusbespreking’. Bij ‘Gemeente (Werk & Inkomen)’ en ‘UWV’ past "
            "alleen ‘Re-integratie en participatie’ of ‘Driegesprek’."
        )
        assert help_text in response.content.decode()

    def test_renewing_a_consent_whose_purpose_never_fitted(
        self, client_for, behandelaar_a, klantmanager_g, gemeente_g, case_a
    ):
        """Recorded before the form refused it: ‘verlengen’ does not offer the same useless
        sharing again (a replacement keeps the purpose) but a new consent for the same
        recipient and data, and says why."""
        old = self.record_directly(case_a, gemeente_g, Purpose.IPS_TRAJECT)
        c = client_for(behandelaar_a)
        response = c.get(create_url(case_a) + f"?vervangt={old.pk}")
        form = response.context["form"]
        assert form.initial["recipient"] == gemeente_g.pk
        assert form.initial["categories"] == [Category.WERKSITUATIE]
        assert "supersedes" not in form.initial and "purpose" not in form.initial
        assert (
            escape(
                f"Toestemming nr. {old.pk} deelt niets. Met het doel ‘IPS-traject’ kan niemand "
                "bij Gemeente G de gegevens inzien."
            )
            in response.content.decode()
        )
        # Replacing it anyway, for the same purpose: refused.
        response = c.post(
            create_url(case_a),
            form_data(gemeente_g, supersedes=old.pk, purpose=Purpose.IPS_TRAJECT),
        )
        assert "purpose" in response.context["form"].errors
        assert Consent.objects.count() == 1
        # The way the notice points to: a new consent for a fitting purpose shares.
        response = c.post(create_url(case_a), form_data(gemeente_g))
        assert response.status_code == 302
        assert consent.case_access(klantmanager_g, case_a).can_read(
            Category.WERKSITUATIE, case_a.client.organisation_id
        )
        assert Consent.objects.get(pk=old.pk).state() == ConsentState.ACTIEF

    def test_renewing_a_fitting_consent_still_prefills_the_replacement(
        self, client_for, behandelaar_a, gemeente_g, case_a
    ):
        old = self.record_directly(case_a, gemeente_g, Purpose.DRIEGESPREK)
        response = client_for(behandelaar_a).get(create_url(case_a) + f"?vervangt={old.pk}")
        form = response.context["form"]
        assert (form.initial["supersedes"], form.initial["purpose"]) == (old.pk, old.purpose)
        assert response.context["notice"] is None


class TestUpload:
    def post(self, c, case, recipient, content, name):
        data = form_data(recipient)
        data["signed_form"] = SimpleUploadedFile(name, content, "application/pdf")
        return c.post(create_url(case), data)

    @pytest.mark.parametrize(
        ("content", "kind"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg")], ids=["pdf", "png", "jpg"]
    )
    def test_pdf_jpeg_png_accepted_by_content(
        self, client_for, behandelaar_a, gemeente_g, case_a, private_storage, content, kind
    ):
        response = self.post(
            client_for(behandelaar_a), case_a, gemeente_g, content, "../../scan van eva.pdf"
        )
        assert response.status_code == 302
        record = Consent.objects.get()
        assert record.form.name.endswith(f".{kind}")
        assert "eva" not in record.form.name and ".." not in record.form.name
        assert private_storage.exists(record.form.name)
        with private_storage.open(record.form.name) as stored:
            assert stored.read() == content

    @pytest.mark.parametrize(
        "content", [WINDOWS_EXE, ELF, b"", b"just text"], ids=["exe", "elf", "leeg", "tekst"]
    )
    def test_executable_or_other_content_renamed_pdf_is_refused(
        self, client_for, behandelaar_a, gemeente_g, case_a, private_storage, content
    ):
        response = self.post(
            client_for(behandelaar_a), case_a, gemeente_g, content, "formulier.pdf"
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "geen PDF, JPEG of PNG" in body or "Het verstuurde bestand is leeg" in body
        assert nothing_stored(case_a)
        assert stored_files(private_storage) == []

    @pytest.mark.parametrize(
        "content",
        [PDF[:-7], PDF[:5], PNG[:-12], JPEG[:3], JPEG[:-2], b"%PDF-1.4\n<script>x</script>"],
        ids=["pdf-cut", "pdf-header-only", "png-cut", "jpeg-3-bytes", "jpeg-cut", "pdf-no-end"],
    )
    def test_a_file_cut_short_is_refused(
        self, client_for, behandelaar_a, gemeente_g, case_a, private_storage, content
    ):
        """Its first bytes say PDF, JPEG or PNG, its end is missing: no proof of consent
        (an exploratory tester's 3-byte 'JPEG' was stored as the signed form)."""
        response = self.post(
            client_for(behandelaar_a), case_a, gemeente_g, content, "formulier.pdf"
        )
        assert response.status_code == 200
        assert "Dit bestand is niet volledig: het einde ontbreekt." in response.content.decode()
        assert nothing_stored(case_a)
        assert stored_files(private_storage) == []

    def test_a_pdf_with_bytes_after_its_end_is_whole(
        self, client_for, behandelaar_a, gemeente_g, case_a, private_storage
    ):
        """Readers look for %%EOF in the last 1 024 bytes: scanners that pad are fine."""
        padded = PDF + b"\x00" * 1000
        response = self.post(client_for(behandelaar_a), case_a, gemeente_g, padded, "f.pdf")
        assert response.status_code == 302

    def test_oversize_file_is_refused(
        self, client_for, behandelaar_a, gemeente_g, case_a, settings
    ):
        settings.WERKPAD_CONSENT_UPLOAD_MAX_BYTES = 1000
        c = client_for(behandelaar_a)
        too_big = PDF + b"0" * (1001 - len(PDF))
        response = self.post(c, case_a, gemeente_g, too_big, "formulier.pdf")
        assert response.status_code == 200
        assert (
            "Het bestand is te groot: het mag hoogstens 1000\xa0bytes zijn."
            in response.content.decode()
        )
        assert nothing_stored(case_a)
        just_fits = PDF + b"0" * (1000 - len(PDF))
        assert self.post(c, case_a, gemeente_g, just_fits, "formulier.pdf").status_code == 302

    def test_nothing_stored_means_no_file_left_behind(
        self, client_for, behandelaar_a, gemeente_g, case_a, private_storage, monkeypatch
    ):
        """A failure after the file was written (here: the log) rolls everything back and
        removes the file."""

        def broken_log(*args, **kwargs):
            raise RuntimeError("log kapot")

        monkeypatch.setattr(consent, "log", broken_log)
        with pytest.raises(RuntimeError):
            self.post(client_for(behandelaar_a), case_a, gemeente_g, PDF, "formulier.pdf")
        assert not Consent.objects.exists()
        assert stored_files(private_storage) == []


class TestWithdraw:
    @pytest.fixture
    def record(self, client_for, behandelaar_a, gemeente_g, case_a):
        client_for(behandelaar_a).post(create_url(case_a), form_data(gemeente_g))
        return Consent.objects.get()

    def withdraw(self, c, record, **overrides):
        data = {
            "method": ConsentMethod.MONDELING,
            "withdrawn_on": timezone.localdate().isoformat(),
            "reason": "Wil het zelf vertellen.",
        }
        data.update(overrides)
        return c.post(reverse("consent:withdraw", args=[record.pk]), data)

    def test_withdraw_once(self, client_for, jobcoach_a, case_a, record):
        """Any team member of the provider may record a withdrawal, also one whose role
        cannot record consent: withdrawing is as easy as giving."""
        consent.add_member(case_a, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
        response = self.withdraw(client_for(jobcoach_a), record)
        assert response.status_code == 302
        withdrawal = ConsentWithdrawal.objects.get()
        assert withdrawal.consent == record
        assert withdrawal.recorded_by == jobcoach_a
        assert withdrawal.method == ConsentMethod.MONDELING
        assert Consent.objects.get(pk=record.pk).state() == ConsentState.INGETROKKEN
        assert TimelineEntry.objects.filter(
            case=case_a, kind=TimelineKind.TOESTEMMING, title__startswith="Toestemming ingetrokken"
        ).exists()
        assert AccessLogEntry.objects.filter(
            action=Action.CREATE, object_type="intrekking", object_id=str(withdrawal.pk)
        ).exists()

    def test_withdraw_twice_is_refused(self, client_for, behandelaar_a, case_a, record):
        c = client_for(behandelaar_a)
        self.withdraw(c, record)
        notes = TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).count()
        response = self.withdraw(c, record, method=ConsentMethod.SCHRIFTELIJK)
        assert response.status_code == 200
        assert "Deze toestemming is al ingetrokken op" in response.content.decode()
        assert ConsentWithdrawal.objects.get().method == ConsentMethod.MONDELING
        assert TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).count() == notes
        assert AccessLogEntry.objects.filter(object_type="intrekking").count() == 1

    @SAME_DAY
    def test_withdrawal_date_in_the_future_is_refused(
        self, client_for, behandelaar_a, case_a, record
    ):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        response = self.withdraw(
            client_for(behandelaar_a), record, withdrawn_on=tomorrow.isoformat()
        )
        assert "Deze datum ligt in de toekomst" in response.content.decode()
        assert not ConsentWithdrawal.objects.exists()

    @SAME_DAY
    def test_withdrawal_date_before_the_consent_was_recorded_is_refused(
        self, client_for, behandelaar_a, case_a, record
    ):
        """A consent cannot be taken back before it was given; a typo in the year would
        otherwise stand in the record as the day the client withdrew."""
        c = client_for(behandelaar_a)
        day_before = timezone.localdate() - datetime.timedelta(days=1)
        response = self.withdraw(c, record, withdrawn_on=day_before.isoformat())
        today = timezone.localdate().strftime("%d-%m-%Y")
        assert response.context["form"].errors["withdrawn_on"] == [
            f"Deze datum ligt vóór {today}, de dag waarop de toestemming is vastgelegd. "
            "Vul de dag in waarop de cliënt haar introk."
        ]
        assert not ConsentWithdrawal.objects.exists()
        assert self.withdraw(c, record).status_code == 302

    def test_the_ways_of_withdrawing_are_worded_for_taking_back(
        self, client_for, behandelaar_a, case_a, record
    ):
        html = client_for(behandelaar_a).get(reverse("consent:withdraw", args=[record.pk]))
        html = html.content.decode()
        assert "Mondeling, vastgelegd door een medewerker" in html
        assert "gegeven" not in html.split('name="method"', 1)[1].split("</fieldset>", 1)[0]

    @SAME_DAY
    def test_date_defaults_to_today(self, client_for, behandelaar_a, case_a, record):
        response = client_for(behandelaar_a).get(reverse("consent:withdraw", args=[record.pk]))
        assert response.context["form"].initial["withdrawn_on"] == timezone.localdate()

    def test_the_recipient_cannot_withdraw_for_the_provider(
        self, client_for, klantmanager_g, case_a, record
    ):
        response = self.withdraw(client_for(klantmanager_g), record)
        assert response.status_code == 404
        assert not ConsentWithdrawal.objects.exists()


class TestImmediateEffect:
    """A klantmanager on the team reads GGZ A's work situation through consent, and loses it
    on the very next request after withdrawal, and after expiry."""

    @pytest.fixture
    def shared(self, client_for, behandelaar_a, gemeente_g, ggz_a, case_a):
        WorkSituation.objects.create(
            case=case_a,
            organisation=ggz_a,
            kind=WorkSituationKind.WERKERVARING,
            hours_per_week=17,
            benefit="bijstand",
            wish_to_work="ja",
            recorded_by=behandelaar_a,
        )
        today = timezone.localdate()
        client_for(behandelaar_a).post(
            create_url(case_a),
            form_data(
                gemeente_g,
                categories=[Category.WERKSITUATIE],
                valid_until=(today + datetime.timedelta(days=10)).isoformat(),
            ),
        )
        return Consent.objects.get()

    def work_rows(self, c, case):
        response = c.get(reverse("cases:work_situation", args=[case.pk]))
        assert response.status_code == 200
        return [w.hours_per_week for w in response.context["history"]], response.content.decode()

    def test_withdrawal_takes_effect_on_the_next_request(
        self, client_for, behandelaar_a, klantmanager_g, case_a, shared
    ):
        rows, html = self.work_rows(client_for(klantmanager_g), case_a)
        assert rows == [17]
        assert "<td>17</td>" in html
        client_for(behandelaar_a).post(
            reverse("consent:withdraw", args=[shared.pk]),
            {"method": ConsentMethod.MONDELING, "withdrawn_on": timezone.localdate().isoformat()},
        )
        assert ConsentWithdrawal.objects.filter(consent=shared).exists()
        rows, html = self.work_rows(client_for(klantmanager_g), case_a)
        assert rows == []
        assert "<td>17</td>" not in html

    def test_the_team_shows_other_organisations_only_while_consent_lets_theirs_read(
        self, client_for, behandelaar_a, klantmanager_g, adviseur_u, case_a, shared
    ):
        """A GGZ provider on the team says the client is in treatment: the klantmanager sees
        GGZ A's people while a consent lets the gemeente read GGZ A's data, and from the next
        request after the withdrawal no more; never UWV's, whose data the client shares with
        nobody. GGZ A runs the case and sees everyone, and when it was opened."""
        consent.add_member(case_a, adviseur_u, CaseRole.KLANTMANAGER)
        url = reverse("cases:detail", args=[case_a.pk])

        def team(user):
            response = client_for(user).get(url)
            assert response.status_code == 200
            names = {m.get_full_name() for m, _role in response.context["team"]}
            return names, "Casus geopend" in response.content.decode()

        everyone = {u.get_full_name() for u in (behandelaar_a, klantmanager_g, adviseur_u)}
        assert team(behandelaar_a) == (everyone, True)
        assert team(klantmanager_g) == (
            {behandelaar_a.get_full_name(), klantmanager_g.get_full_name()},
            False,  # when GGZ A opened the case is GGZ A's to know
        )
        assert team(adviseur_u) == ({adviseur_u.get_full_name()}, False)
        html = client_for(klantmanager_g).get(url).content.decode()
        assert adviseur_u.get_full_name() not in html
        assert "Teamleden van een andere organisatie staan hier alleen" in html
        assert "Teamleden van een andere organisatie" not in (
            client_for(behandelaar_a).get(url).content.decode()
        )

        client_for(behandelaar_a).post(
            reverse("consent:withdraw", args=[shared.pk]),
            {"method": ConsentMethod.MONDELING, "withdrawn_on": timezone.localdate().isoformat()},
        )
        assert team(klantmanager_g) == ({klantmanager_g.get_full_name()}, False)
        assert (
            behandelaar_a.get_full_name()
            not in client_for(klantmanager_g).get(url).content.decode()
        )
        assert team(behandelaar_a) == (everyone, True)

    def test_whoever_leads_sees_the_whole_team(
        self, client_for, klantmanager_g, behandelaar_a, adviseur_u, outsider
    ):
        """A GGZ regiebehandelaar on a case the gemeente opened leads it: they invite and
        take people off, so they see everyone (and the same answer for a member and anyone
        else would be no answer). A behandelaar of another GGZ on that team does not."""
        from .builders import make_case

        case = make_case(klantmanager_g)
        consent.add_member(case, behandelaar_a, CaseRole.REGIEBEHANDELAAR)
        consent.add_member(case, adviseur_u, CaseRole.KLANTMANAGER)
        consent.add_member(case, outsider, CaseRole.BEHANDELAAR)
        url = reverse("cases:detail", args=[case.pk])

        def team(user):
            return {m for m, _role in client_for(user).get(url).context["team"]}

        assert team(behandelaar_a) == {klantmanager_g, behandelaar_a, adviseur_u, outsider}
        assert team(outsider) == {outsider}
        # Only who may not see everyone is told that others may be left out.
        note = "Teamleden van een andere organisatie staan hier alleen"
        assert note not in client_for(behandelaar_a).get(url).content.decode()
        assert note in client_for(outsider).get(url).content.decode()
        leave = reverse("cases:leave", args=[case.pk])
        page = client_for(behandelaar_a).get(leave, {"gebruiker": adviseur_u.pk})
        assert page.status_code == 200
        assert client_for(outsider).get(leave, {"gebruiker": adviseur_u.pk}).status_code == 404

    def test_expiry_takes_effect_the_next_day(self, client_for, klantmanager_g, case_a, shared):
        last_day = datetime.datetime.combine(shared.valid_until, datetime.time(12, 0))
        with time_machine.travel(timezone.make_aware(last_day), tick=False):
            assert self.work_rows(client_for(klantmanager_g), case_a)[0] == [17]
        next_day = last_day + datetime.timedelta(days=1)
        with time_machine.travel(timezone.make_aware(next_day), tick=False):
            assert self.work_rows(client_for(klantmanager_g), case_a)[0] == []
