"""manage.py seed_volume: realistic volume data, written fast, that the portal can use.

Small N here (the speed at N = 100 000 is measured by `make bench`): the counts and shapes,
every consent state, a valid access-log chain that write_log continues, guardian teams that
consent.services understands, the foreign-key check of a block, the refusals, and the
portal's pages on the seeded data.
"""

import datetime
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases.constants import CaseRole
from cases.models import (
    Case,
    CaseMember,
    ChangeTalk,
    Client,
    Conversation,
    Driegesprek,
    MitiSelfAssessment,
    TimelineEntry,
)
from cases.validators import validate_bsn
from consent import services as consent
from consent.constants import Action, Basis, Category, ConsentState, Outcome
from consent.models import AccessLogEntry, Consent
from ips.constants import Phase
from ips.models import EmployerContact, PhaseChange, Placement, Trajectory
from portal import volume
from portal.constants import Role
from portal.models import Organisation, User

from .worker import PROJECT_ROOT, _test_database_url

N = 250


@pytest.fixture
def seeded(db):
    call_command("seed_volume", clients=N, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return N


def user(email):
    return User.objects.get(email=email)


class TestShape:
    def test_counts_follow_the_plan(self, seeded):
        plan = volume.Plan.for_clients(N)
        assert Client.objects.count() == N
        assert Case.objects.count() == N
        assert Organisation.objects.filter(name__endswith="(volume)").count() == (
            plan.ggz + plan.gemeenten + plan.uwv
        )
        staff = sum(sum(roles.values()) for roles in plan.staff().values())
        assert User.objects.count() == staff
        # About ten timeline entries and exactly twenty access-log entries per client.
        assert 8 * N <= TimelineEntry.objects.count() <= 12 * N
        assert AccessLogEntry.objects.count() == volume.LOG_PER_CLIENT * N

    def test_clients_have_valid_unique_bsns(self, seeded):
        pairs = list(Client.objects.values_list("organisation_id", "bsn"))
        assert len(set(pairs)) == N
        for _org, bsn in pairs:
            try:
                validate_bsn(bsn)
            except ValidationError:
                pytest.fail(f"BSN {bsn} voldoet niet aan de elfproef")

    def test_clients_are_found_by_name(self, seeded):
        """The bulk writer fills the search name Client.save() keeps (the benchmark's
        werkvoorraad search goes by it)."""
        from portal.words import searchable

        for first, last, search_name in Client.objects.values_list(
            "first_name", "last_name", "search_name"
        ):
            assert search_name == searchable(f"{first} {last}")

    def test_consents_in_every_state(self, seeded):
        consents = Consent.objects.select_related("withdrawal", "superseded_by")
        states = Counter(c.state() for c in consents)
        assert set(states) == set(ConsentState), states
        # ... and active ones that expire within 30 days (the "verloopt" tab).
        soon = timezone.localdate() + datetime.timedelta(days=30)
        active = [c for c in consents if c.state() == ConsentState.ACTIEF]
        assert any(c.valid_until <= soon for c in active)
        assert Consent.objects.filter(supersedes__isnull=False).exists()

    def test_ips_trajectories_with_history_contacts_and_placements(self, seeded):
        phases = set(Trajectory.objects.values_list("phase", flat=True))
        assert phases == set(Phase), phases
        assert PhaseChange.objects.count() >= Trajectory.objects.count()
        assert EmployerContact.objects.exists()
        assert Placement.objects.exists()
        for trajectory in Trajectory.objects.exclude(coach=None):
            # The coach is on the case team: guardian, as consent.services stores it.
            roles = consent.case_roles_of(trajectory.coach, trajectory.case)
            assert roles == {CaseRole.TRAJECTBEGELEIDER}

    def test_conversations_with_change_talk(self, seeded):
        conversations = Conversation.objects.all()
        assert N * 0.2 < conversations.count() < N * 1.5
        assert ChangeTalk.objects.count() >= conversations.count()
        assert MitiSelfAssessment.objects.exists()
        # Written by the behandelaar or coach on the team, held by their organisation.
        for item in conversations.select_related("author")[:50]:
            assert item.organisation_id == item.author.organisation_id
            assert consent.case_roles_of(item.author, item.case) - {CaseRole.KLANTMANAGER}

    def test_cases_say_which_panels_have_records(self, seeded):
        """COPY bypasses CaseContent.save(): the seeder sets the flags afterwards."""
        for flag, model in (
            ("has_conversations", Conversation),
            ("has_ips_trajectories", Trajectory),
            ("has_meetings", Driegesprek),
        ):
            flagged = set(Case.objects.filter(**{flag: True}).values_list("pk", flat=True))
            assert flagged == set(model.objects.values_list("case_id", flat=True)), flag
            assert 0 < len(flagged) < N
        assert not Case.objects.filter(has_leidraad_sessions=True).exists()  # none seeded

    def test_teams_are_what_the_access_policy_reads(self, seeded):
        case = Case.objects.select_related("opened_by", "client").first()
        access = consent.case_access(case.opened_by, case)
        assert access.is_member
        assert access.can_read(Category.IDENTIFICATIE, case.client.organisation_id)
        # A klantmanager with an active consent reads the name the GGZ holds.
        active = (
            Consent.objects.active()
            .filter(categories=Category.IDENTIFICATIE, recipient__users__role=Role.KLANTMANAGER)
            .select_related("client")
            .first()
        )
        member = (
            CaseMember.objects.filter(
                content_object__client=active.client,
                user__organisation=active.recipient,
            )
            .select_related("user", "content_object")
            .first()
        )
        access = consent.case_access(member.user, member.content_object)
        decision = access.decide(Category.IDENTIFICATIE, active.provider_id)
        assert decision.allowed and decision.basis == Basis.TOESTEMMING


class TestAccessLog:
    def test_chain_verifies_and_write_log_continues_it(self, seeded, capsys):
        checked, broken = consent.verify_chain()
        assert broken is None
        assert checked == volume.LOG_PER_CLIENT * N
        someone = User.objects.filter(role=Role.BEHANDELAAR).first()
        consent.log(
            None,
            someone,
            decision=consent.Decision(True, Basis.EIGEN_ORGANISATIE),
            action=Action.READ,
            object_type="casus",
        )
        call_command("verify_inzagelog")
        assert f"{volume.LOG_PER_CLIENT * N + 1} regels gecontroleerd" in capsys.readouterr().out

    def test_entries_are_in_time_order_with_denials(self, seeded):
        times = list(AccessLogEntry.objects.order_by("pk").values_list("timestamp", flat=True))
        assert times == sorted(times)
        outcomes = Counter(AccessLogEntry.objects.values_list("outcome", flat=True))
        assert outcomes[Outcome.GEWEIGERD] > 0
        assert outcomes[Outcome.TOEGESTAAN] > 10 * outcomes[Outcome.GEWEIGERD]
        assert AccessLogEntry.objects.filter(basis=Basis.TOESTEMMING, consent__isnull=False)


class TestRefusals:
    def test_outside_demo_and_test_the_command_exits_with_a_dutch_message(self, db):
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("WERKPAD_TEST", "WERKPAD_DEMO", "DEBUG")
        }
        env.update(
            SECRET_KEY="een-lange-geheime-sleutel-alleen-voor-deze-test-0123456789",
            DATABASE_URL=_test_database_url(),
            DJANGO_SETTINGS_MODULE="portal.settings",
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "seed_volume", "--clients", "10"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        assert "alleen in demomodus (WERKPAD_DEMO=1) of in de testomgeving" in result.stderr
        assert "Traceback" not in result.stderr
        assert not Client.objects.exists()

    def test_in_process_refusal_writes_nothing(self, db, settings):
        settings.DEMO_MODE = settings.TEST_MODE = False
        with pytest.raises(CommandError, match="alleen in demomodus"):
            call_command("seed_volume", clients=10)
        assert not Organisation.objects.exists()

    def test_a_second_run_is_refused(self, seeded):
        with pytest.raises(CommandError, match="bevat al volumegegevens"):
            call_command("seed_volume", clients=10)
        assert Client.objects.count() == N

    def test_a_block_with_a_dangling_foreign_key_is_rolled_back(self, seeded):
        writer = volume.Writer()
        case = Case.objects.first()
        row = (case.pk, case.organisation_id, case.opened_by_id, "notitie", "medisch", "x")
        missing_case = Case.objects.order_by("-pk").first().pk + 1000
        fields = ("case_id", "organisation_id", "author_id", "kind", "category", "title")
        dangling = "verwijzen via case naar iets dat niet bestaat"
        with pytest.raises(RuntimeError, match=dangling), writer.transaction():
            assert writer._fast, "bin/with-services draait PostgreSQL als superuser"
            writer.copy(TimelineEntry, fields, [row, (missing_case, *row[1:])])
        assert not TimelineEntry.objects.filter(title="x").exists()


class TestPagesOnSeededData:
    """The portal works on the seeded data, for every role that has pages."""

    def test_behandelaar_worklist_case_and_timeline(self, seeded, client_for):
        member = CaseMember.objects.filter(
            permission__codename=CaseRole.REGIEBEHANDELAAR
        ).select_related("user", "content_object__client")[0]
        c = client_for(member.user)
        home = c.get(reverse("portal:home"))
        assert home.status_code == 200
        assert "Mijn werkvoorraad" in home.content.decode()
        case = member.content_object
        page = c.get(reverse("cases:detail", args=[case.pk]))
        assert page.status_code == 200
        assert case.client.last_name in page.content.decode()
        assert c.get(reverse("cases:timeline", args=[case.pk])).status_code == 200
        search = c.get(reverse("portal:home"), {"q": case.client.last_name})
        assert search.status_code == 200
        assert case.client.last_name in search.content.decode()

    def test_beheerder_consents_and_access_log(self, seeded, client_for):
        c = client_for(user(f"beheerder1@ggz-01.{volume.EMAIL_DOMAIN}"))
        overview = c.get(reverse("consent:overview"))
        assert overview.status_code == 200
        log = c.get(reverse("consent:access_log"), {"action": Action.READ, "outcome": "toegestaan"})
        assert log.status_code == 200
        assert "Inzagelog" in log.content.decode()

    def test_jobcoach_caseload_and_results(self, seeded, client_for):
        coach = Trajectory.objects.exclude(coach=None).select_related("coach").first().coach
        c = client_for(coach)
        assert c.get(reverse("ips:caseload")).status_code == 200
        results = c.get(reverse("ips:results"))
        assert results.status_code == 200
        assert f"Resultaten {coach.ips_team_member.team.name} (" in results.content.decode()

    def test_klantmanager_worklist(self, seeded, client_for):
        c = client_for(user(f"klantmanager1@gemeente-01.{volume.EMAIL_DOMAIN}"))
        assert c.get(reverse("portal:home")).status_code == 200
