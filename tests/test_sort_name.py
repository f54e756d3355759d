"""Names in lists sort the Dutch way (portal.words.sort_name): 'de Vries' under V and 'van
den Berg' under B, its prefixes after the name; kept by save() for users and clients, filled
for those there before, and used by the lists of people."""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from cases import services
from cases.models import Client
from portal.constants import Role
from portal.models import User
from portal.words import sort_name

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("last_name", "key"),
    [
        ("de Vries", "vries de"),
        ("van den Berg", "berg van den"),
        ("'t Hart", "hart t"),
        ("Van Dijk", "dijk van"),  # a prefix with a capital (no first name before it)
        ("De Vries", "vries de"),
        ("da Silva", "silva da"),  # a prefix in lower case, not Dutch
        ("Jansen", "jansen"),
        ("Öztürk", "ozturk"),
        ("El Idrissi", "el idrissi"),  # capitals: part of the name
        ("d'Ancona", "dancona"),  # one word: the name itself
        ("", ""),
    ],
)
def test_the_sort_name(last_name, key):
    assert sort_name(last_name) == key


def test_the_user_list_sorts_de_vries_under_v(client_for, ggz_a, beheerder_a):
    for last_name in ("de Vries", "Dekker", "Visser", "van den Berg", "Bakker"):
        UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR, last_name=last_name)
    html = client_for(beheerder_a).get(reverse("portal:user_list")).content.decode()
    names = "de Vries|Dekker|Visser|van den Berg|Bakker"
    shown = re.findall(rf"<td>\w+ ({names})</td>", html)
    assert shown == ["Bakker", "van den Berg", "Dekker", "Visser", "de Vries"]


def test_the_sort_name_follows_a_change_of_name(behandelaar_a):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="Jansen",
        date_of_birth="1990-05-17",
        bsn="111222333",
    )
    client.last_name = "van der Meer"
    client.save(update_fields=["last_name"])
    behandelaar_a.last_name = "de Graaf"
    behandelaar_a.save(update_fields=["last_name"])
    assert Client.objects.get(pk=client.pk).sort_name == "meer van der"
    assert User.objects.get(pk=behandelaar_a.pk).sort_name == "graaf de"


def test_those_there_before_get_one(behandelaar_a):
    client = services.register_client(
        behandelaar_a,
        first_name="Eva",
        last_name="de Wit",
        date_of_birth="1990-05-17",
        bsn="111222333",
    )
    Client.objects.filter(pk=client.pk).update(sort_name="")
    User.objects.filter(pk=behandelaar_a.pk).update(last_name="van Dijk", sort_name="")
    importlib.import_module("cases.migrations.0011_sort_name").fill(apps, None)
    importlib.import_module("portal.migrations.0005_sort_name").fill(apps, None)
    assert Client.objects.get(pk=client.pk).sort_name == "wit de"
    assert User.objects.get(pk=behandelaar_a.pk).sort_name == "dijk van"
