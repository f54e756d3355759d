"""Access-log writes are also emitted as structured audit events (structlog)."""

import datetime

from django.urls import reverse
from structlog.testing import capture_logs

from cases import services


def test_case_page_read_emits_structured_events(client_for, behandelaar_a, outsider):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth=datetime.date(1990, 5, 17),
        bsn="111222333",
    )
    case = services.open_case(behandelaar_a, client)
    with capture_logs() as events:
        client_for(behandelaar_a).get(reverse("cases:detail", args=[case.pk]))
    reads = [e for e in events if e["event"] == "inzagelog"]
    assert reads, "a case page read must emit audit events"
    assert {e["outcome"] for e in reads} == {"toegestaan"}
    assert {e["case_id"] for e in reads} == {case.pk}
    assert all(e["request_id"] for e in reads)

    with capture_logs() as events:
        response = client_for(outsider).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 404
    denied = [e for e in events if e["event"] == "inzagelog"]
    assert [(e["outcome"], e["user_id"]) for e in denied] == [("geweigerd", outsider.pk)]
