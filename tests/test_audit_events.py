"""Access-log writes are also emitted as structured audit events (structlog)."""

import datetime
from types import SimpleNamespace

from django.db import transaction
from django.urls import reverse
from structlog.testing import capture_logs

from cases import services
from consent import services as consent
from consent.constants import Action, Category
from consent.models import AccessLogEntry

from .builders import make_case


def test_case_page_read_emits_structured_events(
    client_for, behandelaar_a, outsider, django_capture_on_commit_callbacks
):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn="111222333",
    )
    case = services.open_case(behandelaar_a, client)
    with capture_logs() as events, django_capture_on_commit_callbacks(execute=True):
        client_for(behandelaar_a).get(reverse("cases:detail", args=[case.pk]))
    reads = [e for e in events if e["event"] == "inzagelog"]
    assert reads, "a case page read must emit audit events"
    assert {e["outcome"] for e in reads} == {"toegestaan"}
    assert {e["case_id"] for e in reads} == {case.pk}
    assert all(e["request_id"] for e in reads)

    with capture_logs() as events, django_capture_on_commit_callbacks(execute=True):
        response = client_for(outsider).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 404
    denied = [e for e in events if e["event"] == "inzagelog"]
    assert [(e["outcome"], e["user_id"]) for e in denied] == [("geweigerd", outsider.pk)]


def test_an_entry_rolled_back_with_its_change_is_not_in_the_stream(
    behandelaar_a, django_capture_on_commit_callbacks
):
    """A change and its access-log entry commit together (or not at all); the audit stream
    follows the commit, so it never names an entry that was rolled back."""
    case = make_case(behandelaar_a)
    request = SimpleNamespace(user=behandelaar_a, META={}, headers={}, request_id="r-1", path="/")

    def log_change(object_id):
        consent.log_changes(
            request, case, [("notitie", object_id, Category.MEDISCH, Action.CREATE)]
        )

    with capture_logs() as events, django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                log_change(1)
                raise RuntimeError("the change fails after its entry was written")
        except RuntimeError:
            pass
        with transaction.atomic():
            log_change(2)
    streamed = [e["object_id"] for e in events if e["event"] == "inzagelog"]
    assert streamed == ["2"]
    assert list(
        AccessLogEntry.objects.filter(case=case, object_type="notitie").values_list(
            "object_id", flat=True
        )
    ) == ["2"]
