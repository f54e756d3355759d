"""What a security-minded tester found (5 December): behind the deployment's TLS proxy the
sign-in limits per address and the access log take the client's address, not the proxy's;
a hostile gespreksleidraad file is refused in Dutch, not with a server error."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import leidraad_services
from consent.models import AccessLogEntry

from .builders import make_case
from .conftest import PASSWORD
from .test_security_hardening import in_production

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
PROXY = "172.18.0.1"


@pytest.fixture
def behind_the_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def via_proxy(address):
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)


def test_one_attacker_does_not_lock_out_a_colleague(behind_the_proxy, behandelaar_a):
    attacker = via_proxy("203.0.113.66")
    for i in range(10):
        attacker.post(LOGIN, {"login": f"gok{i}@a.test", "password": "fout"})
    right = {"login": behandelaar_a.email, "password": PASSWORD}
    # The attacker's address is stopped, even with the right password...
    assert attacker.post(LOGIN, right).status_code != 302
    # ...a colleague at another address is not.
    assert via_proxy("198.51.100.7").post(LOGIN, right).status_code == 302


def test_the_access_log_holds_the_clients_address(behind_the_proxy, behandelaar_a):
    case = make_case(behandelaar_a)
    c = via_proxy("198.51.100.7")
    c.force_login(behandelaar_a, backend="portal.backends.UserBackend")
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    addresses = set(
        AccessLogEntry.objects.filter(user=behandelaar_a).values_list("ip_address", flat=True)
    )
    assert addresses == {"198.51.100.7"}


PROBE = """
import json
from django.conf import settings
print("PROBE" + json.dumps(settings.ALLAUTH_TRUSTED_PROXY_COUNT))
"""


@pytest.mark.parametrize("environment, count", [({}, 1), ({"TRUSTED_PROXY_COUNT": "0"}, 0)])
def test_production_trusts_one_proxy_unless_told_otherwise(environment, count):
    assert in_production(PROBE, **environment) == count


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000 + "]" * 50_000, '{"a":' * 20_000 + "1" + "}" * 20_000, "1" * 5000],
    ids=["deep-array", "deep-object", "huge-number"],
)
def test_a_hostile_guide_file_is_refused_in_dutch(client_for, beheerder_a, text):
    leidraad_services.ensure_bundled()
    response = client_for(beheerder_a).post(
        reverse("cases:leidraad_beheer"),
        {
            "upload": SimpleUploadedFile("l.json", text.encode(), "application/json"),
            "note": "x",
            "action": "publiceren",
        },
    )
    assert response.status_code == 200
    assert "Dit is geen bruikbare JSON" in response.content.decode()
    assert leidraad_services.latest_version().number == 1
