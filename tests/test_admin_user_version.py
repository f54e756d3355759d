"""A user saved in the Django admin: the version that the beheerder's edit form carries goes
up, as with the beheer pages' own saves. It stayed the same, so a beheerder's form opened
before the platform administrator's change was saved over it without a word."""

from django.test import Client
from django.urls import reverse

from portal.constants import Role

from .conftest import signed_in
from .test_beheer_fixes import CONFLICT_END, edit_url, opened


def admin_url(user):
    return f"/django-admin/portal/user/{user.pk}/change/"


def admin_save(superuser, user, **changes):
    """The admin's change form of ``user`` sent back as rendered, with ``changes``."""
    admin = signed_in(Client(), superuser)
    form = admin.get(admin_url(user)).context["adminform"].form
    data = {field.html_name: field.value() for field in form if field.value() is not None}
    return admin.post(admin_url(user), {**data, **changes, "_save": "1"})


def test_an_admin_change_refuses_a_beheer_form_opened_before_it(
    client_for, superuser, beheerder_a, jobcoach_a
):
    stale = opened(client_for(beheerder_a), jobcoach_a)
    before = jobcoach_a.version

    response = admin_save(superuser, jobcoach_a, last_name="Beheerd")

    assert response.status_code == 302
    jobcoach_a.refresh_from_db()
    assert (jobcoach_a.last_name, jobcoach_a.version) == ("Beheerd", before + 1)

    refused = client_for(beheerder_a).post(
        edit_url(jobcoach_a), {**stale, "role": Role.BEHANDELAAR}
    )

    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors() == [
        f"Niet opgeslagen: het account van {jobcoach_a.first_name} Beheerd is intussen "
        "gewijzigd, in een ander venster of door een collega. Wat er nu staat: Achternaam: "
        f"Beheerd, Rol: IPS-trajectbegeleider. {CONFLICT_END}"
    ]
    jobcoach_a.refresh_from_db()
    assert (jobcoach_a.last_name, jobcoach_a.role) == ("Beheerd", Role.TRAJECTBEGELEIDER)


def test_an_admin_save_without_changes_leaves_the_version(client_for, superuser, jobcoach_a):
    """As on the beheer page: only a change counts, so an open beheer form stays valid."""
    before = jobcoach_a.version

    assert admin_save(superuser, jobcoach_a).status_code == 302

    jobcoach_a.refresh_from_db()
    assert jobcoach_a.version == before


def test_an_admin_form_opened_before_a_beheer_change_is_refused(
    client_for, superuser, beheerder_a, jobcoach_a
):
    """The other way round: the platform administrator's form, opened before a beheerder
    deactivated the account, put it back on when saved for a typo (found in review)."""
    admin = signed_in(Client(), superuser)
    form = admin.get(admin_url(jobcoach_a)).context["adminform"].form
    stale = {field.html_name: field.value() for field in form if field.value() is not None}
    response = client_for(beheerder_a).post(
        reverse("portal:user_set_active", args=[jobcoach_a.pk]), {"actief": "0"}
    )
    assert response.status_code == 302

    refused = admin.post(admin_url(jobcoach_a), {**stale, "last_name": "Typo", "_save": "1"})

    assert refused.status_code == 200
    assert "Niet opgeslagen: dit account is gewijzigd nadat u dit formulier opende" in (
        refused.content.decode()
    )
    jobcoach_a.refresh_from_db()
    assert not jobcoach_a.is_active
    assert jobcoach_a.last_name != "Typo"


def test_an_admin_form_without_its_version_is_refused(superuser, jobcoach_a):
    admin = signed_in(Client(), superuser)
    form = admin.get(admin_url(jobcoach_a)).context["adminform"].form
    data = {field.html_name: field.value() for field in form if field.value() is not None}
    del data["opened_version"]

    refused = admin.post(admin_url(jobcoach_a), {**data, "last_name": "Zonder", "_save": "1"})

    assert refused.status_code == 200
    assert "vernieuw de pagina" in refused.content.decode()
    jobcoach_a.refresh_from_db()
    assert jobcoach_a.last_name != "Zonder"
