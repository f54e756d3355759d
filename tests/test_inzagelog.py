"""Inzagelog (NEN 7513): the hash chain, `manage.py verify_inzagelog`, the append-only
guards in the ORM and the database, and the beheerder's filters (issue 4)."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as cases
from cases.constants import CaseRole
from cases.models import Client
from cases.validators import validate_bsn
from consent import services as consent
from consent.constants import Action, Basis, Category, Outcome
from consent.models import AccessLogEntry
from portal.constants import Role
from portal.models import User

from .builders import noon
from .factories import UserFactory

TRIGGER = "consent_accesslog_no_update_delete"

# The clock stands still from before the fixtures run (timezone.localtime is called then,
# not when the test is collected): the dates a test computes and those the fixtures stored
# fall on one day, also when a run crosses midnight.
SAME_DAY = pytest.mark.time_machine(timezone.localtime, tick=False)


def _bsns():
    for number in itertools.count(500_000_000):
        try:
            validate_bsn(f"{number:09d}")
        except ValidationError:
            continue
        yield f"{number:09d}"


BSNS = _bsns()


def register(owner, first_name, last_name):
    return cases.register_client(
        owner,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=datetime.date(1985, 2, 3),
        bsn=next(BSNS),
    )


def days_ago(n):
    """Midday of the local day ``n`` days back (builders.noon)."""
    return noon(timezone.localdate() - datetime.timedelta(days=n))


def entry(user, client, action=Action.READ, allowed=True, when=None):
    item = consent.entry(
        None,
        user,
        decision=consent.Decision(True, Basis.EIGEN_ORGANISATIE) if allowed else consent.DENIED,
        action=action,
        object_type="casus",
        object_id=client.pk,
        category=Category.IDENTIFICATIE,
        client=client,
    )
    if when is not None:
        item.timestamp = when
    return item


def tamper(sql, params):
    """What only someone with database rights could do: switch the guard off, change a
    row, switch it on again."""
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of this test's transaction must run before ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE consent_accesslogentry DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE consent_accesslogentry ENABLE TRIGGER {TRIGGER}")


@pytest.fixture
def logged(behandelaar_a, klantmanager_g):
    client = register(behandelaar_a, "Eva", "Jansen")
    consent.write_log(
        [entry(behandelaar_a, client), entry(klantmanager_g, client, allowed=False)]
        + [entry(behandelaar_a, client, action=Action.UPDATE) for _ in range(4)]
    )
    return list(AccessLogEntry.objects.order_by("pk"))


class TestChain:
    def test_each_entry_carries_the_previous_hash(self, logged):
        assert logged[0].prev_hash == consent.GENESIS_HASH
        for previous, item in itertools.pairwise(logged):
            assert item.prev_hash == previous.hash
            assert item.hash == item.compute_hash(previous.hash)

    def test_intact_chain_verifies(self, logged, capsys):
        call_command("verify_inzagelog")
        out = capsys.readouterr().out
        assert f"Inzagelog in orde: {len(logged)} regels gecontroleerd." in out

    def test_changed_row_is_named(self, logged):
        victim = logged[3]
        tamper(
            "UPDATE consent_accesslogentry SET outcome = %s WHERE id = %s",
            [Outcome.GEWEIGERD, victim.pk],
        )
        with pytest.raises(CommandError, match=rf"verbroken bij regel {victim.pk} ") as exc:
            call_command("verify_inzagelog")
        assert "de 3 regels ervoor zijn in orde" in str(exc.value)

    def test_recomputed_hash_still_breaks_at_the_next_row(self, logged):
        """Whoever also rewrites the changed row's hash breaks the link of the next one."""
        victim, following = logged[2], logged[3]
        victim.outcome = Outcome.GEWEIGERD
        forged = victim.compute_hash(victim.prev_hash)
        tamper(
            "UPDATE consent_accesslogentry SET outcome = %s, hash = %s WHERE id = %s",
            [Outcome.GEWEIGERD, forged, victim.pk],
        )
        checked, broken = consent.verify_chain()
        assert broken.pk == following.pk
        assert checked == 3

    def test_removed_row_breaks_the_chain(self, logged):
        tamper("DELETE FROM consent_accesslogentry WHERE id = %s", [logged[1].pk])
        checked, broken = consent.verify_chain()
        assert (checked, broken.pk) == (1, logged[2].pk)

    def test_command_exits_non_zero(self, logged, capsys):
        tamper(
            "UPDATE consent_accesslogentry SET role = %s WHERE id = %s",
            ["beheerder", logged[0].pk],
        )
        with pytest.raises(SystemExit) as exc:
            ManagementUtility(["manage.py", "verify_inzagelog"]).execute()
        assert exc.value.code != 0
        assert f"regel {logged[0].pk}" in capsys.readouterr().err

    def test_command_exits_zero_when_intact(self, logged):
        # execute() returns normally (no SystemExit) when the chain holds.
        ManagementUtility(["manage.py", "verify_inzagelog"]).execute()


class TestAppendOnly:
    def test_orm_refuses_update_and_delete(self, logged):
        item = logged[0]
        item.outcome = Outcome.GEWEIGERD
        with pytest.raises(ValueError, match="alleen aan te vullen"):
            item.save()
        with pytest.raises(ValueError, match="alleen aan te vullen"):
            item.delete()
        with pytest.raises(ValueError, match="alleen aan te vullen"):
            AccessLogEntry.objects.filter(pk=item.pk).update(outcome=Outcome.GEWEIGERD)
        with pytest.raises(ValueError, match="alleen aan te vullen"):
            AccessLogEntry.objects.all().delete()
        assert AccessLogEntry.objects.get(pk=item.pk).outcome == Outcome.TOEGESTAAN
        assert AccessLogEntry.objects.count() == len(logged)

    def test_database_refuses_update_and_delete(self, logged):
        for sql in (
            "UPDATE consent_accesslogentry SET outcome = 'geweigerd' WHERE id = %s",
            "DELETE FROM consent_accesslogentry WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="alleen aan te vullen"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [logged[0].pk])
        assert consent.verify_chain() == (len(logged), None)

    def test_a_hash_is_taken_once_and_indexed_once(self, logged):
        """The chain's hashes are unique in the database; that one index is the only one
        on the column (each index on this table is written by every page view)."""
        copy = AccessLogEntry(
            **{f: getattr(logged[0], f) for f in AccessLogEntry.HASHED_FIELDS},
            prev_hash=logged[-1].hash,
            hash=logged[0].hash,
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            AccessLogEntry.objects.bulk_create([copy])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                ["consent_accesslogentry", "%(hash%"],
            )
            assert [row[0].split(" ON ")[0] for row in cursor.fetchall()] == [
                "CREATE UNIQUE INDEX accesslog_hash_unique"
            ]


class TestBeheerderFilters:
    url = "/beheer/inzagelog/"

    @pytest.fixture
    def world(self, behandelaar_a, klantmanager_g, beheerder_a):
        User.objects.filter(pk=behandelaar_a.pk).update(first_name="Bram", last_name="Zorgman")
        User.objects.filter(pk=klantmanager_g.pk).update(
            first_name="Karin", last_name="Gemeenteveld"
        )
        behandelaar_a.refresh_from_db()
        klantmanager_g.refresh_from_db()
        eva = register(behandelaar_a, "Eva", "Jansen")
        piet = register(behandelaar_a, "Piet", "de Vries")
        bakker = register(klantmanager_g, "Anna", "Bakker")  # Gemeente G's own client
        items = {
            "eva_read": entry(behandelaar_a, eva, when=days_ago(10)),
            "eva_denied": entry(klantmanager_g, eva, allowed=False, when=days_ago(5)),
            "piet_create": entry(behandelaar_a, piet, action=Action.CREATE, when=days_ago(1)),
            "bakker_read": entry(klantmanager_g, bakker, when=days_ago(1)),
        }
        consent.write_log(items.values())
        return {key: item.pk for key, item in items.items()}

    def shown(self, client_for, beheerder, **params):
        response = client_for(beheerder).get(self.url, params)
        assert response.status_code == 200
        # Leave out the page's own reads (the beheerder seeing names is logged too).
        return {e.pk for e in response.context["entries"] if e.object_type != "inzagelog"}

    def names(self, world, *keys):
        return {world[key] for key in keys}

    def test_without_filters_only_own_clients(self, client_for, beheerder_a, world):
        assert self.shown(client_for, beheerder_a) == self.names(
            world, "eva_read", "eva_denied", "piet_create"
        )

    def test_other_beheerder_sees_their_clients_and_their_own_people(
        self, client_for, beheerder_g, world
    ):
        """NEN 7513: the gemeente reviews what its klantmanager did, also in a GGZ client's
        file (here: a refused attempt); GGZ's own reads of it stay GGZ's."""
        assert self.shown(client_for, beheerder_g) == self.names(world, "bakker_read", "eva_denied")

    def test_another_organisations_client_is_not_named(
        self, client_for, beheerder_g, klantmanager_g, behandelaar_a, world
    ):
        from .builders import make_case

        case = make_case(behandelaar_a, first_name="Lotte", last_name="Verborgen")
        consent.add_member(case, klantmanager_g, CaseRole.KLANTMANAGER)
        read = consent.entry(
            None,
            klantmanager_g,
            decision=consent.Decision(True, Basis.TOESTEMMING),
            action=Action.READ,
            object_type="casus",
            object_id=case.pk,
            category=Category.WERKSITUATIE,
            client=case.client,
            case=case,
        )
        consent.write_log([read])
        last = AccessLogEntry.objects.latest("pk").pk
        response = client_for(beheerder_g).get(self.url)
        html = response.content.decode()
        assert read.pk in {e.pk for e in response.context["entries"]}
        assert f"Casus {case.pk} (naam niet gedeeld)" in html
        assert "Cliënt van een andere organisatie (naam niet gedeeld)" in html  # Eva's
        assert "Verborgen" not in html and "Jansen" not in html and "Lotte" not in html
        assert "Anna Bakker" in html  # the gemeente's own client, by name
        # Viewing is logged for the own client whose name was shown, and nothing else (no
        # denied entry for the other organisation's clients, whose names were not shown).
        review = AccessLogEntry.objects.filter(pk__gt=last)
        assert set(review.values_list("client_id", "outcome")) == {
            (Client.objects.get(last_name="Bakker").pk, Outcome.TOEGESTAAN)
        }
        # A name search cannot probe the other organisation's clients.
        assert self.shown(client_for, beheerder_g, client="Verborgen") == set()
        assert self.shown(client_for, beheerder_g, client="Jansen") == set()
        assert self.shown(client_for, beheerder_g, client="Bakker") == self.names(
            world, "bakker_read"
        )

    def test_action(self, client_for, beheerder_a, world):
        assert self.shown(client_for, beheerder_a, action=Action.CREATE) == self.names(
            world, "piet_create"
        )

    def test_outcome(self, client_for, beheerder_a, world):
        assert self.shown(client_for, beheerder_a, outcome=Outcome.GEWEIGERD) == self.names(
            world, "eva_denied"
        )

    def test_user(self, client_for, beheerder_a, world):
        assert self.shown(client_for, beheerder_a, user="gemeenteveld") == self.names(
            world, "eva_denied"
        )
        assert self.shown(client_for, beheerder_a, user="Bram Zorgman") == self.names(
            world, "eva_read", "piet_create"
        )
        assert self.shown(client_for, beheerder_a, user="Bram Gemeenteveld") == set()
        assert self.shown(client_for, beheerder_a, user="niemand") == set()

    def test_client(self, client_for, beheerder_a, world):
        assert self.shown(client_for, beheerder_a, client="vries") == self.names(
            world, "piet_create"
        )
        assert self.shown(client_for, beheerder_a, client="bakker") == set()

    @SAME_DAY
    def test_dates(self, client_for, beheerder_a, world):
        today = timezone.localdate()
        assert self.shown(
            client_for,
            beheerder_a,
            date_from=(today - datetime.timedelta(days=6)).isoformat(),
            date_to=(today - datetime.timedelta(days=2)).isoformat(),
        ) == self.names(world, "eva_denied")
        assert self.shown(
            client_for, beheerder_a, date_from=(today - datetime.timedelta(days=1)).isoformat()
        ) == self.names(world, "piet_create")

    def test_the_calendars_first_and_last_day_mean_no_bound(self, client_for, beheerder_a, world):
        everything = self.names(world, "eva_read", "eva_denied", "piet_create")
        assert self.shown(client_for, beheerder_a, date_from="0001-01-01") == everything
        assert self.shown(client_for, beheerder_a, date_to="9999-12-31") == everything
        assert (
            self.shown(client_for, beheerder_a, date_from="0001-01-02", date_to="9999-12-30")
            == everything
        )

    @pytest.mark.parametrize("day", [datetime.date.min, datetime.date(1, 1, 2), datetime.date.max])
    def test_every_day_gives_a_bound_the_database_can_take(self, day):
        """Local midnight of 1 January of year 1 lies before year 1 in UTC (SQLite's adapter
        converts to UTC and failed with a server error): it means no bound."""
        from consent.views import _start_of_day

        start = _start_of_day(day)
        if day == datetime.date.min:
            assert start is None
        else:
            assert start.astimezone(datetime.UTC).year >= 1
            assert timezone.localtime(start).date() == day

    def test_reversed_dates_are_explained(self, client_for, beheerder_a, world):
        today = timezone.localdate()
        response = client_for(beheerder_a).get(
            self.url,
            {
                "date_from": today.isoformat(),
                "date_to": (today - datetime.timedelta(1)).isoformat(),
            },
        )
        assert "De einddatum ligt vóór de begindatum." in response.content.decode()
        assert response.context["entries"] == []

    def test_combined(self, client_for, beheerder_a, world):
        assert self.shown(
            client_for, beheerder_a, user="zorgman", client="jansen", action=Action.READ
        ) == self.names(world, "eva_read")

    def test_page_shows_who_what_basis_outcome(self, client_for, beheerder_a, world):
        html = client_for(beheerder_a).get(self.url, {"outcome": "geweigerd"}).content.decode()
        assert "Karin Gemeenteveld" in html
        assert "Eva Jansen" in html
        assert "Geweigerd" in html
        assert "Geen grondslag" in html

    def test_viewing_the_log_is_logged(self, client_for, beheerder_a, world):
        client_for(beheerder_a).get(self.url)
        own = AccessLogEntry.objects.filter(user=beheerder_a, object_type="inzagelog")
        assert set(own.values_list("basis", flat=True)) == {Basis.BEHEER}
        assert own.count() == 2  # Eva Jansen and Piet de Vries, once each

    def test_reading_the_log_does_not_fill_the_page_unless_asked(
        self, client_for, beheerder_a, world
    ):
        colleague = UserFactory(organisation=beheerder_a.organisation, role=Role.BEHEERDER)
        client_for(colleague).get(self.url)  # a colleague's review: 2 entries, shown
        c = client_for(beheerder_a)
        for _ in range(3):
            c.get(self.url)
        shown = c.get(self.url).context["entries"]
        assert {e.pk for e in shown if e.user != colleague} == self.names(
            world, "eva_read", "eva_denied", "piet_create"
        )
        assert [e.object_type for e in shown if e.user == colleague] == ["inzagelog"] * 2
        reviews = c.get(self.url, {"with_log_reviews": "on"}).context["entries"]
        own = [e for e in reviews if e.user == beheerder_a]
        assert [e.object_type for e in own] == ["inzagelog"] * 8  # 4 views × 2 clients
        html = c.get(self.url).content.decode()
        assert "Ook uw eigen inzage van dit inzagelog tonen" in html

    def test_pagination_keeps_filters(self, client_for, beheerder_a, behandelaar_a, world):
        client = AccessLogEntry.objects.get(pk=world["eva_read"]).client
        consent.write_log(entry(behandelaar_a, client, action=Action.UPDATE) for _ in range(60))
        c = client_for(beheerder_a)
        first = c.get(self.url, {"action": Action.UPDATE})
        newest = [e.pk for e in first.context["entries"]]
        assert len(newest) == 50 and newest == sorted(newest, reverse=True)
        html = first.content.decode()
        assert f"action=update&amp;ouder_dan={newest[-1]}" in html
        assert "nieuwer_dan" not in html  # the newest page
        older = c.get(self.url, {"action": Action.UPDATE, "ouder_dan": newest[-1]})
        rest = [e.pk for e in older.context["entries"]]
        assert len(rest) == 10 and max(rest) < min(newest)
        html = older.content.decode()
        assert "ouder_dan" not in html  # the oldest page
        assert f"action=update&amp;nieuwer_dan={rest[0]}" in html
        back = c.get(self.url, {"action": Action.UPDATE, "nieuwer_dan": rest[0]})
        assert [e.pk for e in back.context["entries"]] == newest

    def test_query_count_does_not_grow_with_the_log(
        self, client_for, beheerder_a, behandelaar_a, world, django_assert_num_queries
    ):
        client = AccessLogEntry.objects.get(pk=world["eva_read"]).client
        c = client_for(beheerder_a)
        params = {"action": Action.UPDATE}
        consent.write_log(entry(behandelaar_a, client, action=Action.UPDATE) for _ in range(3))
        c.get(self.url, params)
        with CaptureQueriesContext(connection) as captured:
            c.get(self.url, params)
        few = len(captured)  # now: the next request empties the connection's query log
        # No count of all matching entries: that is what grew with the organisation.
        assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
        consent.write_log(entry(behandelaar_a, client, action=Action.UPDATE) for _ in range(120))
        c.get(self.url, params)
        with django_assert_num_queries(few):
            c.get(self.url, params)

    @pytest.mark.parametrize("value", ["9" * 30, "-1", "¹", "abc", ""])
    def test_odd_page_ids_are_no_server_error(self, client_for, beheerder_a, world, value):
        c = client_for(beheerder_a)
        for name in ("ouder_dan", "nieuwer_dan"):
            assert c.get(self.url, {name: value}).status_code == 200

    def test_reachable_from_the_menu(self, client_for, beheerder_a, world):
        html = client_for(beheerder_a).get(reverse("consent:overview")).content.decode()
        assert f'href="{self.url}"' in html
