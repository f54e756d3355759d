"""User management by the beheerder of an organisation, and organisations in the Django admin
(issue: Fundament).

Who may do what is stepped from anonymous to the right role for every view; a beheerder of
another organisation gets a 404 for a user that is not theirs, and nothing changes.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.constants import OrganisationType, Role
from portal.models import Organisation, User

from .conftest import PASSWORD
from .factories import UserFactory

LOGIN = "/accounts/login/"
NEW_PASSWORD = "Werkpad-uitnodiging-2025!"

LIST = "portal:user_list"
CREATE = "portal:user_create"
EDIT = "portal:user_edit"
SET_ACTIVE = "portal:user_set_active"

# (url name, HTTP method) for the four views. The subject of edit/set_active is jobcoach_a.
VIEWS = [(LIST, "get"), (CREATE, "get"), (EDIT, "get"), (SET_ACTIVE, "post")]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Sign-in and password-reset rate limits live in the shared Redis cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def beheerder_b(ggz_b):
    return UserFactory(email="beheer@b.test", organisation=ggz_b, role=Role.BEHEERDER)


def url_for(view, subject):
    if view in (EDIT, SET_ACTIVE):
        return reverse(view, args=[subject.pk])
    return reverse(view)


def call(client, method, url, data=None):
    return getattr(client, method)(url, data or {})


def snapshot(user):
    """What the views could change about a user, freshly read from the database."""
    return User.objects.filter(pk=user.pk).values(
        "email", "first_name", "last_name", "role", "organisation_id", "is_active", "password"
    )[0]


def sign_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def new_user_data(**overrides):
    data = {
        "email": "nina.nieuw@a.test",
        "first_name": "Nina",
        "last_name": "Nieuw",
        "role": Role.TRAJECTBEGELEIDER,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(user, **overrides):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "version": user.version,
    }
    data.update(overrides)
    return data


# --- Who may do what --------------------------------------------------------------------


@pytest.mark.parametrize("view,method", VIEWS)
def test_anonymous_is_sent_to_sign_in(client_for, jobcoach_a, view, method):
    before = snapshot(jobcoach_a)
    url = url_for(view, jobcoach_a)
    response = call(client_for(None), method, url, {"actief": "0"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
    assert snapshot(jobcoach_a) == before


@pytest.mark.parametrize(
    "fixture", ["behandelaar_a", "jobcoach_a", "klantmanager_g", "adviseur_u", "superuser"]
)
@pytest.mark.parametrize("view,method", VIEWS)
def test_other_roles_are_refused(client_for, request, jobcoach_a, fixture, view, method):
    user = request.getfixturevalue(fixture)
    subject = request.getfixturevalue("behandelaar_a") if fixture == "jobcoach_a" else jobcoach_a
    response = call(client_for(user), method, url_for(view, subject))
    assert response.status_code == 403


@pytest.mark.parametrize("fixture", ["behandelaar_a", "jobcoach_a", "klantmanager_g"])
def test_other_roles_cannot_change_anything_by_posting(client_for, request, ggz_a, fixture):
    user = request.getfixturevalue(fixture)
    subject = UserFactory(email="subject@a.test", organisation=ggz_a, role=Role.BEHANDELAAR)
    before = snapshot(subject)
    client = client_for(user)
    count = User.objects.count()

    assert client.post(reverse(CREATE), new_user_data()).status_code == 403
    response = client.post(
        reverse(EDIT, args=[subject.pk]), edit_data(subject, role=Role.BEHEERDER)
    )
    assert response.status_code == 403
    assert client.post(reverse(SET_ACTIVE, args=[subject.pk]), {"actief": "0"}).status_code == 403

    assert User.objects.count() == count
    assert snapshot(subject) == before
    assert mail.outbox == []


@pytest.mark.parametrize("view,method", VIEWS)
def test_beheerder_of_own_organisation_may(client_for, beheerder_a, jobcoach_a, view, method):
    response = call(client_for(beheerder_a), method, url_for(view, jobcoach_a), {"actief": "0"})
    if method == "post":
        assert response.status_code == 302
        assert response["Location"] == reverse(LIST)
        jobcoach_a.refresh_from_db()
        assert jobcoach_a.is_active is False
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("fixture", ["beheerder_g", "beheerder_b"])
def test_beheerder_of_another_organisation_gets_404_and_changes_nothing(
    client_for, request, jobcoach_a, fixture
):
    client = client_for(request.getfixturevalue(fixture))
    before = snapshot(jobcoach_a)

    assert client.get(reverse(EDIT, args=[jobcoach_a.pk])).status_code == 404
    response = client.post(
        reverse(EDIT, args=[jobcoach_a.pk]),
        edit_data(jobcoach_a, first_name="Gekaapt", role=Role.BEHEERDER),
    )
    assert response.status_code == 404
    for actief in ("0", "1"):
        response = client.post(reverse(SET_ACTIVE, args=[jobcoach_a.pk]), {"actief": actief})
        assert response.status_code == 404

    assert snapshot(jobcoach_a) == before


# --- List -------------------------------------------------------------------------------


def test_list_shows_only_own_organisation(
    client_for,
    beheerder_a,
    behandelaar_a,
    jobcoach_a,
    outsider,
    beheerder_b,
    klantmanager_g,
    beheerder_g,
    adviseur_u,
):
    names = {
        beheerder_a: ("Bea", "Beheer-Aaa"),
        behandelaar_a: ("Bart", "Behandel-Aaa"),
        jobcoach_a: ("Joke", "Coach-Aaa"),
        outsider: ("Otto", "Buiten-Bbb"),
        beheerder_b: ("Bert", "Beheer-Bbb"),
        klantmanager_g: ("Karin", "Klant-Ggg"),
        beheerder_g: ("Gert", "Beheer-Ggg"),
        adviseur_u: ("Ulla", "Advies-Uuu"),
    }
    for user, (first, last) in names.items():
        User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)

    response = client_for(beheerder_a).get(reverse(LIST))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Gebruikers van GGZ A" in html
    for user in (beheerder_a, behandelaar_a, jobcoach_a):
        first, last = names[user]
        assert f"{first} {last}" in html
        assert user.email in html
        assert reverse(EDIT, args=[user.pk]) in html
    for user in (outsider, beheerder_b, klantmanager_g, beheerder_g, adviseur_u):
        first, last = names[user]
        assert last not in html
        assert user.email not in html
        assert reverse(EDIT, args=[user.pk]) not in html


def test_list_offers_no_deactivate_button_for_oneself(client_for, beheerder_a, jobcoach_a):
    html = client_for(beheerder_a).get(reverse(LIST)).content.decode()
    assert reverse(SET_ACTIVE, args=[jobcoach_a.pk]) in html
    assert reverse(SET_ACTIVE, args=[beheerder_a.pk]) not in html


def _count_list_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(LIST))
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_list_query_count_does_not_grow_with_users(
    client_for, django_assert_num_queries, ggz_a, beheerder_a, jobcoach_a
):
    client = client_for(beheerder_a)
    client.get(reverse(LIST))  # warm up: session, content types, translations
    assert User.objects.filter(organisation=ggz_a).count() == 2
    queries_for_two = _count_list_queries(client)

    many = UserFactory.create_batch(48, organisation=ggz_a, role=Role.BEHANDELAAR)
    assert User.objects.filter(organisation=ggz_a).count() == 50
    for user in many[:30]:
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"s": "x"})

    with django_assert_num_queries(queries_for_two):
        response = client.get(reverse(LIST))
    html = response.content.decode()
    # everyone but oneself has a deactivate form; who has a second factor, a reset form
    assert html.count('/actief/"') == 49
    assert html.count('/mfa-reset/"') == 30
    assert html.count("<td>Ingesteld</td>") == 30
    assert html.count("<td>Niet ingesteld</td>") == 20


def test_the_list_says_who_has_not_chosen_a_password_yet(client_for, beheerder_a, ggz_a):
    """An invited user who never followed the link showed as plain "Actief"."""
    invited = UserFactory(organisation=ggz_a, role=Role.BEHANDELAAR, last_name="Uitgenodigd")
    invited.set_unusable_password()
    invited.save()
    html = client_for(beheerder_a).get(reverse(LIST)).content.decode()
    row = next(tr for tr in html.split("<tr>") if "Uitgenodigd" in tr)
    assert "Actief, nog geen wachtwoord gekozen" in row
    own = next(tr for tr in html.split("<tr>") if beheerder_a.email in tr)
    assert "<td>Actief</td>" in own


# --- Create -----------------------------------------------------------------------------


def test_create_makes_user_in_own_organisation_and_sends_invitation(client_for, ggz_a, beheerder_a):
    client = client_for(beheerder_a)
    response = client.post(reverse(CREATE), new_user_data(email="Nina.Nieuw@A.test"))

    assert response.status_code == 302
    assert response["Location"] == reverse(LIST)
    user = User.objects.get(email="nina.nieuw@a.test")
    assert user.organisation == ggz_a
    assert user.role == Role.TRAJECTBEGELEIDER
    assert (user.first_name, user.last_name) == ("Nina", "Nieuw")
    assert user.is_active
    assert not user.is_staff
    assert not user.has_usable_password()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina.nieuw@a.test"]
    assert message.subject == f"Uw account voor Werkpad bij {ggz_a}"  # no "[testserver] "
    assert re.search(r"http://testserver/accounts/password/reset/key/\S+/", message.body)
    # The role inside the sentence, as everywhere (an abbreviation keeps its capitals).
    assert f"account gemaakt in Werkpad, als IPS-trajectbegeleider bij {ggz_a}." in message.body

    html = client.get(reverse(LIST)).content.decode()
    assert "Account voor Nina Nieuw aangemaakt" in html
    assert "nina.nieuw@a.test" in html


def test_the_invitation_names_a_role_in_the_sentence(client_for, beheerder_a):
    client_for(beheerder_a).post(
        reverse(CREATE), new_user_data(email="bob@a.test", role=Role.BEHANDELAAR)
    )
    (message,) = mail.outbox
    assert "als behandelaar bij" in message.body and "als Behandelaar" not in message.body


def test_create_form_offers_only_roles_that_fit_the_organisation(client_for, beheerder_g):
    html = client_for(beheerder_g).get(reverse(CREATE)).content.decode()
    assert 'value="klantmanager"' in html
    assert 'value="beheerder"' in html
    assert 'value="behandelaar"' not in html
    assert 'value="trajectbegeleider"' not in html


def test_invited_user_sets_a_password_and_signs_in(client_for, beheerder_a):
    client_for(beheerder_a).post(reverse(CREATE), new_user_data())
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert link

    invited = Client()
    response = invited.get(link.group(1))
    # allauth moves the key into the session and redirects to a key-less URL.
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert set_password_url.endswith("-set-password/")
    response = invited.get(set_password_url)
    assert response.status_code == 200
    assert 'name="password1"' in response.content.decode()

    response = invited.post(
        set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    user = User.objects.get(email="nina.nieuw@a.test")
    assert user.has_usable_password()

    # The link is used up.
    assert "set-password" not in invited.get(link.group(1)).get("Location", "")

    response = sign_in(invited, "nina.nieuw@a.test", NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert signed_in_user_id(invited) == str(user.pk)


@pytest.mark.parametrize(
    "email", ["behandelaar@a.test", "BEHANDELAAR@a.test", "Klantmanager@G.test"]
)
def test_create_refuses_existing_email_in_any_case(
    client_for, beheerder_a, behandelaar_a, klantmanager_g, email
):
    count = User.objects.count()
    response = client_for(beheerder_a).post(reverse(CREATE), new_user_data(email=email))
    assert response.status_code == 200
    assert "Er bestaat al een account met dit e-mailadres." in response.content.decode()
    assert User.objects.count() == count
    assert mail.outbox == []


@pytest.mark.parametrize(
    "email", ["behandelaar@ıa.test", "behandelaar@а.test", "nina@rivıerland.demo", "nina@zé.test"]
)
def test_create_refuses_addresses_that_look_like_another(
    client_for, beheerder_a, behandelaar_a, email
):
    """A domain with a dotless ı, a Cyrillic а or any other letter outside a–z: a second
    account that reads as the first in every list (Django refuses such letters before the
    @ already)."""
    count = User.objects.count()
    response = client_for(beheerder_a).post(reverse(CREATE), new_user_data(email=email))
    assert response.status_code == 200
    assert "alleen de letters a tot en met z" in response.context["form"].errors["email"][0]
    assert User.objects.count() == count
    assert mail.outbox == []


@pytest.mark.parametrize(
    "fixture,role",
    [
        ("beheerder_g", Role.BEHANDELAAR),
        ("beheerder_g", Role.TRAJECTBEGELEIDER),
        ("beheerder_a", Role.KLANTMANAGER),
    ],
)
def test_create_refuses_role_that_does_not_fit_the_organisation(client_for, request, fixture, role):
    beheerder = request.getfixturevalue(fixture)
    count = User.objects.count()
    response = client_for(beheerder).post(reverse(CREATE), new_user_data(role=role))
    assert response.status_code == 200
    assert f"{role} is geen beschikbare keuze" in response.content.decode()
    assert User.objects.count() == count
    assert mail.outbox == []


@pytest.mark.parametrize(
    "missing", [{"first_name": ""}, {"last_name": ""}, {"first_name": None, "last_name": None}]
)
def test_create_requires_names(client_for, beheerder_a, missing):
    count = User.objects.count()
    response = client_for(beheerder_a).post(reverse(CREATE), new_user_data(**missing))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dit veld is verplicht." in html
    assert User.objects.count() == count
    assert mail.outbox == []


INVISIBLE = "Deze naam bevat een onzichtbaar teken"


@pytest.mark.parametrize(
    "names, message",
    [
        ({"first_name": "\u200b"}, INVISIBLE),  # only a zero-width space: looks empty
        ({"last_name": "Nieuw\u202e"}, INVISIBLE),  # reads backwards from here
        ({"last_name": "1234"}, "Een naam bevat ten minste één letter."),
    ],
)
def test_create_refuses_names_that_are_no_names(client_for, beheerder_a, names, message):
    """The exploratory tester's #10: such names were stored."""
    count = User.objects.count()
    response = client_for(beheerder_a).post(reverse(CREATE), new_user_data(**names))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == count


@pytest.mark.parametrize("role", ["", None])
def test_create_requires_a_role(client_for, beheerder_a, role):
    count = User.objects.count()
    response = client_for(beheerder_a).post(reverse(CREATE), new_user_data(role=role))
    assert response.status_code == 200
    assert "Dit veld is verplicht." in response.content.decode()
    assert User.objects.count() == count
    assert mail.outbox == []


def test_create_ignores_posted_organisation(client_for, ggz_a, ggz_b, beheerder_a):
    client_for(beheerder_a).post(reverse(CREATE), new_user_data(organisation=ggz_b.pk))
    assert User.objects.get(email="nina.nieuw@a.test").organisation == ggz_a


def test_list_pages_through_a_large_organisation(client_for, ggz_a, beheerder_a):
    from portal.views import USERS_PER_PAGE

    UserFactory.create_batch(USERS_PER_PAGE + 9, organisation=ggz_a, role=Role.BEHANDELAAR)
    client = client_for(beheerder_a)
    first = client.get(reverse(LIST)).content.decode()
    second = client.get(reverse(LIST), {"pagina": "2"}).content.decode()
    edit_links = re.compile(r'href="/beheer/gebruikers/(\d+)/"')
    assert len(edit_links.findall(first)) == USERS_PER_PAGE
    assert len(edit_links.findall(second)) == 10  # 59 made here, and the beheerder herself
    assert "Pagina 1 van 2" in first and "?pagina=2" in first
    everyone = User.objects.filter(organisation=ggz_a).values_list("pk", flat=True)
    assert set(edit_links.findall(first + second)) == {str(pk) for pk in everyone}


def test_list_search_on_name_and_email_within_own_organisation(
    client_for, ggz_a, ggz_b, beheerder_a
):
    UserFactory(organisation=ggz_a, first_name="Sanne", last_name="de Wit", email="s.wit@a.test")
    UserFactory(organisation=ggz_a, first_name="Piet", last_name="Wittebrood", email="pw@a.test")
    UserFactory(organisation=ggz_a, first_name="Karel", last_name="Zwart", email="kz@a.test")
    UserFactory(organisation=ggz_b, first_name="Wim", last_name="Wit", email="w.wit@b.test")
    client = client_for(beheerder_a)

    html = client.get(reverse(LIST), {"q": "wit"}).content.decode()
    assert "Sanne de Wit" in html and "Piet Wittebrood" in html
    assert "Karel Zwart" not in html and "w.wit@b.test" not in html
    html = client.get(reverse(LIST), {"q": "sanne WIT"}).content.decode()
    assert "Sanne de Wit" in html and "Wittebrood" not in html
    assert "kz@a.test" in client.get(reverse(LIST), {"q": "kz@"}).content.decode()
    html = client.get(reverse(LIST), {"q": "Wim"}).content.decode()
    assert "Geen gebruikers gevonden." in html and "w.wit@b.test" not in html


def test_list_search_keeps_its_words_on_the_next_page(client_for, ggz_a, beheerder_a):
    from portal.views import USERS_PER_PAGE

    UserFactory.create_batch(USERS_PER_PAGE + 1, organisation=ggz_a, last_name="Jansen")
    html = client_for(beheerder_a).get(reverse(LIST), {"q": "jansen"}).content.decode()
    assert "?q=jansen&amp;pagina=2" in html


# --- Edit -------------------------------------------------------------------------------


def test_edit_changes_role_and_names(client_for, beheerder_a, jobcoach_a):
    response = client_for(beheerder_a).post(
        reverse(EDIT, args=[jobcoach_a.pk]),
        edit_data(jobcoach_a, first_name="Johanna", role=Role.BEHANDELAAR),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(LIST)
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.role == Role.BEHANDELAAR
    assert jobcoach_a.first_name == "Johanna"


def test_edit_refuses_role_that_does_not_fit_the_organisation(client_for, beheerder_a, jobcoach_a):
    before = snapshot(jobcoach_a)
    response = client_for(beheerder_a).post(
        reverse(EDIT, args=[jobcoach_a.pk]), edit_data(jobcoach_a, role=Role.KLANTMANAGER)
    )
    assert response.status_code == 200
    assert "klantmanager is geen beschikbare keuze" in response.content.decode()
    assert snapshot(jobcoach_a) == before


@pytest.mark.parametrize("role", ["", None])
def test_edit_requires_a_role(client_for, beheerder_a, jobcoach_a, role):
    before = snapshot(jobcoach_a)
    data = edit_data(jobcoach_a, role=role)
    data = {k: v for k, v in data.items() if v is not None}
    response = client_for(beheerder_a).post(reverse(EDIT, args=[jobcoach_a.pk]), data)
    assert response.status_code == 200
    assert "Dit veld is verplicht." in response.content.decode()
    assert snapshot(jobcoach_a) == before


@pytest.mark.parametrize("role", [Role.BEHANDELAAR, Role.TRAJECTBEGELEIDER])
def test_beheerder_cannot_drop_own_beheerder_role(client_for, beheerder_a, role):
    before = snapshot(beheerder_a)
    response = client_for(beheerder_a).post(
        reverse(EDIT, args=[beheerder_a.pk]),
        edit_data(beheerder_a, first_name="Anders", role=role),
    )
    assert response.status_code == 200
    assert "U kunt uw eigen beheerdersrol niet wijzigen." in response.content.decode()
    assert snapshot(beheerder_a) == before


def test_beheerder_may_change_own_name(client_for, beheerder_a):
    response = client_for(beheerder_a).post(
        reverse(EDIT, args=[beheerder_a.pk]), edit_data(beheerder_a, first_name="Anders")
    )
    assert response.status_code == 302
    beheerder_a.refresh_from_db()
    assert beheerder_a.first_name == "Anders"
    assert beheerder_a.role == Role.BEHEERDER


def test_edit_cannot_change_email(client_for, beheerder_a, jobcoach_a):
    client = client_for(beheerder_a)
    html = client.get(reverse(EDIT, args=[jobcoach_a.pk])).content.decode()
    assert 'name="email"' not in html
    assert 'name="role"' in html

    response = client.post(
        reverse(EDIT, args=[jobcoach_a.pk]),
        edit_data(jobcoach_a, email="ander@a.test", role=Role.BEHANDELAAR),
    )
    assert response.status_code == 302
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.email == "jobcoach@a.test"
    assert jobcoach_a.role == Role.BEHANDELAAR  # the rest of the form was saved
    assert not User.objects.filter(email="ander@a.test").exists()


# --- Deactivate and activate ------------------------------------------------------------


def test_set_active_requires_post(client_for, beheerder_a, jobcoach_a):
    response = client_for(beheerder_a).get(
        reverse(SET_ACTIVE, args=[jobcoach_a.pk]), {"actief": "0"}
    )
    assert response.status_code == 405
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.is_active


def test_deactivated_user_cannot_sign_in_and_loses_session(client_for, beheerder_a, jobcoach_a):
    own_session = Client()
    own_session.force_login(jobcoach_a, backend="portal.backends.UserBackend")
    assert own_session.get(reverse("portal:home")).status_code == 200

    client = client_for(beheerder_a)
    response = client.post(reverse(SET_ACTIVE, args=[jobcoach_a.pk]), {"actief": "0"}, follow=True)
    assert "is gedeactiveerd en kan niet meer inloggen" in response.content.decode()
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.is_active is False

    response = own_session.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)

    fresh = Client()
    sign_in(fresh, jobcoach_a.email)
    assert signed_in_user_id(fresh) is None
    assert fresh.get(reverse("portal:home")).status_code == 302


def test_beheerder_cannot_deactivate_self(client_for, beheerder_a):
    client = client_for(beheerder_a)
    response = client.post(reverse(SET_ACTIVE, args=[beheerder_a.pk]), {"actief": "0"}, follow=True)
    assert "U kunt uw eigen account niet deactiveren." in response.content.decode()
    beheerder_a.refresh_from_db()
    assert beheerder_a.is_active
    assert client.get(reverse(LIST)).status_code == 200


def test_reactivated_user_can_sign_in_again(client_for, beheerder_a, jobcoach_a):
    User.objects.filter(pk=jobcoach_a.pk).update(is_active=False)
    response = client_for(beheerder_a).post(
        reverse(SET_ACTIVE, args=[jobcoach_a.pk]), {"actief": "1"}, follow=True
    )
    assert "is weer actief" in response.content.decode()
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.is_active

    fresh = Client()
    assert sign_in(fresh, jobcoach_a.email).status_code == 302
    assert signed_in_user_id(fresh) == str(jobcoach_a.pk)


def test_list_marks_deactivated_users_and_offers_activation(client_for, beheerder_a, jobcoach_a):
    User.objects.filter(pk=jobcoach_a.pk).update(is_active=False)
    html = client_for(beheerder_a).get(reverse(LIST)).content.decode()
    assert "Gedeactiveerd" in html
    assert 'name="actief" value="1"' in html


# --- Organisations in the Django admin --------------------------------------------------

ORGANISATION_ADD = "/django-admin/portal/organisation/add/"


def test_superuser_creates_organisation_in_admin(client_for, superuser):
    client = client_for(superuser)
    assert client.get(ORGANISATION_ADD).status_code == 200
    response = client.post(
        ORGANISATION_ADD, {"name": "Gemeente H", "type": OrganisationType.GEMEENTE, "_save": "1"}
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Gemeente H")
    assert organisation.type == OrganisationType.GEMEENTE


@pytest.mark.parametrize("fixture", ["beheerder_a", "behandelaar_a"])
def test_portal_users_cannot_reach_django_admin(client_for, request, fixture):
    client = client_for(request.getfixturevalue(fixture))
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/django-admin/login/")

    response = client.post(ORGANISATION_ADD, {"name": "GGZ Zelfgemaakt", "type": "ggz"})
    assert response.status_code == 302
    assert not Organisation.objects.filter(name="GGZ Zelfgemaakt").exists()


# --- Audit events -------------------------------------------------------------------------


def test_account_changes_are_audit_events(client_for, beheerder_a, jobcoach_a):
    """Who gave whom which role, and who was (de)activated: each change a structured event
    with ids and field names only (no names or e-mail addresses in the audit stream)."""
    from structlog.testing import capture_logs

    client = client_for(beheerder_a)
    with capture_logs() as events:
        client.post(reverse(CREATE), new_user_data())
        client.post(reverse(EDIT, args=[jobcoach_a.pk]), edit_data(jobcoach_a))  # no change
        client.post(
            reverse(EDIT, args=[jobcoach_a.pk]),
            edit_data(jobcoach_a, first_name="Johanna", role=Role.BEHANDELAAR),
        )
        client.post(reverse(SET_ACTIVE, args=[jobcoach_a.pk]), {"actief": "0"})
        client.post(reverse(SET_ACTIVE, args=[jobcoach_a.pk]), {"actief": "1"})
    created = User.objects.get(email="nina.nieuw@a.test")
    audit = [e for e in events if e["event"].startswith("user_")]
    assert [(e["event"], e["user_id"]) for e in audit] == [
        ("user_created", created.pk),
        ("user_changed", jobcoach_a.pk),
        ("user_deactivated", jobcoach_a.pk),
        ("user_activated", jobcoach_a.pk),
    ]
    assert audit[0]["role"] == created.role
    assert (audit[1]["fields"], audit[1]["role_before"], audit[1]["role"]) == (
        ["first_name", "role"],
        Role.TRAJECTBEGELEIDER,
        Role.BEHANDELAAR,
    )
    assert {(e["by_user_id"], e["organisation_id"]) for e in audit} == {
        (beheerder_a.pk, beheerder_a.organisation_id)
    }
    assert all(e["request_id"] for e in audit)
    assert "nina.nieuw@a.test" not in str(audit) and "Johanna" not in str(audit)


def test_the_invitation_link_stops_working_when_the_account_is_deactivated(client_for, beheerder_a):
    """A deactivated person cannot choose a password through the link in an old e-mail."""
    client_for(beheerder_a).post(reverse(CREATE), new_user_data())
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    invited = User.objects.get(email="nina.nieuw@a.test")
    client_for(beheerder_a).post(
        reverse("portal:user_set_active", args=[invited.pk]), {"actief": "0"}
    )
    stale = Client().get(link.group(1), follow=True)
    assert 'name="password1"' not in stale.content.decode()
    assert "Link niet geldig" in stale.content.decode()
    client_for(beheerder_a).post(
        reverse("portal:user_set_active", args=[invited.pk]), {"actief": "1"}
    )
    restored = Client().get(link.group(1), follow=True)
    assert 'name="password1"' in restored.content.decode()


def test_the_token_module_imports_on_its_own():
    """allauth.account.forms reads ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR when imported:
    portal.tokens must not need it at import time (it failed when imported first)."""
    import subprocess
    import sys

    code = (
        "import django; django.setup(); import portal.tokens, allauth.account.forms; "
        "print(allauth.account.forms.default_token_generator.__class__.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ActiveAccountTokenGenerator", done.stderr
