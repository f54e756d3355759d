"""Security sweeps, part 1: the routes of the project, found by walking the URL
configuration (so a new view is never silently missed), and the world the sweeps use.

tests/test_idor.py (who may open which object) and tests/test_fuzz.py (every form fed
hostile input) import the helpers below; the tests in this file hold for every route:
anonymous visitors are sent to sign in, and private files never get a public URL.
"""

import datetime
import inspect
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from cases import conversation_services as conversations
from cases import leidraad_services as leidraad
from cases import services as cases
from cases.constants import (
    CaseRole,
    CaseStatus,
    ChangeTalkKind,
    Judgement,
    LeidraadStatus,
    RecoveryDomain,
)
from cases.models import (
    Agreement,
    Case,
    Driegesprek,
    Goal,
    LeidraadSession,
    LeidraadThemeNote,
)
from consent import services as consent
from consent.constants import Category, Purpose
from consent.models import AccessLogEntry
from ips import fidelity
from ips import services as ips
from ips.constants import ContractType, Phase, ReviewKind
from ips.models import Beroepsprofiel, Placement, Trajectory
from portal.constants import Role
from portal.models import Report, ReportStatus, ReportType

from .builders import SIGNED_PDF, SIGNED_PNG, make_case, make_consent, named_world
from .factories import UserFactory
from .test_conversations import conversation_data

# --- The routes ------------------------------------------------------------------------------

PROJECT_APPS = ("portal", "cases", "consent", "ips")
# Routes anyone may open without signing in.
PUBLIC = {"portal:health"}


@dataclass(frozen=True)
class Route:
    name: str  # "cases:detail"
    route: str  # "casussen/<int:pk>/"
    params: tuple  # ("pk",)
    callback: object

    @property
    def object_params(self):
        """Parameters naming a stored object (ids, numbers), not e.g. a step of a flow."""
        return tuple(p for p in self.params if p != "step")

    def sample_kwargs(self):
        return dict.fromkeys(self.params, 1)


def project_routes():
    """Every route whose view lives in one of the project's apps (not allauth, not the
    Django admin), with its full name including the namespace."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                space = namespace
                if pattern.namespace:
                    space = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
            elif isinstance(pattern, URLPattern) and pattern.name:
                module = getattr(pattern.callback, "__module__", "") or ""
                if module.split(".")[0] not in PROJECT_APPS:
                    continue
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.append(
                    Route(
                        name,
                        prefix + str(pattern.pattern),
                        tuple(pattern.pattern.converters),
                        pattern.callback,
                    )
                )

    walk(get_resolver().url_patterns, "", "")
    return found


ROUTES = {r.name: r for r in project_routes()}


def view_function(callback):
    """The function under the decorators (login_required, role_required, require_POST...):
    follows __wrapped__, or a decorator's closure that holds the wrapped function."""
    seen = set()
    func = callback
    while id(func) not in seen:
        seen.add(id(func))
        if hasattr(func, "__wrapped__"):
            func = func.__wrapped__
            continue
        inner = [
            cell.cell_contents
            for cell in (getattr(func, "__closure__", None) or ())
            if inspect.isfunction(_contents(cell))
        ]
        if len(inner) == 1:
            func = inner[0]
            continue
        break
    return func


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def allowed_methods(callback):
    """The methods a require_http_methods decorator allows, or None (any)."""
    func = callback
    seen = set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            value = _contents(cell)
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) for v in value)
                and set(value) <= HTTP_METHODS
            ):
                return set(value)
        nxt = getattr(func, "__wrapped__", None)
        if nxt is None:
            inner = [
                _contents(c)
                for c in (getattr(func, "__closure__", None) or ())
                if inspect.isfunction(_contents(c))
            ]
            nxt = inner[0] if len(inner) == 1 else None
        func = nxt
    return None


def _source_with_helpers(func):
    """The view's source plus that of the project's functions it names (one level):
    session_step dispatches to _step_selection, which reads request.POST."""
    try:
        parts = [inspect.getsource(func)]
    except (OSError, TypeError):
        return ""
    module = inspect.getmodule(func)
    for name in func.__code__.co_names:
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__.split(".")[0] in PROJECT_APPS:
            with suppress(OSError):
                parts.append(inspect.getsource(helper))
    return "\n".join(parts)


def reads_input(route):
    """Which user input the view reads: a subset of {"GET", "POST"} (query string, form)."""
    methods = allowed_methods(route.callback)
    source = _source_with_helpers(view_function(route.callback))
    found = set()
    if methods == {"POST"} or "request.POST" in source or "request.FILES" in source:
        found.add("POST")
    if "request.GET" in source:
        found.add("GET")
    return found


# --- The world -------------------------------------------------------------------------------

CLIENT_NAME = "Vertrouwelijk-Geheimnaam"
PDF, PNG = SIGNED_PDF, SIGNED_PNG


def build_world():
    """The named world of tests/conftest.py plus one busy case of GGZ A with an object of
    every kind that has its own URL, and a second case (of behandelaar_a2) to plug ids of
    the first into."""
    w = named_world()
    w.jobcoach_b = UserFactory(
        email="jobcoach@b.test", organisation=w.ggz_b, role=Role.TRAJECTBEGELEIDER
    )
    leidraad.ensure_bundled()
    today = timezone.localdate()

    w.case = make_case(w.behandelaar_a, first_name="Eva", last_name=CLIENT_NAME)
    # klantmanager_g is on the team, without any consent: GGZ A's data stays hidden.
    consent.add_member(w.case, w.klantmanager_g, CaseRole.KLANTMANAGER)
    cases.add_timeline(w.case, w.behandelaar_a, "notitie", Category.MEDISCH, "Consult", "Geheim")
    lead = consent.case_access(w.behandelaar_a, w.case)
    # A case whose only lead has left the organisation: the beheerder appoints a new one.
    leaver = UserFactory(email="vertrokken@a.test", organisation=w.ggz_a, role=Role.BEHANDELAAR)
    w.orphan_case = make_case(leaver, first_name="Wees", last_name="Zonderregie")
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])

    w.goal = Goal.objects.create(
        case=w.case,
        organisation=w.ggz_a,
        domain=RecoveryDomain.MAATSCHAPPELIJK,
        description="Vrijwilligerswerk vinden",
        created_by=w.behandelaar_a,
    )
    w.agreement = Agreement.objects.create(
        case=w.case,
        organisation=w.ggz_a,
        what="Cv bijwerken",
        owner="Cliënt",
        due_date=today + datetime.timedelta(days=14),
        created_by=w.behandelaar_a,
    )
    w.meeting = Driegesprek.objects.create(
        case=w.case,
        organisation=w.ggz_a,
        planned_at=timezone.now() - datetime.timedelta(hours=1),  # held: a report can follow
        location="Kantoor GGZ A",
        participants="Cliënt, behandelaar",
        created_by=w.behandelaar_a,
    )

    # The IPS trajectory: referred, accepted by jobcoach_a, searching, with a profile and a job.
    referral = cases.refer(lead, w.ggz_a, CaseRole.TRAJECTBEGELEIDER, "Wil werken")
    cases.respond(referral, w.jobcoach_a, accept=True)
    w.trajectory = Trajectory.objects.get(referral=referral)
    ips.change_phase(w.trajectory, w.jobcoach_a, Phase.INTAKE, today)
    ips.change_phase(w.trajectory, w.jobcoach_a, Phase.ZOEKEN, today, wants_paid_work=True)
    w.trajectory.refresh_from_db()
    Beroepsprofiel.objects.create(
        trajectory=w.trajectory,
        organisation=w.ggz_a,
        preferred_sectors="Zorg",
        **_recorded_by(Beroepsprofiel, w.jobcoach_a),
    )
    w.placement = ips.record_placement(
        w.trajectory,
        Placement(
            employer="Zorgcentrum De Linde",
            job_title="Gastvrouw",
            start_date=today,
            hours_per_week=20,
            hourly_wage="15.00",
            contract_type=ContractType.BEPAALD,
        ),
        w.jobcoach_a,
    )
    w.trajectory.refresh_from_db()

    # Gespreksleidraad: one session under way (themes chosen), one finished.
    guide = leidraad.current_version()
    w.finished_session = LeidraadSession.objects.create(
        case=w.case,
        organisation=w.ggz_a,
        guide=guide,
        started_by=w.behandelaar_a,
        status=LeidraadStatus.AFGEROND,
        finished_at=timezone.now(),
        finished_by=w.behandelaar_a,
    )
    w.session = LeidraadSession.objects.create(
        case=w.case, organisation=w.ggz_a, guide=guide, started_by=w.behandelaar_a
    )
    w.theme_keys = [t["key"] for t in guide.themes][:2]
    for session in (w.finished_session, w.session):
        LeidraadThemeNote.objects.bulk_create(
            LeidraadThemeNote(
                session=session, theme=key, position=i, judgement=Judgement.HELPT, notes="n"
            )
            for i, key in enumerate(w.theme_keys)
        )

    # A motivational conversation logged by behandelaar_a (gespreksverslagen, GGZ A).
    w.conversation = conversations.log_conversation(
        lead,
        conversation_data(today, summary="Wil weer werken"),
        {ChangeTalkKind.DESIRE: "Ik wil weer iets doen"},
    )
    # The log counts as work discussed: the case has a new version (forms carry it).
    w.case.refresh_from_db()

    # A consent of the client towards UWV U (not on the team), with a signed form.
    w.consent = make_consent(
        w.case.client,
        w.ggz_a,
        w.uwv_u,
        Purpose.REINTEGRATIE,
        [Category.WERKSITUATIE],
        recorded_by=w.behandelaar_a,
    )
    w.consent.form.save("toestemming-test.png", ContentFile(PNG), save=False)
    w.consent.save(update_fields=["form"], _allow_update=True)
    # One recorded without its signed form, which is added later (consent:form_add).
    w.unsigned_consent = make_consent(
        w.case.client,
        w.ggz_a,
        w.uwv_u,
        Purpose.IPS_TRAJECT,
        [Category.WERKSITUATIE],
        recorded_by=w.behandelaar_a,
    )

    # behandelaar_a2 (same organisation) is invited but has not answered: not on the team.
    w.invitation = cases.invite(lead, w.behandelaar_a2, CaseRole.BEHANDELAAR, "Graag meekijken")

    w.report = Report.objects.create(
        type=ReportType.VOORTGANG,
        title="Voortgang",
        requested_by=w.behandelaar_a,
        organisation=w.ggz_a,
        case=w.case,
        client=w.case.client,
    )
    w.report.file.save("rapport-test.pdf", ContentFile(PDF), save=False)
    w.report.status = ReportStatus.KLAAR
    w.report.save()

    w.review = fidelity.create_review(
        w.jobcoach_a,
        w.jobcoach_a.ips_team_member.team,
        kind=ReviewKind.ZELF,
        review_date=today,
        reviewers="A. de Vries",
    )

    # A client of GGZ A whose only case is closed (a new case may be opened).
    closed = make_case(w.behandelaar_a, first_name="Oud", last_name="Dossier")
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.GESLOTEN, closed_at=timezone.now())
    w.closed_client = closed.client

    # behandelaar_a2's own case: the door an intruder uses to plug in ids of w.case.
    w.other_case = make_case(w.behandelaar_a2, first_name="Ander", last_name="Dossier")
    return w


def _recorded_by(model, user):
    names = {f.name for f in model._meta.concrete_fields}
    return {name: user for name in ("recorded_by", "created_by", "updated_by") if name in names}


@contextmanager
def world_in_transaction(django_db_blocker):
    """Build the world once inside an outer transaction that is rolled back afterwards;
    tests on top of it run in their own savepoint (the ``db`` fixture)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            # Fire the deferred foreign-key checks once, not in every test's teardown.
            connection.check_constraints()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- What a request changed ------------------------------------------------------------------

IGNORED_COLUMNS = {"last_login"}


def _fingerprint_sql():
    """One query: per table, a digest of all its rows in primary-key order."""
    from allauth.mfa.models import Authenticator

    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in PROJECT_APPS and m is not AccessLogEntry and not m._meta.proxy
    ] + [Authenticator]
    quote = connection.ops.quote_name
    parts = []
    for model in models:
        columns = ", ".join(
            "t." + quote(f.column)
            for f in model._meta.concrete_fields
            if f.attname not in IGNORED_COLUMNS
        )
        parts.append(
            f"SELECT '{model._meta.label}', md5(coalesce(string_agg(ROW({columns})::text, '|' "
            f"ORDER BY t.{quote(model._meta.pk.column)}), '')) FROM {quote(model._meta.db_table)} t"
        )
    return " UNION ALL ".join(parts)


_FINGERPRINT = []


def fingerprint():
    """A digest per model of everything stored (except the access log, which every request
    may append to): compare two to see which models a request changed."""
    if not _FINGERPRINT:
        _FINGERPRINT.append(_fingerprint_sql())
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT[0])
        return dict(cursor.fetchall())


def changed_models(before, after):
    return {label for label in before if before[label] != after.get(label)}


# --- Hostile markup in a page ----------------------------------------------------------------

CANARY = "wpxss"


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _InjectionFinder(HTMLParser):
    """Finds markup that came from input instead of from a template: an element or an
    attribute the canary named, an event handler or a javascript: URL carrying it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if CANARY in tag:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if CANARY in name:
                self.found.append(f"<{tag} {name}>")
            elif CANARY in value and (
                name.startswith("on")
                or name in ("srcdoc", "style")
                or (
                    name in URL_ATTRIBUTES
                    and value.strip().lower().startswith(("javascript:", "data:text/html"))
                )
            ):
                self.found.append(f"<{tag} {name}={value[:60]!r}>")
        self._in_script = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and CANARY in data:
            self.found.append(f"script/style text {data[:60]!r}")


def injected_markup(html):
    """Everything in ``html`` that shows input was written out as markup (should be [])."""
    finder = _InjectionFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def test_injection_finder_sees_raw_input_and_ignores_escaped_input():
    raw = [
        f"<p><script>{CANARY}()</script></p>",
        f'<input value=""><img src=x onerror="{CANARY}()">',
        f"<a href='javascript:{CANARY}()'>x</a>",
        f"<{CANARY}>",
        f'<input value="" {CANARY}="1">',
    ]
    # Input shown as the value of a form field, even one that looks like a URL, is text.
    assert injected_markup(f'<input value="javascript:{CANARY}()">') == []
    for html in raw:
        assert injected_markup(html), html
    from django.utils.html import escape

    for html in raw:
        assert injected_markup(f'<p title="{escape(html)}">{escape(html)}</p>') == []


# --- Tests over every route ------------------------------------------------------------------


def test_discovery_finds_the_project_routes():
    """The walk sees nested includes and namespaces; a broken walk would make every sweep
    vacuous."""
    names = set(ROUTES)
    assert {"portal:home", "cases:detail", "cases:leidraad_step", "consent:detail"} <= names
    assert {"ips:placement_end", "portal:report_download"} <= names
    assert not any(name.startswith(("admin:", "account_")) for name in names)
    assert ROUTES["cases:leidraad_step"].params == ("pk", "sid", "step")
    assert reads_input(ROUTES["cases:leidraad_step"]) == {"POST"}
    assert reads_input(ROUTES["cases:goal_status"]) == {"POST"}
    assert reads_input(ROUTES["portal:home"]) == {"GET"}
    assert reads_input(ROUTES["cases:detail"]) == set()


@pytest.mark.parametrize("name", sorted(set(ROUTES) - PUBLIC))
def test_every_route_sends_anonymous_visitors_to_sign_in(client, db, name):
    from django.urls import reverse

    route = ROUTES[name]
    url = reverse(name, kwargs=route.sample_kwargs())
    login = reverse("account_login")
    allowed = allowed_methods(route.callback)
    responses = {"GET": client.get(url), "POST": client.post(url)}
    for method, response in responses.items():
        if response.status_code == 405 and allowed is not None and method not in allowed:
            continue  # refused before anything else: nothing about the object is revealed
        assert response.status_code == 302, (method, response.status_code)
        assert response["Location"].startswith(login), (method, response["Location"])


def test_public_routes_show_no_client_data(client, db):
    response = client.get("/gezondheid/")
    assert response.status_code in (200, 503)
    assert set(response.json()) == {"database", "redis", "worker"}


def test_every_stored_file_is_private():
    """Every FileField of the project stores in the private storage, which lives outside the
    static files and has no URL; the sign-in-free routes serve nothing from it."""
    from django.core.files.storage import storages
    from django.db.models import FileField

    private = storages["private"]
    fields = [
        f
        for m in apps.get_models()
        if m._meta.app_label in PROJECT_APPS
        for f in m._meta.get_fields()
        if isinstance(f, FileField)
    ]
    assert {f"{f.model._meta.label}.{f.name}" for f in fields} >= {
        "consent.Consent.form",
        "portal.Report.file",
    }
    from portal.storage import private_storage

    for field in fields:
        # The callable, not an instance: a settings change in another test replaces the
        # instances in ``storages`` but never sends a field elsewhere.
        assert field._storage_callable is private_storage, field
        assert field.storage.location == private.location, field
    location = str(private.location)
    assert not location.startswith(str(settings.STATIC_ROOT))
    assert all(not location.startswith(str(d)) for d in settings.STATICFILES_DIRS)
    from django.urls import Resolver404, resolve

    for field in fields:
        # Where a stored file's URL would point, nothing answers.
        with pytest.raises(Resolver404):
            resolve(private.url(field.generate_filename(None, "x.pdf")))
