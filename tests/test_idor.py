"""IDOR sweep (issue 9, "Security hardening"): for every URL with an object id, a user who
may not see the object gets a 404 (a 403 only where a whole page is refused for the role)
for GET and for POST, learns nothing about it, changes nothing, and - for client data -
leaves a denied entry in the access log.

The routes come from the URL configuration itself (tests/test_security_routes.py): a new
route with an object id fails ``test_every_object_route_is_in_the_sweep`` until it gets an
entry in SWEEP below. An entry names the user who may open the object (the positive
control: without it a wrong id would make every denial trivially true) and the users who
may not:

- ``outsider``: a behandelaar of another organisation (GGZ B);
- ``behandelaar_a2``: a colleague of the same organisation, invited but not on the team;
- ``beheerder_a``: the beheerder of the same organisation, not on the team;
- ``adviseur_u``: a klantmanager of UWV U, the recipient of the consent, not on the team;
- ``klantmanager_g``: on the team, without any consent for GGZ A's data;
- ``cross``: behandelaar_a2 through their own case, with the object's id plugged in.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from consent.models import AccessLogEntry

from .test_security_routes import (
    CLIENT_NAME,
    ROUTES,
    allowed_methods,
    changed_models,
    fingerprint,
    world_in_transaction,
)

NOT_ON_TEAM = ("outsider", "behandelaar_a2", "beheerder_a")
NO_CONSENT = (*NOT_ON_TEAM, "klantmanager_g")
# A consent record is held by its provider (GGZ A): not even its recipient opens it.
CONSENT_INTRUDERS = ("outsider", "behandelaar_a2", "beheerder_g", "adviseur_u", "klantmanager_g")


@dataclass(frozen=True)
class Sweep:
    kwargs: object  # world -> URL kwargs of the object
    owner: str  # may open it
    intruders: tuple  # may not
    # Where the product logs denials: client data. A string says why a denial is not logged.
    logged: object = True
    statuses: frozenset = frozenset({404})
    cross: object = None  # world -> kwargs through behandelaar_a2's own case


def case(w):
    return {"pk": w.case.pk}


def on_case(name, attribute):
    def kwargs(w):
        return {"pk": w.case.pk, name: getattr(w, attribute).pk}

    def cross(w):
        return {"pk": w.other_case.pk, name: getattr(w, attribute).pk}

    return kwargs, cross


def case_level(**extra):
    return Sweep(case, "behandelaar_a", NOT_ON_TEAM, **extra)


def sub_object(name, attribute, owner="behandelaar_a", extra=(), **more):
    kwargs, cross = on_case(name, attribute)
    return Sweep(kwargs, owner, (*NO_CONSENT, *extra, "cross"), cross=cross, **more)


def session_route(attribute, **extra_kwargs):
    def kwargs(w):
        return {"pk": w.case.pk, "sid": getattr(w, attribute).pk, **extra_kwargs}

    def cross(w):
        return {"pk": w.other_case.pk, "sid": getattr(w, attribute).pk, **extra_kwargs}

    return Sweep(kwargs, "behandelaar_a", (*NO_CONSENT, "cross"), cross=cross)


def trajectory_route(owner="jobcoach_a", extra=(), **extra_kwargs):
    def kwargs(w):
        return {"pk": w.case.pk, "trajectory_pk": w.trajectory.pk, **_resolve(w, extra_kwargs)}

    def cross(w):
        return {
            "pk": w.other_case.pk,
            "trajectory_pk": w.trajectory.pk,
            **_resolve(w, extra_kwargs),
        }

    return Sweep(kwargs, owner, (*NO_CONSENT, *extra, "cross"), cross=cross)


def _resolve(w, extra):
    return {k: getattr(w, v).pk for k, v in extra.items()}


NOT_CLIENT_DATA = "not client data: the access log (NEN 7513) records access to client data"

SWEEP = {
    # --- portal ------------------------------------------------------------------------------
    "portal:user_edit": Sweep(
        lambda w: {"pk": w.jobcoach_a.pk},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "portal:user_set_active": Sweep(
        lambda w: {"pk": w.jobcoach_a.pk},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "portal:user_reset_mfa": Sweep(
        lambda w: {"pk": w.jobcoach_a.pk},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "ips:team_edit": Sweep(
        lambda w: {"pk": w.jobcoach_a.ips_team_member.team_id},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a", "jobcoach_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "ips:team_delete": Sweep(
        lambda w: {"pk": w.jobcoach_a.ips_team_member.team_id},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a", "jobcoach_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "ips:team_member": Sweep(
        lambda w: {"pk": w.jobcoach_a.pk},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a", "jobcoach_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "ips:transfer": Sweep(
        lambda w: {"pk": w.jobcoach_a.pk},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a", "jobcoach_a"),
        logged=NOT_CLIENT_DATA,
        statuses=frozenset({403, 404}),
    ),
    "portal:report_detail": Sweep(
        lambda w: {"pk": w.report.pk}, "behandelaar_a", (*NO_CONSENT, "jobcoach_a")
    ),
    "portal:report_download": Sweep(
        lambda w: {"pk": w.report.pk}, "behandelaar_a", (*NO_CONSENT, "jobcoach_a")
    ),
    # --- cases -------------------------------------------------------------------------------
    "cases:case_open": Sweep(
        lambda w: {"client_pk": w.closed_client.pk},
        "behandelaar_a",
        ("outsider", "klantmanager_g"),
    ),
    "cases:detail": case_level(),
    "cases:timeline": case_level(),
    "cases:work_situation": case_level(),
    "cases:work_discussed": case_level(),
    "cases:note_create": case_level(),
    "cases:goal_create": case_level(),
    "cases:goal_status": sub_object("goal_pk", "goal"),
    "cases:agreement_create": case_level(),
    "cases:agreement_done": sub_object("agreement_pk", "agreement"),
    "cases:invite": case_level(),
    "cases:refer": case_level(),
    "cases:leave": case_level(),
    "cases:close": case_level(),
    "cases:driegesprek_plan": case_level(),
    "cases:driegesprek_record": sub_object("meeting_pk", "meeting"),
    "cases:progress_report": case_level(),
    "cases:respond": Sweep(
        lambda w: {"invitation_pk": w.invitation.pk},
        "behandelaar_a2",
        ("outsider", "behandelaar_a", "klantmanager_g", "jobcoach_a"),
    ),
    "cases:assign_lead": Sweep(
        case,
        "beheerder_a",
        ("beheerder_g", "behandelaar_a", "outsider"),
        statuses=frozenset({403, 404}),  # 403: not a beheerder at all
    ),
    "cases:conversation_list": case_level(),
    "cases:conversation_create": case_level(),
    "cases:conversation_detail": sub_object("cid", "conversation"),
    "cases:conversation_edit": sub_object("cid", "conversation", extra=("jobcoach_a",)),
    "cases:conversation_correct": sub_object("cid", "conversation"),
    "cases:leidraad_list": case_level(),
    "cases:leidraad_start": case_level(),
    "cases:leidraad_detail": session_route("session"),
    "cases:leidraad_step": session_route("session", step=1),
    "cases:leidraad_correction": session_route("finished_session"),
    "cases:leidraad_summary": session_route("finished_session"),
    "cases:leidraad_summary_report": session_route("finished_session"),
    "cases:leidraad_preparation": session_route("session"),
    "cases:leidraad_download": Sweep(
        lambda w: {"number": 1},
        "beheerder_a",
        ("behandelaar_a", "klantmanager_g", "outsider"),
        logged="published guide content, no client data",
    ),
    # --- consent -----------------------------------------------------------------------------
    "consent:create_for_case": Sweep(case, "behandelaar_a", (*NO_CONSENT, "jobcoach_a")),
    "consent:detail": Sweep(
        lambda w: {"pk": w.consent.pk},
        "behandelaar_a",
        CONSENT_INTRUDERS,
    ),
    "consent:print": Sweep(
        lambda w: {"pk": w.consent.pk},
        "behandelaar_a",
        CONSENT_INTRUDERS,
    ),
    "consent:form_download": Sweep(
        lambda w: {"pk": w.consent.pk},
        "behandelaar_a",
        CONSENT_INTRUDERS,
    ),
    "consent:withdraw": Sweep(
        lambda w: {"pk": w.consent.pk},
        "behandelaar_a",
        CONSENT_INTRUDERS,
    ),
    "consent:form_add": Sweep(
        lambda w: {"pk": w.unsigned_consent.pk},
        "behandelaar_a",
        CONSENT_INTRUDERS,
    ),
    "consent:consent_report": Sweep(
        lambda w: {"pk": w.consent.pk}, "behandelaar_a", CONSENT_INTRUDERS
    ),
    "consent:client_consents_report": Sweep(
        lambda w: {"client_pk": w.case.client_id},
        "behandelaar_a",
        ("outsider", "behandelaar_a2", "beheerder_g", "adviseur_u"),
    ),
    "consent:avg_inzage_request": Sweep(
        lambda w: {"client_pk": w.case.client_id},
        "beheerder_a",
        ("beheerder_g", "behandelaar_a"),
        statuses=frozenset({403, 404}),  # 403: not a beheerder at all
    ),
    # --- ips ---------------------------------------------------------------------------------
    "ips:trajectory": case_level(),
    "ips:phase_change": trajectory_route(extra=("behandelaar_a",)),
    "ips:profile_edit": trajectory_route(extra=("behandelaar_a",)),
    "ips:contact_create": trajectory_route(extra=("behandelaar_a",)),
    "ips:placement_create": trajectory_route(extra=("behandelaar_a",)),
    "ips:placement_end": trajectory_route(extra=("behandelaar_a",), placement_pk="placement"),
    "ips:follow_along_create": trajectory_route(extra=("behandelaar_a",)),
    "ips:fidelity_detail": Sweep(
        lambda w: {"pk": w.review.pk},
        "jobcoach_a",
        ("jobcoach_b", "behandelaar_a", "beheerder_a"),
        logged=NOT_CLIENT_DATA,
    ),
    "ips:fidelity_report": Sweep(
        lambda w: {"pk": w.review.pk},
        "jobcoach_a",
        ("jobcoach_b", "behandelaar_a", "beheerder_a"),
        logged=NOT_CLIENT_DATA,
    ),
    "ips:fidelity_finish": Sweep(
        lambda w: {"pk": w.review.pk},
        "jobcoach_a",
        ("jobcoach_b", "behandelaar_a", "beheerder_a"),
        logged=NOT_CLIENT_DATA,
    ),
}


def object_routes():
    return sorted(name for name, route in ROUTES.items() if route.object_params)


def test_every_object_route_is_in_the_sweep():
    missing = sorted(set(object_routes()) - set(SWEEP))
    stale = sorted(set(SWEEP) - set(object_routes()))
    assert missing == [], (
        "Routes with an object id that the IDOR sweep does not cover yet; add them to "
        f"SWEEP in tests/test_idor.py: {missing}"
    )
    assert stale == [], f"SWEEP names routes that no longer exist: {stale}"


def _methods(name):
    allowed = allowed_methods(ROUTES[name].callback)
    return [m for m in ("GET", "POST") if allowed is None or m in allowed] or ["GET"]


def _cases():
    for name in sorted(SWEEP):
        sweep = SWEEP[name]
        for who in sweep.intruders:
            for method in ("GET", "POST"):
                yield pytest.param(name, who, method, id=f"{name}-{who}-{method}")


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    with world_in_transaction(django_db_blocker) as built:
        yield built


def _user(world, who):
    return world.behandelaar_a2 if who == "cross" else getattr(world, who)


def _request(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, {})


@pytest.mark.django_db  # also orders these before the transactional tests, which flush
class TestIdorSweep:
    @pytest.mark.parametrize("name", sorted(SWEEP))
    def test_the_right_user_gets_through(self, world, db, client_for, name):
        """The positive control: the ids are right and the owner is let in."""
        sweep = SWEEP[name]
        c = client_for(getattr(world, sweep.owner))
        url = reverse(name, kwargs=sweep.kwargs(world))
        statuses = {m: _request(c, m, url).status_code for m in _methods(name)}
        assert 404 not in statuses.values() and 403 not in statuses.values(), statuses
        if "GET" in statuses:
            assert statuses["GET"] == 200, statuses

    @pytest.mark.parametrize("name,who,method", list(_cases()))
    def test_intruder_is_denied_learns_nothing_and_is_logged(
        self, world, db, client_for, name, who, method
    ):
        sweep = SWEEP[name]
        intruder = _user(world, who)
        kwargs = sweep.cross(world) if who == "cross" else sweep.kwargs(world)
        url = reverse(name, kwargs=kwargs)
        c = client_for(intruder)
        before = fingerprint() if method == "POST" else None
        response = _request(c, method, url)
        allowed = allowed_methods(ROUTES[name].callback)
        if response.status_code == 405 and allowed is not None and method not in allowed:
            return  # refused before the view runs: nothing to learn, nothing to log
        assert response.status_code in sweep.statuses, response.status_code
        body = b"".join(response) if response.streaming else response.content
        assert CLIENT_NAME.encode() not in body
        if before is not None:
            assert changed_models(before, fingerprint()) == set()
        if sweep.logged is True and response.status_code == 404:  # 403: the role, not the object
            denied = AccessLogEntry.objects.filter(
                request_id=response["X-Request-ID"], user=intruder, outcome="geweigerd"
            )
            assert denied.exists(), "no denied entry in the access log"
            assert not AccessLogEntry.objects.filter(
                request_id=response["X-Request-ID"], outcome="toegestaan"
            ).exists()
