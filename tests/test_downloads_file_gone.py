"""A download whose stored file is gone (purged a moment before, which removes the file before
its row; a database restored without its files): a 404, not a server error, and no export
in the access log, as nothing left the portal (exploratory tester, 5 December)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from consent.constants import Action
from consent.models import AccessLogEntry, Consent
from portal import reports
from portal.models import ReportStatus, ReportType

from . import test_reports

_private_media = test_reports._private_media
shared_case = test_reports.shared_case


def exports(user, object_type):
    return AccessLogEntry.objects.filter(user=user, action=Action.EXPORT, object_type=object_type)


@pytest.fixture
def made(behandelaar_a, shared_case):
    report = reports.request_report(
        behandelaar_a, ReportType.VOORTGANG, "Voortgang", case=shared_case
    )
    reports.render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.KLAAR, report.error
    return report


def test_a_report_whose_file_is_gone(client_for, behandelaar_a, made):
    c = client_for(behandelaar_a)
    c.raise_request_exception = False
    url = reverse("portal:report_download", args=[made.pk])
    made.file.storage.delete(made.file.name)
    assert c.get(url).status_code == 404
    assert not exports(behandelaar_a, "rapport").exists()


def test_a_report_whose_file_is_there_is_downloaded_and_logged(client_for, behandelaar_a, made):
    response = client_for(behandelaar_a).get(reverse("portal:report_download", args=[made.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert exports(behandelaar_a, "rapport").filter(outcome="toegestaan").exists()


@pytest.fixture
def signed(monkeypatch, tmp_path, shared_case):
    storage = FileSystemStorage(location=tmp_path / "formulieren")
    monkeypatch.setattr(Consent._meta.get_field("form"), "storage", storage)
    record = Consent.objects.get(pk=shared_case.consent_record.pk)
    record.form.save("toestemming.pdf", ContentFile(b"%PDF-1.4 getekend"), save=False)
    record.save(update_fields=["form"], _allow_update=True)
    return record


@pytest.mark.parametrize("gone", [True, False])
def test_a_signed_form(client_for, behandelaar_a, signed, gone):
    c = client_for(behandelaar_a)
    c.raise_request_exception = False
    if gone:
        signed.form.storage.delete(signed.form.name)
    response = c.get(reverse("consent:form_download", args=[signed.pk]))
    assert response.status_code == (404 if gone else 200)
    assert exports(behandelaar_a, "ondertekend formulier").exists() is not gone


def test_a_refused_case_opening_is_logged_in_dutch(client_for, outsider, shared_case):
    """The log line the client reads in an AVG-inzage names a 'cliënt', not a 'client'."""
    url = reverse("cases:case_open", args=[shared_case.client_id])
    assert client_for(outsider).post(url, {"bsn": "x"}).status_code == 404
    assert set(
        AccessLogEntry.objects.filter(user=outsider).values_list("object_type", flat=True)
    ) == {"cliënt"}
