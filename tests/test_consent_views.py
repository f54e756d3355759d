"""Toestemming views: who may open what, stepped from anonymous to the right role, and query
counts that do not grow with the data (issue 4)."""

import datetime
import itertools

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases import services as cases
from cases.constants import CaseRole, TimelineKind, WorkSituationKind
from cases.models import TimelineEntry, WorkSituation
from cases.validators import validate_bsn
from consent import services as consent
from consent.constants import Action, Basis, Category, ConsentMethod, ConsentState, Purpose
from consent.models import AccessLogEntry, Consent, ConsentWithdrawal
from portal.constants import Role

from .builders import SIGNED_PNG, noon
from .concurrency import at_the_same_time
from .factories import UserFactory

PNG = SIGNED_PNG


def _bsns():
    for number in itertools.count(400_000_000):
        try:
            validate_bsn(f"{number:09d}")
        except ValidationError:
            continue
        yield f"{number:09d}"


BSNS = _bsns()


def register(owner, first_name="Eva", last_name="Jansen"):
    return cases.register_client(
        owner,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=datetime.date(1990, 5, 17),
        bsn=next(BSNS),
    )


def make_consent(client, recipient, categories=(Category.WERKSITUATIE,), days=(-10, 60), **kw):
    today = timezone.localdate()
    record = Consent.objects.create(
        client=client,
        provider=client.organisation,
        recipient=recipient,
        purpose=kw.pop("purpose", Purpose.REINTEGRATIE),
        valid_from=today + datetime.timedelta(days=days[0]),
        valid_until=today + datetime.timedelta(days=days[1]),
        method=ConsentMethod.SCHRIFTELIJK,
        purpose_explained=True,
        recorded_by=kw.pop("recorded_by", client.created_by),
        **kw,
    )
    record.categories.set([str(c) for c in categories])
    return record


def attach(record, name):
    """Set-up only: the product attaches the file when the record is made."""
    record.form.save(name, ContentFile(PNG), save=False)
    record.save(update_fields=["form"], _allow_update=True)


def count_queries(c, url):
    with CaptureQueriesContext(connection) as context:
        response = c.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture(autouse=True)
def private_storage(monkeypatch, tmp_path):
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Consent._meta.get_field("form"), "storage", storage)
    return storage


@pytest.fixture
def case_a(behandelaar_a, klantmanager_g, jobcoach_a):
    """GGZ A's client Eva Jansen; on the team: behandelaar_a (regie), jobcoach_a (GGZ A) and
    klantmanager_g (Gemeente G, the recipient of the consent)."""
    case = cases.open_case(behandelaar_a, register(behandelaar_a))
    consent.add_member(case, jobcoach_a, CaseRole.TRAJECTBEGELEIDER)
    consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
    return case


@pytest.fixture
def record(case_a, gemeente_g):
    return make_consent(case_a.client, gemeente_g)


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Recording consent from a case ---------------------------------------------------------


class TestCreateForCase:
    def url(self, case):
        return reverse("consent:create_for_case", args=[case.pk])

    def test_anonymous_goes_to_login(self, client_for, case_a):
        assert_login_redirect(client_for(None).get(self.url(case_a)))

    @pytest.mark.parametrize(
        "who",
        [
            "outsider",  # another GGZ, not on the team
            "adviseur_u",  # a klantmanager not on the team
            "behandelaar_a2",  # the provider's own behandelaar, not on the team
            "klantmanager_g",  # on the team, but of the recipient organisation
            "jobcoach_a",  # on the team, of the provider, but a role that cannot record
            "beheerder_a",  # not on case teams; records through beheer
            "beheerder_g",
        ],
    )
    def test_others_get_404_and_a_denied_log_entry(self, client_for, case_a, who, request):
        user = request.getfixturevalue(who)
        response = client_for(user).get(self.url(case_a))
        assert response.status_code == 404
        assert AccessLogEntry.objects.filter(user=user, case=case_a, outcome="geweigerd").exists()

    def test_regiebehandelaar_of_the_provider_gets_the_form(
        self, client_for, behandelaar_a, case_a
    ):
        response = client_for(behandelaar_a).get(self.url(case_a))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Toestemming vastleggen voor Eva Jansen" in html
        assert 'enctype="multipart/form-data"' in html
        # The recipient list never offers the provider itself.
        assert "GGZ A</option>" not in html

    def test_klantmanager_of_the_registering_gemeente_gets_the_form(
        self, client_for, klantmanager_g
    ):
        case_g = cases.open_case(klantmanager_g, register(klantmanager_g))
        assert client_for(klantmanager_g).get(self.url(case_g)).status_code == 200


# --- Beheerder: recording and the overview -------------------------------------------------


class TestBeheerCreate:
    def test_steps(self, client_for, case_a, behandelaar_a, beheerder_g, beheerder_a):
        base = reverse("consent:beheer_create")
        url = f"{base}?client={case_a.client_id}"
        assert_login_redirect(client_for(None).get(url))
        assert client_for(behandelaar_a).get(url).status_code == 403
        assert client_for(beheerder_g).get(url).status_code == 404
        assert client_for(beheerder_g).get(f"{base}?client=999999").status_code == 404
        assert client_for(beheerder_g).get(f"{base}?client=abc").status_code == 404
        response = client_for(beheerder_a).get(url)
        assert response.status_code == 200
        assert "Toestemming vastleggen voor Eva Jansen" in response.content.decode()

    def test_client_search_finds_only_own_clients(
        self, client_for, case_a, klantmanager_g, beheerder_a, beheerder_g, behandelaar_a
    ):
        register(klantmanager_g, first_name="Eva", last_name="Jansen-G")
        base = reverse("consent:beheer_create")
        response = client_for(beheerder_a).get(f"{base}?q=jansen")
        assert [c.pk for c in response.context["clients"]] == [case_a.client_id]
        response = client_for(beheerder_g).get(f"{base}?q=jansen")
        assert [c.last_name for c in response.context["clients"]] == ["Jansen-G"]
        response = client_for(beheerder_a).get(f"{base}?q={case_a.client.bsn}")
        assert [c.pk for c in response.context["clients"]] == [case_a.client_id]
        # Without accents, apostrophes or capitals too (portal.words.searchable).
        celik = register(behandelaar_a, first_name="Ayşe", last_name="Çelik")
        response = client_for(beheerder_a).get(f"{base}?q=ayse+CELIK")
        assert [c.pk for c in response.context["clients"]] == [celik.pk]
        # Showing a name is a read, logged with the beheer basis.
        assert AccessLogEntry.objects.filter(
            user=beheerder_a, client=case_a.client, basis=Basis.BEHEER, action=Action.READ
        ).exists()


class TestOverview:
    url = "/beheer/toestemmingen/"

    def test_url(self):
        assert reverse("consent:overview") == self.url

    def test_steps(self, client_for, record, behandelaar_a, klantmanager_g, beheerder_g):
        assert_login_redirect(client_for(None).get(self.url))
        assert client_for(behandelaar_a).get(self.url).status_code == 403
        assert client_for(klantmanager_g).get(self.url).status_code == 403
        response = client_for(beheerder_g).get(self.url)
        assert response.status_code == 200
        assert response.context["rows"] == []
        assert "Eva Jansen" not in response.content.decode()

    def test_states(self, client_for, beheerder_a, behandelaar_a, case_a, gemeente_g, uwv_u):
        client = case_a.client
        active = make_consent(client, gemeente_g)
        expiring = make_consent(client, uwv_u, days=(-10, 20))
        future = make_consent(client, gemeente_g, days=(5, 60))
        expired = make_consent(client, gemeente_g, days=(-60, -1))
        withdrawn = make_consent(client, uwv_u)
        ConsentWithdrawal.objects.create(
            consent=withdrawn, method=ConsentMethod.MONDELING, recorded_by=behandelaar_a
        )
        old = make_consent(client, gemeente_g, purpose=Purpose.DRIEGESPREK)
        renewed = make_consent(client, gemeente_g, purpose=Purpose.DRIEGESPREK, supersedes=old)
        c = client_for(beheerder_a)
        expected = {
            "alle": {active, expiring, future, expired, withdrawn, old, renewed},
            "actief": {active, expiring, renewed},
            "verloopt": {expiring},
            "toekomstig": {future},
            "verlopen": {expired},
            "ingetrokken": {withdrawn},
            "vervangen": {old},
        }
        for state, consents in expected.items():
            response = c.get(self.url, {"status": state})
            assert set(response.context["rows"]) == consents, state
            tabs = {key: count for key, _label, count in response.context["tabs"]}
            assert tabs[state] == len(consents), state
            for row in response.context["rows"]:
                if state not in ("alle", "verloopt"):
                    assert row.state() == state
        html = c.get(self.url, {"status": "actief"}).content.decode()
        assert "Eva Jansen" in html
        assert "Verloopt binnen 30 dagen (1)" in html

    # The clock stands still from before the fixtures run: one day, also across midnight.
    @pytest.mark.time_machine(timezone.localtime, tick=False)
    def test_counts_follow_every_change_at_once(
        self, client_for, beheerder_a, behandelaar_a, case_a, gemeente_g, uwv_u
    ):
        """The tabs' counts are cached; a new consent, a renewal, a withdrawal and the next
        day each show in the very next view."""
        c = client_for(beheerder_a)

        def tabs(**params):
            response = c.get(self.url, params)
            return {key: count for key, _label, count in response.context["tabs"]}

        first = make_consent(case_a.client, gemeente_g, days=(-10, 0))
        assert tabs()["alle"] == 1
        with CaptureQueriesContext(connection) as queries:
            tabs()
        assert not [q for q in queries if 'COUNT("consent_consent"' in q["sql"]]  # cached
        assert (tabs()["alle"], tabs()["actief"], tabs()["verloopt"]) == (1, 1, 1)
        second = make_consent(case_a.client, uwv_u)
        assert (tabs()["alle"], tabs()["actief"]) == (2, 2)
        make_consent(case_a.client, uwv_u, supersedes=second)
        assert (tabs()["alle"], tabs()["actief"], tabs()["vervangen"]) == (3, 2, 1)
        ConsentWithdrawal.objects.create(
            consent=first, method=ConsentMethod.MONDELING, recorded_by=behandelaar_a
        )
        assert (tabs()["actief"], tabs()["ingetrokken"]) == (1, 1)
        make_consent(register(behandelaar_a, last_name="Later"), gemeente_g, days=(-10, 0))
        assert (tabs()["actief"], tabs()["verloopt"]) == (2, 1)
        # Midday of the next local day (24 hours on would stay on the same day when the
        # clocks go back that night).
        with time_machine.travel(noon(timezone.localdate() + datetime.timedelta(days=1))):
            c = client_for(beheerder_a)
            assert (tabs()["actief"], tabs()["verlopen"]) == (1, 1)
        # A search counts its own matches (not cached under the organisation's counts).
        assert tabs(q="Later")["alle"] == 1

    def test_counts_without_a_reachable_cache(
        self, client_for, beheerder_a, case_a, gemeente_g, settings, caplog
    ):
        """Redis down: the overview counts as it did without the cache, no error page."""
        make_consent(case_a.client, gemeente_g)
        settings.CACHES = {
            "default": {
                "BACKEND": "portal.cache.RedisWithFallback",
                "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            }
        }
        response = client_for(beheerder_a).get(self.url)
        assert response.status_code == 200
        tabs = {key: count for key, _label, count in response.context["tabs"]}
        assert (tabs["alle"], tabs["actief"]) == (1, 1)
        assert "redis_onbereikbaar" in caplog.text

    def test_name_search_and_reads_logged(
        self, client_for, beheerder_a, behandelaar_a, case_a, gemeente_g
    ):
        other = register(behandelaar_a, first_name="Piet", last_name="de Vries")
        make_consent(case_a.client, gemeente_g)
        make_consent(other, gemeente_g)
        c = client_for(beheerder_a)
        response = c.get(self.url, {"q": "vries"})
        assert [r.client_id for r in response.context["rows"]] == [other.pk]
        logged = AccessLogEntry.objects.filter(
            user=beheerder_a, object_type="toestemmingenoverzicht"
        )
        assert list(logged.values_list("client_id", "basis")) == [(other.pk, Basis.BEHEER)]
        assert [r.client_id for r in c.get(self.url, {"q": "VRIES"}).context["rows"]] == [other.pk]

    def test_query_count_does_not_grow(
        self, client_for, beheerder_a, behandelaar_a, gemeente_g, django_assert_num_queries
    ):
        for i in range(2):
            make_consent(register(behandelaar_a, last_name=f"Klein{i}"), gemeente_g)
        c = client_for(beheerder_a)
        expected = count_queries(c, self.url)
        for i in range(48):
            record = make_consent(
                register(behandelaar_a, last_name=f"Groot{i}"),
                gemeente_g,
                categories=(Category.WERKSITUATIE, Category.AFSPRAKEN, Category.IPS),
            )
            if i % 3 == 0:
                ConsentWithdrawal.objects.create(
                    consent=record, method=ConsentMethod.MONDELING, recorded_by=behandelaar_a
                )
        with django_assert_num_queries(expected):
            response = c.get(self.url)
        assert len(response.context["rows"]) == 25
        # The pages follow the tab's count (50 consents: two pages; past the end, the last).
        assert response.context["page"].paginator.num_pages == 2
        last = c.get(self.url, {"pagina": 9}).context
        assert last["page"].number == 2 and len(last["rows"]) == 25
        withdrawn = c.get(self.url, {"status": "ingetrokken"}).context
        assert withdrawn["page"].paginator.count == len(withdrawn["rows"]) == 16


# --- One consent: detail, print view, signed form, withdrawal ------------------------------


ONE_CONSENT_VIEWS = ["consent:detail", "consent:print", "consent:withdraw"]


class TestOneConsent:
    @pytest.mark.parametrize("view", ONE_CONSENT_VIEWS)
    def test_anonymous_goes_to_login(self, client_for, record, view):
        assert_login_redirect(client_for(None).get(reverse(view, args=[record.pk])))

    @pytest.mark.parametrize("view", [*ONE_CONSENT_VIEWS, "consent:form_download"])
    @pytest.mark.parametrize(
        "who",
        [
            "outsider",
            "adviseur_u",  # klantmanager not on the team
            "behandelaar_a2",  # of the provider, not on the team
            "klantmanager_g",  # on the team, the recipient: the record is the provider's
            "beheerder_g",  # beheerder of another organisation
        ],
    )
    def test_others_get_404_and_a_denied_log_entry(self, client_for, record, view, who, request):
        user = request.getfixturevalue(who)
        attach(record, "toestemming-x.png")
        response = client_for(user).get(reverse(view, args=[record.pk]))
        assert response.status_code == 404
        assert AccessLogEntry.objects.filter(
            user=user, object_type="toestemming", object_id=str(record.pk), outcome="geweigerd"
        ).exists()

    def test_guessed_id_is_404(self, client_for, beheerder_a):
        response = client_for(beheerder_a).get(reverse("consent:detail", args=[987654]))
        assert response.status_code == 404

    @pytest.mark.parametrize("who", ["behandelaar_a", "jobcoach_a", "beheerder_a"])
    @pytest.mark.parametrize("view", ONE_CONSENT_VIEWS)
    def test_provider_side_may_open(self, client_for, record, who, view, request):
        user = request.getfixturevalue(who)
        response = client_for(user).get(reverse(view, args=[record.pk]))
        assert response.status_code == 200
        assert "Eva Jansen" in response.content.decode()

    def test_detail_is_logged_as_a_read(self, client_for, record, behandelaar_a, case_a):
        client_for(behandelaar_a).get(reverse("consent:detail", args=[record.pk]))
        entry = AccessLogEntry.objects.get(user=behandelaar_a, object_type="toestemming")
        assert (entry.action, entry.basis, entry.outcome) == (
            Action.READ,
            Basis.EIGEN_ORGANISATIE,
            "toegestaan",
        )
        assert entry.case_id == case_a.pk

    def test_print_view_is_a_document_to_sign(self, client_for, record, behandelaar_a):
        response = client_for(behandelaar_a).get(reverse("consent:print", args=[record.pk]))
        html = response.content.decode()
        assert '<html lang="nl">' in html
        assert "Gemeente G" in html
        assert "Re-integratie en participatie" in html
        # Categories in plain words: the description meant for the client.
        assert "Of u werkt, hoeveel uur, welke uitkering u heeft" in html
        assert record.valid_until.strftime("%-d") in html
        assert "altijd intrekken" in html
        assert "Zeg het tegen uw behandelaar bij GGZ A" in html
        assert "Handtekening cliënt" in html
        assert "niet meer ondertekenen" not in html
        entry = AccessLogEntry.objects.get(user=behandelaar_a)
        assert entry.action == Action.EXPORT
        detail = client_for(behandelaar_a).get(reverse("consent:detail", args=[record.pk]))
        assert "Formulier afdrukken om te laten ondertekenen" in detail.content.decode()

    def test_a_withdrawn_consent_is_not_offered_for_signing(
        self, client_for, record, behandelaar_a
    ):
        """The tester's #5: it printed as a clean form to sign."""
        ConsentWithdrawal.objects.create(
            consent=record,
            withdrawn_on=timezone.localdate(),
            method="schriftelijk",
            recorded_by=behandelaar_a,
        )
        c = client_for(behandelaar_a)
        detail = c.get(reverse("consent:detail", args=[record.pk])).content.decode()
        assert "Formulier afdrukken" not in detail
        html = c.get(reverse("consent:print", args=[record.pk])).content.decode()
        assert "Deze toestemming is ingetrokken. Laat dit formulier niet meer ondertekenen." in html

    def test_a_consent_that_shares_nothing_is_not_offered_for_signing(
        self, client_for, case_a, gemeente_g, behandelaar_a
    ):
        """The exploratory tester's find: a live consent whose purpose fits no one at the
        recipient was offered as a form to sign. No link to it; the print view refuses,
        back on the consent page that says why, and exports (logs) nothing."""
        useless = make_consent(case_a.client, gemeente_g, purpose=Purpose.IPS_TRAJECT)
        c = client_for(behandelaar_a)
        detail = c.get(reverse("consent:detail", args=[useless.pk])).content.decode()
        assert "Formulier afdrukken" not in detail
        assert reverse("consent:print", args=[useless.pk]) not in detail
        response = c.get(reverse("consent:print", args=[useless.pk]))
        assert response.status_code == 302
        assert response.url == reverse("consent:detail", args=[useless.pk])
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            f"Dit formulier wordt niet afgedrukt: toestemming nr. {useless.pk} deelt niets. "
            "Laat de cliënt het niet ondertekenen."
        ]
        assert not AccessLogEntry.objects.filter(action=Action.EXPORT).exists()
        # Not yet started: the same.
        future = make_consent(
            case_a.client, gemeente_g, purpose=Purpose.CASUSBESPREKING, days=(5, 60)
        )
        assert c.get(reverse("consent:print", args=[future.pk])).status_code == 302
        # A fitting purpose to the same recipient is printed as before.
        fitting = make_consent(case_a.client, gemeente_g, purpose=Purpose.DRIEGESPREK)
        detail = c.get(reverse("consent:detail", args=[fitting.pk])).content.decode()
        assert "Formulier afdrukken om te laten ondertekenen" in detail
        html = c.get(reverse("consent:print", args=[fitting.pk])).content.decode()
        assert "Handtekening cliënt" in html

    def test_a_gemeente_form_names_the_klantmanager(self, client_for, klantmanager_g, ggz_a):
        """The tester's #8: it said 'uw behandelaar of klantmanager' whoever gave it."""
        case = cases.open_case(klantmanager_g, register(klantmanager_g))
        # A purpose that fits a GGZ: re-integratie (the default) shares nothing there, and
        # is not printed to sign.
        record = make_consent(
            case.client, ggz_a, recorded_by=klantmanager_g, purpose=Purpose.DRIEGESPREK
        )
        html = client_for(klantmanager_g).get(reverse("consent:print", args=[record.pk]))
        assert "Zeg het tegen uw klantmanager bij Gemeente G" in html.content.decode()

    def test_detail_query_count_does_not_grow_with_categories(
        self, client_for, case_a, gemeente_g, ggz_b, behandelaar_a, django_assert_num_queries
    ):
        few = make_consent(case_a.client, gemeente_g)
        many = make_consent(
            case_a.client,
            ggz_b,
            categories=[c for c in Category if c != Category.IDENTIFICATIE],
            purpose=Purpose.AFSTEMMING,
        )
        c = client_for(behandelaar_a)
        expected = count_queries(c, reverse("consent:detail", args=[few.pk]))
        with django_assert_num_queries(expected):
            c.get(reverse("consent:detail", args=[many.pk]))


class TestSignedForm:
    def test_uploaded_form_is_served_only_through_the_checked_view(
        self, client_for, case_a, gemeente_g, behandelaar_a, private_storage
    ):
        """A PNG uploaded under a .pdf name is stored and served as what its bytes are."""
        c = client_for(behandelaar_a)
        c.post(
            reverse("consent:create_for_case", args=[case_a.pk]),
            {
                "recipient": gemeente_g.pk,
                "purpose": Purpose.REINTEGRATIE,
                "categories": [Category.WERKSITUATIE],
                "valid_from": timezone.localdate().isoformat(),
                "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                "method": ConsentMethod.SCHRIFTELIJK,
                "purpose_explained": "on",
                "signed_form": SimpleUploadedFile("scan.pdf", PNG, "application/pdf"),
            },
        )
        record = Consent.objects.get()
        detail = c.get(reverse("consent:detail", args=[record.pk])).content.decode()
        assert reverse("consent:form_download", args=[record.pk]) in detail
        assert record.form.name not in detail
        response = c.get(reverse("consent:form_download", args=[record.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert f'filename="toestemming-{record.pk}.png"' in response["Content-Disposition"]
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Cache-Control"] == "no-store"
        entry = AccessLogEntry.objects.get(user=behandelaar_a, object_type="ondertekend formulier")
        assert (entry.action, entry.outcome) == (Action.EXPORT, "toegestaan")

    def test_beheerder_of_provider_may_download(self, client_for, record, beheerder_a):
        attach(record, "toestemming-abc.png")
        response = client_for(beheerder_a).get(reverse("consent:form_download", args=[record.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"

    def test_no_form_is_404(self, client_for, record, behandelaar_a):
        response = client_for(behandelaar_a).get(reverse("consent:form_download", args=[record.pk]))
        assert response.status_code == 404

    def test_no_public_url(self, settings):
        from django.urls import Resolver404, resolve

        for prefix in ("/private/", "/media/", settings.MEDIA_URL or "/media/"):
            with pytest.raises(Resolver404):
                resolve(f"{prefix}toestemming/2025/01/x.pdf")


class TestWithdrawSteps:
    def test_withdrawn_consent_shows_no_form(self, client_for, record, behandelaar_a):
        ConsentWithdrawal.objects.create(
            consent=record, method=ConsentMethod.MONDELING, recorded_by=behandelaar_a
        )
        response = client_for(behandelaar_a).get(reverse("consent:withdraw", args=[record.pk]))
        assert response.status_code == 200
        assert "al ingetrokken" in response.content.decode()
        assert '<form method="post"' not in response.content.decode().split("<main")[1]

    @pytest.mark.parametrize("who", ["behandelaar_a", "beheerder_a"])
    def test_opening_the_withdrawal_page_is_a_logged_read(self, client_for, record, who, request):
        user = request.getfixturevalue(who)
        html = client_for(user).get(reverse("consent:withdraw", args=[record.pk])).content.decode()
        assert "Eva Jansen" in html
        entry = AccessLogEntry.objects.get(user=user, object_type="toestemming")
        assert (entry.action, entry.outcome, entry.object_id) == (
            Action.READ,
            "toegestaan",
            str(record.pk),
        )
        assert entry.client_id == record.client_id

    def test_a_refused_withdrawal_shown_again_is_a_logged_read(
        self, client_for, record, behandelaar_a
    ):
        response = client_for(behandelaar_a).post(
            reverse("consent:withdraw", args=[record.pk]), {"method": "", "withdrawn_on": ""}
        )
        assert "Eva Jansen" in response.content.decode()
        entry = AccessLogEntry.objects.get(user=behandelaar_a, object_type="toestemming")
        assert (entry.action, entry.outcome) == (Action.READ, "toegestaan")
        assert not ConsentWithdrawal.objects.exists()

    def test_beheerder_of_provider_may_withdraw(self, client_for, record, beheerder_a):
        response = client_for(beheerder_a).post(
            reverse("consent:withdraw", args=[record.pk]),
            {"method": ConsentMethod.SCHRIFTELIJK, "withdrawn_on": timezone.localdate()},
        )
        assert response.status_code == 302
        assert ConsentWithdrawal.objects.get().recorded_by == beheerder_a

    def test_beheerder_of_other_organisation_may_not(self, client_for, record, beheerder_g):
        response = client_for(beheerder_g).post(
            reverse("consent:withdraw", args=[record.pk]),
            {"method": ConsentMethod.SCHRIFTELIJK, "withdrawn_on": timezone.localdate()},
        )
        assert response.status_code == 404
        assert not ConsentWithdrawal.objects.exists()


# --- Beheerder: access log -----------------------------------------------------------------


class TestAccessLogPage:
    url = "/beheer/inzagelog/"

    def test_steps(self, client_for, case_a, behandelaar_a, klantmanager_g, beheerder_g):
        client_for(behandelaar_a).get(reverse("cases:detail", args=[case_a.pk]))
        assert_login_redirect(client_for(None).get(self.url))
        assert client_for(behandelaar_a).get(self.url).status_code == 403
        assert client_for(klantmanager_g).get(self.url).status_code == 403
        response = client_for(beheerder_g).get(self.url)
        assert response.status_code == 200
        assert response.context["entries"] == []
        assert "Eva Jansen" not in response.content.decode()

    def test_beheerder_sees_entries_about_own_clients(
        self, client_for, case_a, behandelaar_a, klantmanager_g, beheerder_a
    ):
        g_case = cases.open_case(klantmanager_g, register(klantmanager_g, last_name="Bakker"))
        client_for(behandelaar_a).get(reverse("cases:detail", args=[case_a.pk]))
        client_for(klantmanager_g).get(reverse("cases:detail", args=[g_case.pk]))
        response = client_for(beheerder_a).get(self.url)
        entries = response.context["entries"]
        assert entries
        assert {e.client_id for e in entries} == {case_a.client_id}
        html = response.content.decode()
        assert "Eva Jansen" in html
        assert "Bakker" not in html
        assert "<small>Behandelaar, GGZ A</small>" in html  # the role as pages name it

    def test_query_count_does_not_grow(
        self, client_for, case_a, behandelaar_a, beheerder_a, django_assert_num_queries
    ):
        def read(client):
            consent.log(
                None,
                behandelaar_a,
                decision=consent.Decision(True, Basis.EIGEN_ORGANISATIE),
                action=Action.READ,
                object_type="casus",
                category=Category.IDENTIFICATIE,
                client=client,
            )

        for _ in range(2):
            read(case_a.client)
        c = client_for(beheerder_a)
        expected = count_queries(c, self.url)
        for i in range(48):
            read(register(behandelaar_a, last_name=f"Log{i}"))
        with django_assert_num_queries(expected):
            response = c.get(self.url)
        assert len(response.context["entries"]) == 50


# --- The case panel ------------------------------------------------------------------------


class TestCasePanel:
    def test_panel_shows_consents_of_own_organisation_and_visits(
        self, client_for, case_a, behandelaar_a, klantmanager_g, gemeente_g, uwv_u
    ):
        WorkSituation.objects.create(
            case=case_a,
            organisation=case_a.client.organisation,
            kind=WorkSituationKind.GEEN,
            benefit="bijstand",
            wish_to_work="ja",
            recorded_by=behandelaar_a,
        )
        to_g = make_consent(case_a.client, gemeente_g)
        to_u = make_consent(case_a.client, uwv_u)
        url = reverse("cases:detail", args=[case_a.pk])
        client_for(behandelaar_a).get(url)
        client_for(klantmanager_g).get(url)
        response = client_for(behandelaar_a).get(url)
        html = response.content.decode()
        panel = next(p for p in response.context["panels"] if "consent_rows" in p)
        assert {r["consent"] for r in panel["consent_rows"]} == {to_g, to_u}
        assert panel["can_record"]
        assert reverse("consent:create_for_case", args=[case_a.pk]) in html
        assert "Wie heeft dit dossier ingezien" in html
        # The visits before this page view, newest first (this one is logged as it is shown).
        visits = [(v["who"], v["bases"]) for v in panel["visits"]]
        assert visits == [
            (klantmanager_g.get_full_name(), [Basis.TOESTEMMING.label]),
            (behandelaar_a.get_full_name(), [Basis.EIGEN_ORGANISATIE.label]),
        ]
        assert "Gemeente G" in html

        response = client_for(klantmanager_g).get(url)
        panel = next(p for p in response.context["panels"] if "consent_rows" in p)
        assert [r["consent"] for r in panel["consent_rows"]] == [to_g]
        assert not panel["can_record"]
        html = response.content.decode()
        # The recipient sees the consent but no link into the provider's record.
        assert reverse("consent:detail", args=[to_g.pk]) not in html
        assert reverse("consent:create_for_case", args=[case_a.pk]) not in html
        # Of the file's log, only the reads by its own organisation: not when (or how often)
        # the care provider looked.
        assert [v["who"] for v in panel["visits"]] == [klantmanager_g.get_full_name()]
        assert "Alleen wie van uw eigen organisatie" in html
        assert behandelaar_a.get_full_name() not in html.split('id="ingezien"')[1]

    def test_one_row_per_person_with_their_last_read(self, client_for, case_a, behandelaar_a):
        cases.add_timeline(case_a, behandelaar_a, "notitie", Category.MEDISCH, "Notitie")
        url = reverse("cases:detail", args=[case_a.pk])
        c = client_for(behandelaar_a)
        c.get(url)
        c.get(url)
        response = c.get(url)
        panel = next(p for p in response.context["panels"] if "consent_rows" in p)
        # Each view logs several entries (one per category shown), two views before this
        # one: one person, with the time of their last read before this page.
        assert AccessLogEntry.objects.filter(user=behandelaar_a, case=case_a).count() == 9
        assert len(panel["visits"]) == 1
        shown_before = (
            AccessLogEntry.objects.filter(user=behandelaar_a, case=case_a)
            .exclude(request_id=response["X-Request-ID"])
            .order_by("-pk")[0]
        )
        assert panel["visits"][0]["when"] == shown_before.timestamp
        assert panel["visits"][0]["bases"] == [Basis.EIGEN_ORGANISATIE.label]

    def test_a_colleagues_reloads_do_not_push_others_off(
        self, client_for, case_a, behandelaar_a, klantmanager_g, gemeente_g
    ):
        """A tester's case: the klantmanager read the file, then the regiebehandelaar
        reloaded it eight times, and the klantmanager was gone from the panel."""
        from consent.views import PANEL_VISITS

        make_consent(case_a.client, gemeente_g, categories=(Category.IDENTIFICATIE,))
        consent.add_member(case_a, klantmanager_g, CaseRole.KLANTMANAGER)
        url = reverse("cases:detail", args=[case_a.pk])
        assert client_for(klantmanager_g).get(url).status_code == 200
        c = client_for(behandelaar_a)
        for _ in range(PANEL_VISITS + 2):  # more page views than the panel has rows
            response = c.get(url)
        panel = next(p for p in response.context["panels"] if "consent_rows" in p)
        assert [v["who"] for v in panel["visits"]] == [
            behandelaar_a.get_full_name(),
            klantmanager_g.get_full_name(),
        ]
        assert panel["visits"][1]["bases"] == [Basis.TOESTEMMING.label]

    def test_the_newest_people_and_no_refused_attempts(
        self, client_for, case_a, behandelaar_a, behandelaar_a2, ggz_a
    ):
        """More readers than the panel shows: the PANEL_VISITS who read last, newest first;
        a refused attempt (a colleague not on the team) is in the log but is no read."""
        from consent.views import PANEL_VISITS

        url = reverse("cases:detail", args=[case_a.pk])
        readers = []
        for _ in range(PANEL_VISITS + 2):
            colleague = UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR)
            consent.add_member(case_a, colleague, CaseRole.BEHANDELAAR)
            client_for(colleague).get(url)
            readers.append(colleague)
        assert client_for(behandelaar_a2).get(url).status_code == 404
        response = client_for(behandelaar_a).get(url)
        panel = next(p for p in response.context["panels"] if "consent_rows" in p)
        newest_first = [r.get_full_name() for r in reversed(readers)]
        assert [v["who"] for v in panel["visits"]] == newest_first[:PANEL_VISITS]
        assert behandelaar_a2.get_full_name() not in [v["who"] for v in panel["visits"]]
        reads = AccessLogEntry.objects.filter(client=case_a.client, action="read")
        assert reads.filter(user=behandelaar_a2, outcome="geweigerd").exists()

    def test_not_for_non_members(self, case_a):
        from consent.views import case_panel_context

        outsider_access = consent.CaseAccess(object(), case_a, frozenset())
        assert case_panel_context(None, case_a, outsider_access) is None

    def test_query_count_does_not_grow(
        self,
        client_for,
        case_a,
        behandelaar_a,
        klantmanager_g,
        gemeente_g,
        django_assert_num_queries,
    ):
        make_consent(case_a.client, gemeente_g)
        url = reverse("cases:detail", args=[case_a.pk])
        c = client_for(behandelaar_a)
        c.get(url)
        expected = count_queries(c, url)
        for i in range(48):
            make_consent(
                case_a.client,
                gemeente_g,
                categories=(Category.WERKSITUATIE, Category.AFSPRAKEN),
                purpose=Purpose.DRIEGESPREK if i % 2 else Purpose.REINTEGRATIE,
            )
        other = client_for(klantmanager_g)
        for _ in range(10):
            other.get(url)
        c = client_for(behandelaar_a)
        with django_assert_num_queries(expected):
            c.get(url)


# --- Help page and navigation --------------------------------------------------------------


class TestHelpPage:
    url = "/wie-ziet-wat/"

    def test_anonymous_goes_to_login(self, db, client_for):
        assert_login_redirect(client_for(None).get(self.url))

    @pytest.mark.parametrize(
        "who", ["behandelaar_a", "jobcoach_a", "klantmanager_g", "beheerder_a", "outsider"]
    )
    def test_every_role_may_read_it_and_finds_it_in_the_menu(self, client_for, who, request):
        response = client_for(request.getfixturevalue(who)).get(self.url)
        assert response.status_code == 200
        assert f'<a href="{self.url}" aria-current="page">Wie ziet wat</a>' in (
            response.content.decode()
        )

    def test_table_follows_the_policy(self, client_for, klantmanager_g):
        response = client_for(klantmanager_g).get(self.url)
        rows = {row["category"].code: row["cells"] for row in response.context["rows"]}
        roles = response.context["roles"]
        km = roles.index(Role.KLANTMANAGER.label)
        bh = roles.index(Role.BEHANDELAAR.label)
        assert rows[Category.MEDISCH][km] == []
        assert rows[Category.MEDISCH][bh] == ["inzien", "aanmaken", "wijzigen", "exporteren"]
        assert rows[Category.IPS][km] == ["inzien", "exporteren"]
        html = response.content.decode()
        assert "Medische en behandelinformatie: nooit naar een gemeente of UWV" in html
        assert "Re-integratie en participatie, Driegesprek" in html


class TestNavigation:
    def test_beheerder_sees_consent_and_log(self, client_for, beheerder_a):
        html = client_for(beheerder_a).get(reverse("consent:help")).content.decode()
        assert f'href="{reverse("consent:overview")}"' in html
        assert f'href="{reverse("consent:access_log")}"' in html

    def test_professional_does_not(self, db, client_for):
        user = UserFactory(role=Role.BEHANDELAAR)
        html = client_for(user).get(reverse("consent:help")).content.decode()
        assert f'href="{reverse("consent:overview")}"' not in html
        assert f'href="{reverse("consent:access_log")}"' not in html


# --- One consent per recipient, purpose and period -------------------------------------------


class TestOneConsentAtATime:
    """Two consents side by side for the same recipient and purpose would make a withdrawal
    of one say "sharing stopped" while the other still shares."""

    def post(self, c, case, recipient, **changes):
        today = timezone.localdate()
        data = {
            "recipient": recipient.pk,
            "purpose": Purpose.REINTEGRATIE,
            "categories": [Category.WERKSITUATIE],
            "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=30)).isoformat(),
            "method": ConsentMethod.MONDELING,
            "purpose_explained": "on",
            **changes,
        }
        return c.post(reverse("consent:create_for_case", args=[case.pk]), data)

    def test_the_same_consent_sent_twice_is_stored_once(
        self, client_for, case_a, gemeente_g, behandelaar_a
    ):
        c = client_for(behandelaar_a)
        assert self.post(c, case_a, gemeente_g).status_code == 302
        first = Consent.objects.get()
        response = self.post(c, case_a, gemeente_g)
        assert response.status_code == 200
        html = response.content.decode()
        assert f"Er is al een toestemming om gegevens te delen met {gemeente_g}" in html
        assert f"nr. {first.pk}" in html
        assert "Vervangt een eerdere toestemming" in html
        assert Consent.objects.count() == 1

    # The clock stands still from before the fixtures run: one day, also across midnight.
    @pytest.mark.time_machine(timezone.localtime, tick=False)
    def test_an_overlapping_period_is_refused_a_later_one_is_not(
        self, client_for, record, case_a, gemeente_g, behandelaar_a
    ):
        # record: today - 10 up to today + 60.
        c = client_for(behandelaar_a)
        today = timezone.localdate()
        later = {
            "valid_from": (today + datetime.timedelta(days=60)).isoformat(),
            "valid_until": (today + datetime.timedelta(days=90)).isoformat(),
        }
        assert self.post(c, case_a, gemeente_g, **later).status_code == 200
        after = {
            "valid_from": (today + datetime.timedelta(days=61)).isoformat(),
            "valid_until": (today + datetime.timedelta(days=90)).isoformat(),
        }
        assert self.post(c, case_a, gemeente_g, **after).status_code == 302
        assert Consent.objects.count() == 2

    def test_renewing_replaces_and_another_purpose_or_recipient_is_its_own_consent(
        self, client_for, record, case_a, gemeente_g, uwv_u, behandelaar_a
    ):
        c = client_for(behandelaar_a)
        assert self.post(c, case_a, gemeente_g, supersedes=record.pk).status_code == 302
        assert self.post(c, case_a, gemeente_g, purpose=Purpose.DRIEGESPREK).status_code == 302
        assert self.post(c, case_a, uwv_u).status_code == 302
        assert Consent.objects.count() == 4
        assert Consent.objects.active().count() == 3

    def test_a_withdrawal_says_what_another_consent_still_shares(
        self, client_for, record, case_a, gemeente_g, behandelaar_a
    ):
        other = make_consent(case_a.client, gemeente_g, purpose=Purpose.DRIEGESPREK)
        c = client_for(behandelaar_a)
        withdraw = {"method": ConsentMethod.SCHRIFTELIJK, "withdrawn_on": timezone.localdate()}
        html = c.post(
            reverse("consent:withdraw", args=[record.pk]), withdraw, follow=True
        ).content.decode()
        assert (
            f"alleen nog wat een andere toestemming van deze cliënt toestaat: nr. {other.pk}"
            in html
        )
        assert "ziet deze gegevens niet meer" not in html
        html = c.post(
            reverse("consent:withdraw", args=[other.pk]), withdraw, follow=True
        ).content.decode()
        assert f"Vanaf nu ziet {gemeente_g} deze gegevens niet meer." in html

    def test_a_withdrawal_names_another_consent_that_has_yet_to_start(
        self, client_for, record, case_a, gemeente_g, uwv_u, behandelaar_a
    ):
        """'Vanaf nu ziet ... niet meer' alone misled when a consent for another purpose
        starts later: it says when, and what it will allow is that consent's."""
        coming = make_consent(
            case_a.client, gemeente_g, purpose=Purpose.DRIEGESPREK, days=(10, 200)
        )
        make_consent(case_a.client, uwv_u, days=(5, 200))  # another recipient: not named
        c = client_for(behandelaar_a)
        withdraw = {"method": ConsentMethod.SCHRIFTELIJK, "withdrawn_on": timezone.localdate()}
        response = c.post(reverse("consent:withdraw", args=[record.pk]), withdraw, follow=True)
        starts = date_format(coming.valid_from, "j F Y")
        assert [str(m) for m in response.context["messages"]] == [
            f"De toestemming is ingetrokken. Vanaf nu ziet {gemeente_g} deze gegevens niet "
            f"meer. Toestemming nr. {coming.pk} van deze cliënt gaat in op {starts}; vanaf "
            f"dan ziet {gemeente_g} wat die toestaat."
        ]

    def test_a_chosen_file_must_be_chosen_again_after_an_error(
        self, client_for, case_a, gemeente_g, behandelaar_a
    ):
        c = client_for(behandelaar_a)
        today = timezone.localdate()
        wrong_end = (today - datetime.timedelta(days=1)).isoformat()
        scan = SimpleUploadedFile("scan.png", PNG, "image/png")
        html = self.post(c, case_a, gemeente_g, valid_until=wrong_end, signed_form=scan)
        html = html.content.decode()
        assert "De einddatum ligt vóór de begindatum." in html
        assert "Kies het ondertekende formulier opnieuw" in html
        # Without a file, or with a file that is itself refused, no such line.
        html = self.post(c, case_a, gemeente_g, valid_until=wrong_end).content.decode()
        assert "Kies het ondertekende formulier opnieuw" not in html
        text = SimpleUploadedFile("scan.png", b"geen plaatje", "image/png")
        html = self.post(c, case_a, gemeente_g, signed_form=text).content.decode()
        assert "Dit bestand is geen PDF, JPEG of PNG." in html
        assert "Kies het ondertekende formulier opnieuw" not in html
        assert not Consent.objects.exists()

    def test_a_double_click_stores_one_consent(
        self, transactional_db, case_a, gemeente_g, behandelaar_a
    ):
        responses = at_the_same_time(
            behandelaar_a, lambda browser: self.post(browser, case_a, gemeente_g)
        )
        statuses = [response.status_code for response in responses]
        assert sorted(statuses) == [200, 302]
        assert Consent.objects.count() == 1


class TestConsentNewsStaysWithItsWriter:
    """The timeline says when a consent is recorded or withdrawn, naming the recipient and
    the categories. Gemeente G reads GGZ A's timeline on a consent of its own; it must not
    learn that the client also shares with UWV U (the consent panel shows each organisation
    only its own consents). GGZ A, which wrote it, reads it."""

    NEWS = ("delen met UWV U", "niet meer delen met UWV U")

    @pytest.fixture
    def shared(self, case_a, gemeente_g, uwv_u, behandelaar_a, client_for):
        make_consent(
            case_a.client,
            gemeente_g,
            categories=[Category.IDENTIFICATIE, Category.WERKSITUATIE, Category.AFSPRAKEN],
        )
        c = client_for(behandelaar_a)
        assert TestOneConsentAtATime().post(c, case_a, uwv_u).status_code == 302
        to_uwv = Consent.objects.get(recipient=uwv_u)
        response = c.post(
            reverse("consent:withdraw", args=[to_uwv.pk]),
            {
                "withdrawn_on": timezone.localdate().isoformat(),
                "method": ConsentMethod.SCHRIFTELIJK,
                "reason": "Wil het zelf regelen.",
            },
        )
        assert response.status_code == 302
        return case_a

    @pytest.mark.parametrize("name", ["cases:detail", "cases:timeline"])
    def test_the_gemeente_does_not_read_it(
        self, shared, client_for, klantmanager_g, behandelaar_a, name
    ):
        url = reverse(name, args=[shared.pk])
        theirs = client_for(klantmanager_g).get(url).content.decode()
        assert "Eva Jansen" in theirs  # the gemeente does read the timeline
        assert not any(news in theirs for news in self.NEWS)
        own = client_for(behandelaar_a).get(url).content.decode()
        assert all(news in own for news in self.NEWS)

    def test_nor_in_its_progress_report(self, shared, klantmanager_g, behandelaar_a):
        from portal import reports

        from .test_reports import pdf_text, request_progress

        theirs, own = (request_progress(u, shared) for u in (klantmanager_g, behandelaar_a))
        for report in (theirs, own):
            reports.render(report.pk)
        assert "UWV U" not in pdf_text(theirs)
        assert "UWV U" in pdf_text(own)

    def test_nor_as_its_last_activity(self, shared, klantmanager_g, behandelaar_a):
        news = TimelineEntry.objects.filter(case=shared, kind=TimelineKind.TOESTEMMING)
        later = timezone.now() + datetime.timedelta(minutes=5)
        news.update(occurred_at=later)
        seen = {
            user: consent.with_last_seen_activity(user, consent.cases_for(user)).get().last_seen_at
            for user in (klantmanager_g, behandelaar_a)
        }
        assert seen[behandelaar_a] == later
        # Nothing (the opening of the case is GGZ A's own news, since 5 December), or older.
        assert seen[klantmanager_g] is None or seen[klantmanager_g] < later


class TestWithdrawingStopsTheFollowOn:
    """The tester's #1: a follow-on consent (recorded as the current one neared its end)
    stayed in force after the client withdrew: from its start the recipient read again."""

    @pytest.fixture
    def consents(self, case_a, gemeente_g, uwv_u):
        client = case_a.client
        return {
            "current": make_consent(client, gemeente_g, days=(-10, 20)),
            "follow_on": make_consent(client, gemeente_g, days=(21, 200)),
            "other_purpose": make_consent(
                client, gemeente_g, days=(21, 200), purpose=Purpose.AFSTEMMING
            ),
            "other_recipient": make_consent(client, uwv_u, days=(21, 200)),
        }

    def test_the_page_says_so_and_both_end(self, consents, behandelaar_a, client_for):
        current, follow_on = consents["current"], consents["follow_on"]
        c = client_for(behandelaar_a)
        url = reverse("consent:withdraw", args=[current.pk])
        page = c.get(url).content.decode()
        assert "Er is ook een vervolgtoestemming voor hetzelfde doel, die nog ingaat" in page
        assert f"nr. {follow_on.pk}, vanaf" in page
        assert f"nr. {consents['other_purpose'].pk}," not in page
        response = c.post(
            url, {"withdrawn_on": timezone.localdate().isoformat(), "method": "schriftelijk"}
        )
        assert response.status_code == 302
        # The consent for another purpose is not withdrawn, and says when it will share.
        other = consents["other_purpose"]
        starts = date_format(other.valid_from, "j F Y")
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            f"De toestemming is ingetrokken, en ook de vervolgtoestemming nr. {follow_on.pk}. "
            f"Vanaf nu ziet Gemeente G deze gegevens niet meer. Toestemming nr. {other.pk} van "
            f"deze cliënt gaat in op {starts}; vanaf dan ziet Gemeente G wat die toestaat."
        ]
        states = {k: Consent.objects.get(pk=c.pk).state() for k, c in consents.items()}
        assert states == {
            "current": ConsentState.INGETROKKEN,
            "follow_on": ConsentState.INGETROKKEN,
            "other_purpose": ConsentState.TOEKOMSTIG,
            "other_recipient": ConsentState.TOEKOMSTIG,
        }
        logged = AccessLogEntry.objects.filter(object_type="intrekking", action=Action.CREATE)
        assert sorted(int(e.object_id) for e in logged) == sorted(
            ConsentWithdrawal.objects.values_list("pk", flat=True)
        )
        assert logged.count() == 2

    def test_a_follow_on_withdrawn_alone_leaves_the_current_one(
        self, consents, behandelaar_a, client_for
    ):
        follow_on = consents["follow_on"]
        client_for(behandelaar_a).post(
            reverse("consent:withdraw", args=[follow_on.pk]),
            {"withdrawn_on": timezone.localdate().isoformat(), "method": "schriftelijk"},
        )
        assert Consent.objects.get(pk=follow_on.pk).state() == ConsentState.INGETROKKEN
        assert Consent.objects.get(pk=consents["current"].pk).state() == ConsentState.ACTIEF


class TestOnlyWhatTheProviderHolds:
    """The tester's #3: a gemeente recorded a consent to share 'Medische en
    behandelinformatie' with GGZ, and the printed form promised the client's diagnoses."""

    def test_a_gemeente_is_offered_only_what_it_holds(
        self, client_for, klantmanager_g, ggz_a, behandelaar_a
    ):
        case = cases.open_case(klantmanager_g, register(klantmanager_g))
        c = client_for(klantmanager_g)
        url = reverse("consent:create_for_case", args=[case.pk])
        form = c.get(url).context["form"]
        offered = {category.code for category in form.fields["categories"].queryset}
        assert offered == {
            Category.IDENTIFICATIE,
            Category.WERKSITUATIE,
            Category.AFSPRAKEN,
            Category.MOGELIJKHEDEN,
        }
        response = TestOneConsentAtATime().post(
            c, case, ggz_a, categories=[Category.WERKSITUATIE, Category.MEDISCH]
        )
        assert response.status_code == 200
        assert (
            "Kies alleen gegevens uit de lijst: gegevens van de soort ‘medisch’ heeft uw "
            "organisatie niet" in response.content.decode()
        )
        assert not Consent.objects.exists()
        ggz_form = (
            client_for(behandelaar_a)
            .get(
                reverse(
                    "consent:create_for_case",
                    args=[
                        cases.open_case(behandelaar_a, register(behandelaar_a, first_name="Els")).pk
                    ],
                )
            )
            .context["form"]
        )
        assert Category.MEDISCH in {c.code for c in ggz_form.fields["categories"].queryset}


class TestARenewedConsentRaisesNoAlarm:
    """The tester's #4: with a follow-on recorded, the werkvoorraad still said 'Toestemming
    verloopt binnen 30 dagen' and the daily run still asked to discuss a new consent."""

    FLAG = "Toestemming verloopt binnen 30 dagen"

    @pytest.fixture
    def ending(self, case_a, gemeente_g):
        return make_consent(case_a.client, gemeente_g, days=(-300, 20))

    def test_the_werkvoorraad_flags_it_until_it_is_followed_up(
        self, ending, case_a, gemeente_g, uwv_u, client_for, behandelaar_a
    ):
        c = client_for(behandelaar_a)
        assert self.FLAG in c.get(reverse("portal:home")).content.decode()
        make_consent(case_a.client, uwv_u, days=(21, 200))  # another recipient: no follow-on
        assert self.FLAG in c.get(reverse("portal:home")).content.decode()
        make_consent(case_a.client, gemeente_g, days=(21, 200))
        assert self.FLAG not in c.get(reverse("portal:home")).content.decode()

    def test_a_consent_that_shares_nothing_raises_no_alarm(
        self, case_a, gemeente_g, uwv_u, client_for, behandelaar_a
    ):
        """Its end ends no sharing: no one at the recipient reads under its purpose."""
        make_consent(case_a.client, gemeente_g, days=(-300, 20), purpose=Purpose.IPS_TRAJECT)
        c = client_for(behandelaar_a)
        assert self.FLAG not in c.get(reverse("portal:home")).content.decode()
        # One that does share, ending as soon, still warns.
        make_consent(case_a.client, uwv_u, days=(-300, 20), purpose=Purpose.REINTEGRATIE)
        assert self.FLAG in c.get(reverse("portal:home")).content.decode()

    def test_the_warning_says_the_days_of_the_setting(
        self, ending, settings, client_for, behandelaar_a, beheerder_a
    ):
        """WERKPAD_CONSENT_WARN_DAYS decides which consents count as ending soon; the
        werkvoorraad's flag and the overview's tab said '30 dagen' whatever it was."""
        settings.WERKPAD_CONSENT_WARN_DAYS = 14  # the consent ends in 20 days: not yet
        home = client_for(behandelaar_a).get(reverse("portal:home")).content.decode()
        assert "Toestemming verloopt binnen" not in home
        overview = client_for(beheerder_a).get(reverse("consent:overview"))
        assert ("verloopt", "Verloopt binnen 14 dagen", 0) in overview.context["tabs"]
        settings.WERKPAD_CONSENT_WARN_DAYS = 21
        home = client_for(behandelaar_a).get(reverse("portal:home")).content.decode()
        assert "Toestemming verloopt binnen 21 dagen" in home
        assert "30 dagen" not in home
        overview = client_for(beheerder_a).get(reverse("consent:overview")).content.decode()
        assert "Verloopt binnen 21 dagen (1)" in overview

    def test_the_daily_run_warns_only_without_a_follow_on(self, ending, case_a, gemeente_g):
        from consent.tasks import notify_expiries

        make_consent(case_a.client, gemeente_g, days=(21, 200))
        assert notify_expiries() == {"gewaarschuwd": 0, "verlopen": 0}
        assert not TimelineEntry.objects.filter(kind=TimelineKind.TOESTEMMING).exists()

    def test_a_withdrawn_follow_on_does_not_count(self, ending, case_a, gemeente_g):
        from consent.tasks import notify_expiries

        follow_on = make_consent(case_a.client, gemeente_g, days=(21, 200))
        ConsentWithdrawal.objects.create(
            consent=follow_on,
            withdrawn_on=timezone.localdate(),
            method="schriftelijk",
            recorded_by=case_a.client.created_by,
        )
        assert notify_expiries()["gewaarschuwd"] == 1
