"""What an exploratory tester of input handling found (5 December, late night): a server
error, input dropped without a word, and refusals that said nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import leidraad_content as content
from cases import leidraad_services as leidraad
from cases.constants import LeidraadStatus
from cases.models import Conversation
from portal import views as portal_views
from portal.forms import NOT_SAVED_RELOAD
from portal.models import User

from .test_conversations import create_url, form_data
from .test_leidraad import case_a, start, step_url  # noqa: F401

BEHEER_URL = reverse("cases:leidraad_beheer")
HALF_A_CHARACTER = "losse \\u-code van een half teken"


@pytest.fixture
def guide(db):
    return leidraad.ensure_bundled()


def guide_text(**changes):
    """The bundled guide as JSON text (escaped ASCII, as some tools write it), with
    ``changes`` put in as raw JSON text."""
    text = json.dumps(content.load_bundled(), ensure_ascii=True)
    for old, new in changes.items():
        text = text.replace(old, new, 1)
    return text


def publish(c, action="publiceren", **data):
    return c.post(BEHEER_URL, {"note": "nieuw", "action": action, **data})


class TestGuideWithHalfACharacter:
    """JSON may write half a character (\\ud800–\\udfff) on its own; no UTF-8 text holds it:
    a 500 on the preview and on publishing (the page, the checksum)."""

    @pytest.mark.parametrize("action", ["controleren", "publiceren"])
    def test_in_a_text_refused_in_dutch(self, client_for, beheerder_a, guide, action):
        title = json.dumps(content.load_bundled()["title"], ensure_ascii=True)
        text = guide_text(**{title: '"Titel \\ud800 kapot"'})
        response = publish(client_for(beheerder_a), action, text=text)
        assert response.status_code == 200
        assert HALF_A_CHARACTER in response.content.decode()
        assert leidraad.latest_version().number == 1

    def test_in_an_uploaded_file_and_in_a_field_name(self, client_for, beheerder_a, guide):
        text = guide_text(**{'"title"': '"\\udc00x": 1, "title"'})
        upload = SimpleUploadedFile("l.json", text.encode(), "application/json")
        response = publish(client_for(beheerder_a), upload=upload)
        assert response.status_code == 200
        assert HALF_A_CHARACTER in response.content.decode()
        assert leidraad.latest_version().number == 1

    def test_a_whole_character_written_as_two_halves_is_fine(self):
        """An emoji escaped as its surrogate pair is one character, not half of one."""
        title = json.dumps(content.load_bundled()["title"], ensure_ascii=True)
        data = content.parse(guide_text(**{title: '"Werk \\ud83d\\udcbc"'}))
        assert data["title"] == "Werk \N{BRIEFCASE}"


def test_pasted_text_and_a_file_are_not_chosen_between_silently(client_for, beheerder_a, guide):
    """The file won and the pasted edits were gone, published without a word."""
    pasted, filed = content.load_bundled(), content.load_bundled()
    pasted["title"], filed["title"] = "Geplakt", "Uit het bestand"
    upload = SimpleUploadedFile("l.json", json.dumps(filed).encode(), "application/json")
    response = publish(client_for(beheerder_a), text=json.dumps(pasted), upload=upload)
    assert response.status_code == 200
    assert "Plak de inhoud óf kies een bestand, niet allebei." in response.content.decode()
    assert leidraad.latest_version().number == 1


class TestVersionMissing:
    """A form whose hidden version comes back missing (a stale cached page, a cut-short
    post): refused with a message, never nothing at all."""

    def test_leidraad_step(self, client_for, behandelaar_a, case_a, guide):  # noqa: F811
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        key = session.guide.themes[0]["key"]
        response = c.post(step_url(case_a, session, 1), {"themes": [key]})
        assert response.status_code == 200
        assert str(NOT_SAVED_RELOAD) in response.content.decode()
        session.refresh_from_db()
        assert not session.theme_notes.exists()

    def test_leidraad_finish(self, client_for, behandelaar_a, case_a, guide):  # noqa: F811
        c = client_for(behandelaar_a)
        session = start(c, case_a)
        response = c.post(step_url(case_a, session, 3), {"action": "afronden"}, follow=True)
        assert str(NOT_SAVED_RELOAD) in response.content.decode()
        session.refresh_from_db()
        assert session.status == LeidraadStatus.BEZIG

    def test_conversation_edit(self, client_for, behandelaar_a, case_a):  # noqa: F811
        c = client_for(behandelaar_a)
        assert c.post(create_url(case_a), form_data()).status_code == 302
        conversation = Conversation.objects.get()
        url = reverse("cases:conversation_edit", args=[case_a.pk, conversation.pk])
        data = form_data(next_what=None, next_owner=None, next_due=None, summary="Nieuw")
        response = c.post(url, {k: v for k, v in data.items() if v is not None})
        assert response.status_code == 200
        assert str(NOT_SAVED_RELOAD) in response.content.decode()
        conversation.refresh_from_db()
        assert conversation.summary != "Nieuw"


def test_an_account_made_meanwhile_for_the_same_address(client_for, beheerder_a, monkeypatch):
    """Two tabs or two beheerders at once: the form's check passed for both, the second
    save met the unique address and gave a 500. Here the other account is made right after
    this form's check, as the race does."""
    original = portal_views.OrganisationUserForm.is_valid

    def checked_then_beaten(form):
        valid = original(form)
        User.objects.create(
            email="dubbel@a.test", organisation=beheerder_a.organisation, role="behandelaar"
        )
        return valid

    monkeypatch.setattr(portal_views.OrganisationUserForm, "is_valid", checked_then_beaten)
    data = {"email": "dubbel@a.test", "first_name": "Dub", "last_name": "Bel"}
    response = client_for(beheerder_a).post(
        reverse("portal:user_create"), {**data, "role": "behandelaar"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Er bestaat al een account met dit e-mailadres."
    ]
    assert User.objects.filter(email="dubbel@a.test").count() == 1
