"""A form that adds something is handled once: a double click or the same form sent again
(after Back) adds nothing twice (portal.middleware.SubmitOnceMiddleware)."""

import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.constants import TimelineKind
from cases.models import TimelineEntry, WorkSituation
from ips.models import EmployerContact
from portal import middleware
from portal.models import Submission
from portal.tasks import purge_submissions

from .concurrency import at_the_same_time
from .factories import UserFactory
from .test_ips import new_case, post_phase, start_trajectory

REPEATED = (
    "Dit formulier was al verzonden. U ziet wat de eerste keer opleverde; er is niets dubbel "
    "vastgelegd."
)
STILL_BUSY = (
    "Dit formulier is al verzonden en wordt nog verwerkt. Kijk zo of het is vastgelegd "
    "voordat u het opnieuw invult."
)
TOKEN = re.compile(r'name="submission" value="([0-9a-f-]{36})"')

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the server computes
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


def token_of(response):
    tokens = TOKEN.findall(response.content.decode())
    assert len(tokens) == 1
    return tokens[0]


def contact(token, **overrides):
    return {
        "contacted_on": timezone.localdate().isoformat(),
        "employer": "Drukkerij Rivier",
        "type": "eerste_contact",
        "submission": token,
        **overrides,
    }


def signed_in(user):
    browser = Client()
    browser.force_login(user, backend="portal.backends.UserBackend")
    return browser


@pytest.mark.parametrize(
    "name, stored, data",
    [
        (
            "cases:note_create",
            lambda case: TimelineEntry.objects.filter(case=case, kind=TimelineKind.NOTITIE),
            {"title": "Gesprek", "body": "Over werk", "category": "medisch"},
        ),
        (
            "cases:work_situation",
            lambda case: WorkSituation.objects.filter(case=case),
            {"kind": "geen", "benefit": "geen", "wish_to_work": "ja"},
        ),
    ],
)
def test_a_case_form_sent_twice_adds_one_record(client_for, behandelaar_a, name, stored, data):
    case = new_case(behandelaar_a)
    c = client_for(behandelaar_a)
    url = reverse(name, args=[case.pk])
    token = token_of(c.get(url))
    first = c.post(url, {**data, "submission": token})
    assert first.status_code == 302, first.content.decode()[:2000]
    again = c.post(url, {**data, "submission": token})
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert stored(case).count() == 1
    assert REPEATED in [str(m) for m in get_messages(again.wsgi_request)]


def test_every_rendering_has_a_token_of_its_own(client_for, behandelaar_a, jobcoach_a):
    case = new_case(behandelaar_a)
    c = client_for(behandelaar_a)
    pages = [
        reverse("cases:client_create"),
        reverse("cases:note_create", args=[case.pk]),
        reverse("cases:goal_create", args=[case.pk]),
        reverse("cases:agreement_create", args=[case.pk]),
        reverse("cases:driegesprek_plan", args=[case.pk]),
        reverse("cases:work_situation", args=[case.pk]),
        reverse("cases:conversation_create", args=[case.pk]),
        reverse("consent:create_for_case", args=[case.pk]),
    ]
    seen = set()
    for url in pages + pages:
        seen.add(token_of(c.get(url)))
    assert len(seen) == 2 * len(pages)
    assert token_of(client_for(jobcoach_a).get(reverse("ips:contacts")))


def test_a_phase_change_sent_twice_is_no_conflict(client_for, behandelaar_a, jobcoach_a):
    """The phase form is checked against its version: without the token the repeat was told
    that the phase had been changed meanwhile (by the user themself)."""
    from ips.models import PhaseChange

    trajectory = start_trajectory(behandelaar_a, jobcoach_a, new_case(behandelaar_a))
    c = client_for(jobcoach_a)
    token = token_of(c.get(reverse("ips:trajectory", args=[trajectory.case_id])))
    first = post_phase(c, trajectory, "intake", submission=token)
    again = post_phase(c, trajectory, "intake", submission=token)
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == first["Location"]
    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == REPEATED
    assert PhaseChange.objects.filter(trajectory=trajectory, to_phase="intake").count() == 1


class TestEmployerContact:
    url = staticmethod(lambda: reverse("ips:contacts"))

    def test_sent_twice_adds_one_contact(self, client_for, jobcoach_a):
        c = client_for(jobcoach_a)
        token = token_of(c.get(self.url()))
        first = c.post(self.url(), contact(token))
        again = c.post(self.url(), contact(token))
        assert (first.status_code, again.status_code) == (302, 302)
        assert again["Location"] == first["Location"]
        assert EmployerContact.objects.count() == 1
        assert not Submission.objects.filter(redirect_to="").exists()

    @SAME_DAY
    def test_a_form_with_errors_may_be_corrected_and_sent_with_its_token(
        self, client_for, jobcoach_a
    ):
        c = client_for(jobcoach_a)
        token = token_of(c.get(self.url()))
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        refused = c.post(self.url(), contact(token, contacted_on=tomorrow))
        assert refused.status_code == 200
        assert not Submission.objects.exists()
        assert c.post(self.url(), contact(token)).status_code == 302
        assert EmployerContact.objects.count() == 1

    def test_without_a_token_the_form_works_as_before(self, client_for, jobcoach_a):
        c = client_for(jobcoach_a)
        c.post(self.url(), contact(""))
        c.post(self.url(), contact("geen-token"))
        assert EmployerContact.objects.count() == 2
        assert not Submission.objects.exists()

    def test_someone_elses_token_is_refused(self, client_for, jobcoach_a, behandelaar_a):
        token = "6f1c2a34-9b7e-4d2a-8c11-0a2b3c4d5e6f"
        Submission.objects.create(token=token, user=behandelaar_a, redirect_to="/elders/")
        response = client_for(jobcoach_a).post(self.url(), contact(token))
        assert response.status_code == 403
        assert not EmployerContact.objects.exists()

    @pytest.mark.parametrize(
        "referer, back_to",
        [
            (
                "http://testserver/ips/werkgeverscontacten/",
                "http://testserver/ips/werkgeverscontacten/",
            ),
            ("https://elders.example/", "/"),
            (None, "/"),
        ],
    )
    def test_a_repeat_of_a_form_still_being_handled_is_told_so(
        self, client_for, jobcoach_a, monkeypatch, referer, back_to
    ):
        """Sent back to the page the form was on (one of ours): the URL the form posts to
        may answer POST only."""
        monkeypatch.setattr(middleware, "REPEAT_WAIT_SECONDS", 0.3)
        token = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"
        Submission.objects.create(token=token, user=jobcoach_a)
        headers = {"Referer": referer} if referer else {}
        response = client_for(jobcoach_a).post(self.url(), contact(token), headers=headers)
        assert (response.status_code, response["Location"]) == (302, back_to)
        assert [str(m) for m in get_messages(response.wsgi_request)] == [STILL_BUSY]
        assert not EmployerContact.objects.exists()

    def test_a_first_that_never_finished_is_taken_over(self, client_for, jobcoach_a):
        """Its worker was stopped: after two minutes the form can be sent again."""
        token = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c"
        Submission.objects.create(
            token=token, user=jobcoach_a, created_at=timezone.now() - timedelta(minutes=3)
        )
        response = client_for(jobcoach_a).post(self.url(), contact(token))
        assert response.status_code == 302
        assert EmployerContact.objects.count() == 1
        assert Submission.objects.get().redirect_to == response["Location"]


@pytest.mark.django_db(transaction=True)
class TestAtTheSameTime:
    """Real concurrency: separate connections to PostgreSQL, as two requests of one browser."""

    def test_a_double_click_adds_one_contact(self, jobcoach_a):
        token = token_of(signed_in(jobcoach_a).get(reverse("ips:contacts")))
        responses = at_the_same_time(
            jobcoach_a, lambda browser: browser.post(reverse("ips:contacts"), contact(token))
        )
        assert [r.status_code for r in responses] == [302, 302]
        assert responses[0]["Location"] == responses[1]["Location"]
        assert EmployerContact.objects.count() == 1

    def test_a_repeat_waits_for_the_first_and_goes_where_it_went(self, behandelaar_a):
        case = new_case(behandelaar_a)
        token = "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"
        Submission.objects.create(token=token, user=behandelaar_a)  # the first, still busy
        url = reverse("cases:note_create", args=[case.pk])

        def first_finishes():
            time.sleep(0.4)
            Submission.objects.filter(token=token).update(redirect_to="/casussen/1/#notities")
            connection.close()

        finisher = threading.Thread(target=first_finishes)
        began = time.monotonic()
        finisher.start()
        response = signed_in(behandelaar_a).post(
            url, {"title": "Dubbel", "body": "x", "category": "medisch", "submission": token}
        )
        finisher.join(10)
        assert time.monotonic() - began >= 0.4
        assert (response.status_code, response["Location"]) == (302, "/casussen/1/#notities")
        assert not TimelineEntry.objects.filter(kind=TimelineKind.NOTITIE).exists()

    def test_a_repeat_of_a_first_that_failed_meanwhile_is_handled(self, jobcoach_a):
        token = "9f8e7d6c-5b4a-4f3e-8d2c-1b0a9f8e7d6c"
        Submission.objects.create(token=token, user=jobcoach_a)

        def first_fails():
            time.sleep(0.3)
            Submission.objects.filter(token=token).delete()
            connection.close()

        failer = threading.Thread(target=first_fails)
        failer.start()
        response = signed_in(jobcoach_a).post(reverse("ips:contacts"), contact(token))
        failer.join(10)
        assert response.status_code == 302
        assert EmployerContact.objects.count() == 1


def test_tokens_are_forgotten_after_a_day(behandelaar_a):
    old = Submission.objects.create(
        token="11111111-2222-4333-8444-555555555555",
        user=behandelaar_a,
        created_at=timezone.now() - timedelta(days=1, minutes=1),
    )
    recent = Submission.objects.create(
        token="66666666-7777-4888-8999-000000000000", user=behandelaar_a
    )
    assert purge_submissions() == 1
    assert [str(s.token) for s in Submission.objects.all()] == [recent.token]
    assert not Submission.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_requests_claim_nothing(db, client, method):
    getattr(client, method)(
        reverse("ips:contacts"), contact("a3b2c1d0-e9f8-4a7b-8c6d-5e4f3a2b1c0d")
    )
    assert not Submission.objects.exists()


class TestSameContentFromAFreshForm:
    """Back after saving renders the form anew (the page is not cached) with a new token,
    and Chromium fills in what was typed: sending it again is a repeat too."""

    NOTE = {"title": "Gesprek", "body": "Over werk", "category": "medisch"}

    @staticmethod
    def send(c, url, data):
        return c.post(url, {**data, "submission": token_of(c.get(url))})

    def notes(self, case):
        return TimelineEntry.objects.filter(case=case, kind=TimelineKind.NOTITIE)

    def test_is_sent_where_the_first_went_and_adds_nothing(self, client_for, behandelaar_a):
        case = new_case(behandelaar_a)
        c = client_for(behandelaar_a)
        url = reverse("cases:note_create", args=[case.pk])
        first = self.send(c, url, self.NOTE)
        again = self.send(c, url, self.NOTE)
        assert (first.status_code, again.status_code) == (302, 302)
        assert again["Location"] == first["Location"]
        assert self.notes(case).count() == 1
        sent_at = timezone.localtime(Submission.objects.get().created_at).strftime("%H:%M")
        assert [str(m) for m in get_messages(again.wsgi_request)] == [
            f"U hebt dit formulier om {sent_at} al met precies deze inhoud verzonden. U ziet "
            "wat dat opleverde; er is niets dubbel vastgelegd. Wilt u echt twee keer "
            "hetzelfde vastleggen? Verander dan iets aan de invoer."
        ]

    @pytest.mark.parametrize(
        "second", [{"body": "Over werk en geld"}, {"category": "afspraken"}, {"title": "gesprek"}]
    )
    def test_other_content_is_added(self, client_for, behandelaar_a, second):
        case = new_case(behandelaar_a)
        c = client_for(behandelaar_a)
        url = reverse("cases:note_create", args=[case.pk])
        self.send(c, url, self.NOTE)
        assert self.send(c, url, {**self.NOTE, **second}).status_code == 302
        assert self.notes(case).count() == 2

    def test_after_another_form_to_the_address_it_is_meant(self, client_for, behandelaar_a):
        """A, then B, then A again (putting the werksituatie back): the last is recorded."""
        case = new_case(behandelaar_a)
        c = client_for(behandelaar_a)
        url = reverse("cases:work_situation", args=[case.pk])
        a = {"kind": "geen", "benefit": "geen", "wish_to_work": "ja"}
        b = {**a, "wish_to_work": "nog_niet"}
        for data in (a, b, a):
            assert self.send(c, url, data).status_code == 302
        assert list(
            WorkSituation.objects.filter(case=case)
            .order_by("pk")
            .values_list("wish_to_work", flat=True)
        ) == ["ja", "nog_niet", "ja"]
        assert self.send(c, url, a).status_code == 302  # the repeat of the last
        assert WorkSituation.objects.filter(case=case).count() == 3

    def test_the_same_content_on_another_case_is_added(self, client_for, behandelaar_a):
        cases = [new_case(behandelaar_a, i, first=f"Eva{i}") for i in range(2)]
        c = client_for(behandelaar_a)
        for case in cases:
            self.send(c, reverse("cases:note_create", args=[case.pk]), self.NOTE)
        assert [self.notes(case).count() for case in cases] == [1, 1]

    def test_later_it_is_meant_twice(self, client_for, behandelaar_a):
        case = new_case(behandelaar_a)
        c = client_for(behandelaar_a)
        url = reverse("cases:note_create", args=[case.pk])
        self.send(c, url, self.NOTE)
        Submission.objects.update(
            created_at=timezone.now() - middleware.SAME_CONTENT_WITHIN - timedelta(seconds=1)
        )
        assert self.send(c, url, self.NOTE).status_code == 302
        assert self.notes(case).count() == 2

    def test_a_colleague_sending_the_same_adds_theirs(self, client_for, jobcoach_a):
        """Employer contacts have no case: two trajectbegeleiders may log the same one."""
        colleague = UserFactory(organisation=jobcoach_a.organisation, role=jobcoach_a.role)
        url = reverse("ips:contacts")
        for user in (jobcoach_a, colleague):
            assert self.send(client_for(user), url, contact("")).status_code == 302
        assert EmployerContact.objects.count() == 2

    @SAME_DAY
    def test_a_first_that_failed_leaves_no_trace(self, client_for, jobcoach_a):
        c = client_for(jobcoach_a)
        url = reverse("ips:contacts")
        tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
        assert self.send(c, url, contact("", contacted_on=tomorrow)).status_code == 200
        assert self.send(c, url, contact("")).status_code == 302
        assert EmployerContact.objects.count() == 1

    def test_a_report_may_be_asked_for_again(self, client_for, behandelaar_a):
        """Each request asks for the file as it is now: two reports."""
        from portal.models import Report

        case = new_case(behandelaar_a)
        c = client_for(behandelaar_a)
        url = reverse("cases:progress_report", args=[case.pk])
        for _ in range(2):  # each from a fresh rendering of the case page
            assert c.post(url, {"submission": str(uuid.uuid4())}).status_code == 302
        assert Report.objects.filter(case=case).count() == 2


def test_an_avg_request_sent_again_is_one_request(client_for, beheerder_a, behandelaar_a):
    """Each sending records a request of the client (and exports the whole file): the same
    request sent again from a fresh rendering (Back, then send) is not a second one."""
    from consent.models import AccessRequest
    from portal.models import Report

    case = new_case(behandelaar_a)
    c = client_for(beheerder_a)
    url = reverse("consent:avg_inzage_request", args=[case.client_id])
    data = {
        "received_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "channel": "brief",
        "identity_check": "id_bewijs",
        "identity_note": "",
        "note": "",
    }
    first = c.post(url, {**data, "submission": token_of(c.get(url))})
    again = c.post(url, {**data, "submission": token_of(c.get(url))})
    assert (first.status_code, again.status_code) == (302, 302)
    assert again["Location"] == first["Location"]
    assert (AccessRequest.objects.count(), Report.objects.count()) == (1, 1)
    # Another request (received on another day) is one more.
    other = {**data, "received_on": (timezone.localdate() - timedelta(days=1)).isoformat()}
    assert c.post(url, {**other, "submission": token_of(c.get(url))}).status_code == 302
    assert AccessRequest.objects.count() == 2
