"""What a crawl of every page as every role found (5 December): who publishes the
gespreksleidraad and where the way there is; the platform administrator's start page; a
conversation's name and a trajectory referred today in words."""

import datetime
import json

import pytest
from django.urls import reverse

from cases.constants import ConversationForm, StageOfChange, TargetBehaviour
from cases.models import Conversation
from cases.models.leidraad import LeidraadVersion
from ips.figures import RapidSearch

from .test_ips import new_case, start_trajectory

PUBLISH = "/beheer/gespreksleidraad/"


class TestWhoPublishesTheGuide:
    @pytest.mark.parametrize(
        "name, may", [("beheerder_a", True), ("superuser", True), ("beheerder_g", False)]
    )
    def test_a_ggz_beheerder_or_the_platform_not_werk_en_inkomen(
        self, request, client_for, name, may
    ):
        c = client_for(request.getfixturevalue(name))
        assert c.get(PUBLISH).status_code == (200 if may else 404)

    def test_a_gemeentes_beheerder_cannot_publish_by_posting(self, client_for, beheerder_g):
        text = json.dumps(LeidraadVersion.objects.get(number=1).content, ensure_ascii=False)
        response = client_for(beheerder_g).post(
            PUBLISH, {"text": text, "note": "x", "action": "publiceren"}
        )
        assert response.status_code == 404
        assert LeidraadVersion.objects.count() == 1

    @pytest.mark.parametrize("name, linked", [("beheerder_a", True), ("beheerder_g", False)])
    def test_the_beheer_start_page_shows_the_way(self, request, client_for, name, linked):
        page = client_for(request.getfixturevalue(name)).get(reverse("portal:home"))
        assert (f'href="{PUBLISH}"' in page.content.decode()) is linked


def test_the_platform_administrators_start_page_leads_somewhere(client_for, superuser):
    page = client_for(superuser).get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("admin:index")}"' in page
    assert f'href="{PUBLISH}"' in page
    assert 'aria-label="Hoofdmenu"' not in page  # no empty landmark


def test_a_professional_still_has_the_main_menu(client_for, behandelaar_a):
    page = client_for(behandelaar_a).get(reverse("portal:home")).content.decode()
    assert 'aria-label="Hoofdmenu"' in page


def test_a_conversation_is_named_with_its_date_in_words():
    held = Conversation(
        held_on=datetime.date(2026, 10, 6),
        form=ConversationForm.PERSOONLIJK,
        stage=StageOfChange.ACTIE,
        target_behaviour=TargetBehaviour.WERK_ZOEKEN,
    )
    assert str(held) == "Motiverend gesprek van 6 oktober 2026"


@pytest.mark.parametrize(
    "waiting, text",
    [
        (0, "Nog geen werkgeverscontact, vandaag aangemeld"),
        (1, "Nog geen werkgeverscontact, 1 dag na aanmelding"),
        (5, "Nog geen werkgeverscontact, 5 dagen na aanmelding"),
    ],
)
def test_waiting_for_a_first_contact_in_words(waiting, text):
    assert str(RapidSearch(None, waiting, False)) == text


def test_a_trajectory_referred_today_says_so(client_for, behandelaar_a, jobcoach_a):
    case = new_case(behandelaar_a)
    start_trajectory(behandelaar_a, jobcoach_a, case)
    page = client_for(jobcoach_a).get(reverse("ips:trajectory", args=[case.pk])).content.decode()
    assert "vandaag aangemeld" in page
    assert "0 dagen" not in page
