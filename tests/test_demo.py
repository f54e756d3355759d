"""The demo world: refuses outside demo/DEBUG, loads idempotently, and its accounts work."""

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, Client, TimelineEntry
from consent.models import Consent
from portal import demo
from portal.models import Organisation, User


def test_refuses_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demomodus"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_loads_idempotently_and_every_account_signs_in(db, settings, client):
    settings.DEMO_MODE = True
    call_command("load_demo")
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        Client.objects.count(),
        Case.objects.count(),
        Consent.objects.count(),
        TimelineEntry.objects.count(),
    )
    call_command("load_demo")
    assert counts == (
        Organisation.objects.count(),
        User.objects.count(),
        Client.objects.count(),
        Case.objects.count(),
        Consent.objects.count(),
        TimelineEntry.objects.count(),
    )
    assert counts[:4] == (3, 6, 12, 12)
    for email, _first, _last, org, role in demo.ACCOUNTS:
        user = User.objects.get(email=email)
        assert (user.organisation.name, user.role) == (org, role)
        response = client.post("/accounts/login/", {"login": email, "password": "demo1234"})
        assert response.status_code == 302, email
        client.logout()


def test_demo_has_clinical_notes_and_consents_in_every_state(db, settings):
    settings.DEMO_MODE = True
    call_command("load_demo")
    assert TimelineEntry.objects.filter(category="medisch").count() >= 12
    states = {consent.state() for consent in Consent.objects.all()}
    assert {"actief", "verlopen", "ingetrokken"} <= states
    gemeente = Organisation.objects.get(name="Gemeente Havenstad")
    shared = Case.objects.filter(members__user__organisation=gemeente).distinct().count()
    assert shared >= 4
    # at least one shared case has no consent at all
    assert (
        Case.objects.filter(members__user__organisation=gemeente)
        .exclude(client__consents__isnull=False)
        .exists()
    )
