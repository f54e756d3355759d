"""The signed form added after the consent was recorded. The consent page offers the form to
print for signing only once the consent is recorded, and the record could not be changed:
the signed copy, the proof that the client gave it (AVG art. 7), had nowhere to go (review
of the brief, 5 December). Whoever may record the organisation's consents adds it, once."""

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from cases.constants import CaseRole
from cases.models import TimelineEntry
from consent import services as consent
from consent import views
from consent.constants import Action, Outcome
from consent.models import AccessLogEntry, Consent

from .builders import SIGNED_PNG, withdraw
from .test_reports import shared_case  # noqa: F401

PNG = SIGNED_PNG
ADD = "Ondertekend formulier toevoegen"


@pytest.fixture
def storage(monkeypatch, tmp_path):
    storage = FileSystemStorage(location=tmp_path / "formulieren")
    monkeypatch.setattr(Consent._meta.get_field("form"), "storage", storage)
    return tmp_path / "formulieren"


@pytest.fixture
def record(shared_case):  # noqa: F811
    return Consent.objects.get(pk=shared_case.consent_record.pk)


def stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def scan(content=PNG, name="scan van formulier.png"):
    return SimpleUploadedFile(name, content, "image/png")


def add_url(record):
    return reverse("consent:form_add", args=[record.pk])


def test_the_behandelaar_adds_the_signed_form_once(client_for, behandelaar_a, record, storage):
    c = client_for(behandelaar_a)
    detail = c.get(reverse("consent:detail", args=[record.pk])).content.decode()
    assert ADD in detail and "niet geüpload" in detail
    assert c.get(add_url(record)).status_code == 200

    response = c.post(add_url(record), {"signed_form": scan()}, follow=True)

    html = response.content.decode()
    assert f"Het ondertekende formulier is bij toestemming nr. {record.pk} opgeslagen." in html
    assert "Formulier downloaden" in html and "toegevoegd door" in html and ADD not in html
    record.refresh_from_db()
    assert record.form.name.endswith(".png") and "scan van" not in record.form.name
    assert record.form_added_by == behandelaar_a and record.form_added_at is not None
    assert TimelineEntry.objects.filter(
        case=record.client.cases.get(),
        title=f"Ondertekend formulier toegevoegd aan toestemming nr. {record.pk}",
    ).exists()
    assert AccessLogEntry.objects.filter(
        user=behandelaar_a,
        action=Action.CREATE,
        object_type="ondertekend formulier",
        object_id=str(record.pk),
        outcome=Outcome.TOEGESTAAN,
    ).exists()
    download = c.get(reverse("consent:form_download", args=[record.pk]))
    assert b"".join(download.streaming_content) == PNG

    # Never replaced: a second one is refused and the first stays.
    first = record.form.name
    again = c.post(add_url(record), {"signed_form": scan(PNG + b"anders")}, follow=True)
    assert "heeft al een ondertekend formulier; dat blijft zoals het is." in again.content.decode()
    record.refresh_from_db()
    assert record.form.name == first
    assert len(stored_files(storage)) == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Kies het bestand met het ondertekende formulier."),
        (scan(b"geen plaatje"), "Dit bestand is geen PDF, JPEG of PNG."),
        (scan(PNG + b"\x00" * 2048), "Het bestand is te groot: het mag hoogstens 2,0"),
    ],
)
def test_a_wrong_file_is_refused_in_dutch_and_nothing_is_kept(
    client_for, behandelaar_a, record, storage, upload, message
):
    data = {} if upload is None else {"signed_form": upload}
    with override_settings(WERKPAD_CONSENT_UPLOAD_MAX_BYTES=2048):
        response = client_for(behandelaar_a).post(add_url(record), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    record.refresh_from_db()
    assert not record.form and record.form_added_by is None
    assert stored_files(storage) == []


def test_an_ended_consent_gets_its_proof_too(client_for, behandelaar_a, record, storage):
    withdraw(record, behandelaar_a)
    c = client_for(behandelaar_a)
    assert ADD in c.get(reverse("consent:detail", args=[record.pk])).content.decode()
    assert c.post(add_url(record), {"signed_form": scan()}).status_code == 302
    record.refresh_from_db()
    assert record.form


def test_the_beheerder_of_the_provider_adds_it(client_for, beheerder_a, record, storage):
    c = client_for(beheerder_a)
    assert ADD in c.get(reverse("consent:detail", args=[record.pk])).content.decode()
    assert c.post(add_url(record), {"signed_form": scan()}).status_code == 302
    record.refresh_from_db()
    assert record.form_added_by == beheerder_a


def test_who_may_not_add_it(
    client, client_for, record, storage, jobcoach_a, klantmanager_g, beheerder_g, outsider
):
    url = add_url(record)
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    assert client.post(url, {"signed_form": scan()}).status_code == 302
    # A trajectbegeleider of the provider, on the team, opens the consent but does not
    # record consents (policy: no identificatie to create): no link, and refused.
    consent.add_member(record.client.cases.get(), jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    c = client_for(jobcoach_a)
    detail = c.get(reverse("consent:detail", args=[record.pk]))
    assert detail.status_code == 200 and ADD not in detail.content.decode()
    assert c.post(url, {"signed_form": scan()}).status_code == 404
    # The recipient's klantmanager and beheerder, another GGZ: not their record.
    for user in (klantmanager_g, beheerder_g, outsider):
        assert client_for(user).post(url, {"signed_form": scan()}).status_code == 404
    record.refresh_from_db()
    assert not record.form
    assert stored_files(storage) == []
    refused = AccessLogEntry.objects.filter(
        object_id=str(record.pk), outcome=Outcome.GEWEIGERD, user__in=[jobcoach_a, klantmanager_g]
    )
    assert refused.count() == 2


def test_a_colleague_who_added_one_first_keeps_theirs(
    rf, behandelaar_a, beheerder_a, record, storage
):
    """Two people with the page open: the second finds the form there when storing, and
    nothing of theirs is stored."""
    stale = Consent.objects.get(pk=record.pk)  # read before the colleague's form
    request = rf.post("/")
    request.user = beheerder_a
    assert views._add_signed_form(request, record, scan(), consent.Decision(True), None)
    request.user = behandelaar_a
    decision = consent.Decision(True)
    assert not views._add_signed_form(request, stale, scan(PNG + b"2"), decision, None)
    record.refresh_from_db()
    assert record.form_added_by == beheerder_a
    assert len(stored_files(storage)) == 1
