"""An answer to an invitation that does not validate comes back on the start page in its own
card: what was typed kept, the error at the field it is about; nothing saved or logged as a
change. Answers that do validate, and answers to what was answered already, go on as before."""

from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.constants import CaseRole, InvitationStatus
from consent import services as consent
from consent.constants import Action
from consent.models import AccessLogEntry

from .builders import make_case
from .html_checks import assert_errors_tied_to_fields

pytestmark = pytest.mark.django_db

NEED_A_REASON = "Geef een reden op waarom u afwijst."


class _Fields(HTMLParser):
    """The reason fields on a page: {id: (attrs, text)}."""

    def __init__(self):
        super().__init__()
        self.fields, self._open = {}, None

    def handle_starttag(self, tag, attrs):
        if tag == "textarea" and dict(attrs).get("name") == "reason":
            self._open = dict(attrs)["id"]
            self.fields[self._open] = (dict(attrs), "")

    def handle_data(self, data):
        if self._open:
            attrs, text = self.fields[self._open]
            self.fields[self._open] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._open = None


def reason_fields(response):
    page = _Fields()
    page.feed(response.content.decode())
    return page.fields


def field_of(invitation):
    return f"antwoord-{invitation.pk}-reason"


def invite(lead, invitee, role=CaseRole.BEHANDELAAR):
    case = make_case(lead)
    return services.invite(consent.case_access(lead, case), invitee, role)


def answer(client, invitation, **data):
    return client.post(reverse("cases:respond", args=[invitation.pk]), data)


def change_logged(invitation):
    return AccessLogEntry.objects.filter(
        object_type="uitnodiging", object_id=str(invitation.pk), action=Action.UPDATE
    ).exists()


def test_a_decline_without_reason_comes_back_with_the_error_at_the_field(
    client_for, behandelaar_a, behandelaar_a2
):
    invitation = invite(behandelaar_a, behandelaar_a2)
    other = invite(behandelaar_a, behandelaar_a2)
    response = answer(client_for(behandelaar_a2), invitation, accept="0", reason="   ")
    assert response.status_code == 200
    html = response.content.decode()
    assert NEED_A_REASON in html
    assert_errors_tied_to_fields(html)
    fields = reason_fields(response)
    attrs, _text = fields[field_of(invitation)]
    assert attrs.get("aria-invalid") == "true"
    error_id = f"{field_of(invitation)}_error"
    assert error_id in attrs["aria-describedby"].split()
    assert f'id="{error_id}"' in html
    # Only the answered invitation's form is bound; the other's is as it was.
    other_attrs, other_text = fields[field_of(other)]
    assert "aria-invalid" not in other_attrs
    assert other_text.strip() == ""
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN
    assert invitation.responded_by is None
    assert not change_logged(invitation)
    assert list(get_messages(response.wsgi_request)) == []


def test_a_reason_too_long_is_kept_as_typed(client_for, behandelaar_a, behandelaar_a2):
    invitation = invite(behandelaar_a, behandelaar_a2)
    typed = "Geen ruimte in mijn caseload " + "x" * 1000
    response = answer(client_for(behandelaar_a2), invitation, accept="0", reason=typed)
    assert response.status_code == 200
    attrs, text = reason_fields(response)[field_of(invitation)]
    assert text.strip() == typed
    assert attrs.get("aria-invalid") == "true"
    assert "niet meer dan 1000 tekens" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN
    assert invitation.decline_reason == ""
    assert not change_logged(invitation)


def test_a_forged_choice_is_named_in_the_card(client_for, behandelaar_a, behandelaar_a2):
    invitation = invite(behandelaar_a, behandelaar_a2)
    response = answer(client_for(behandelaar_a2), invitation, accept="misschien")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kies accepteren of afwijzen." in html
    assert_errors_tied_to_fields(html)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPEN
    assert not change_logged(invitation)


def test_the_page_after_a_refused_answer_filters_on_the_start_page(
    client_for, behandelaar_a, behandelaar_a2
):
    """The page stands at the answer's address, which takes only a POST: its filter form
    goes to the start page."""
    invitation = invite(behandelaar_a, behandelaar_a2)
    html = answer(client_for(behandelaar_a2), invitation, accept="0").content.decode()
    assert f'<form method="get" action="{reverse("portal:home")}" class="filters">' in html


def test_a_valid_decline_goes_home_with_the_reason_saved(client_for, behandelaar_a, behandelaar_a2):
    invitation = invite(behandelaar_a, behandelaar_a2)
    response = answer(client_for(behandelaar_a2), invitation, accept="0", reason="Vol")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Uitnodiging afgewezen."]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.decline_reason) == (InvitationStatus.AFGEWEZEN, "Vol")
    assert change_logged(invitation)


def test_an_accept_still_goes_to_the_case(client_for, behandelaar_a, behandelaar_a2):
    invitation = invite(behandelaar_a, behandelaar_a2)
    response = answer(client_for(behandelaar_a2), invitation, accept="1")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[invitation.case_id])
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.GEACCEPTEERD
    assert change_logged(invitation)


def test_an_answer_to_what_was_answered_already_says_so(client_for, behandelaar_a, behandelaar_a2):
    invitation = invite(behandelaar_a, behandelaar_a2)
    services.respond(invitation, behandelaar_a2, accept=True)
    # Even a decline without reason: what counts is that it was answered (in another tab).
    response = answer(client_for(behandelaar_a2), invitation, accept="0", reason="")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Deze uitnodiging is al beantwoord."
    ]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.GEACCEPTEERD


def test_someone_else_s_invitation_is_not_found_whatever_the_answer(
    client_for, behandelaar_a, behandelaar_a2, outsider
):
    invitation = invite(behandelaar_a, behandelaar_a2)
    response = answer(client_for(outsider), invitation, accept="0", reason="")
    assert response.status_code == 404
    assert AccessLogEntry.objects.filter(
        user=outsider, object_type="uitnodiging", outcome="geweigerd"
    ).exists()
    assert NEED_A_REASON not in response.content.decode()


def test_the_start_page_s_queries_do_not_grow_with_the_invitations(
    client_for, behandelaar_a, behandelaar_a2, django_assert_num_queries
):
    """Each card's form is built from what the invitation list already holds."""
    for _ in range(2):
        invite(behandelaar_a, behandelaar_a2)
    c = client_for(behandelaar_a2)
    with CaptureQueriesContext(connection) as few:
        assert c.get(reverse("portal:home")).status_code == 200
    for _ in range(20):
        invite(behandelaar_a, behandelaar_a2)
    with django_assert_num_queries(len(few)):
        page = c.get(reverse("portal:home"))
    assert len(reason_fields(page)) == 22
