"""Error pages speak Dutch and lead back to the start, also a 405: an address for a form's
POST opened with GET (a bookmark, a pasted link) showed Django's empty body, a blank page."""

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.urls import path, reverse
from structlog.testing import capture_logs

from portal.models import Report

from .builders import make_case

pytestmark = pytest.mark.django_db


def test_get_on_a_post_address_is_a_dutch_405(client_for, behandelaar_a):
    case = make_case(behandelaar_a)
    url = reverse("cases:progress_report", args=[case.pk])
    response = client_for(behandelaar_a).get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = response.content.decode()
    assert "<h1>Alleen via een knop</h1>" in html
    assert "Er is niets gewijzigd." in html
    assert f'href="{reverse("portal:home")}">Naar de startpagina</a>' in html
    assert not Report.objects.exists()


def test_anonymous_gets_the_page_without_the_menu(client_for):
    response = client_for(None).get(reverse("ips:results_report"))
    assert response.status_code == 405
    html = response.content.decode()
    assert "<h1>Alleen via een knop</h1>" in html
    assert 'aria-label="Hoofdmenu"' not in html


def test_a_405_without_an_allow_header_still_gets_the_page(rf, behandelaar_a):
    """A hand-built 405 may lack Allow: the page, not a KeyError."""
    from django.http import HttpResponse

    from portal.middleware import MethodNotAllowedPageMiddleware

    request = rf.get("/")
    request.user = behandelaar_a
    response = MethodNotAllowedPageMiddleware(lambda r: HttpResponse(status=405))(request)
    assert response.status_code == 405
    assert "Alleen via een knop" in response.content.decode()
    assert not response.has_header("Allow")


def test_a_page_for_another_role_says_why(client_for, behandelaar_a, beheerder_g):
    response = client_for(behandelaar_a).get(reverse("portal:user_list"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Geen toegang</h1>" in html
    assert "Deze pagina is niet beschikbaar voor uw functie." in html
    assert f'href="{reverse("portal:home")}">Naar de startpagina</a>' in html
    # Only a GGZ organisation has IPS teams: the reason names the organisation type.
    response = client_for(beheerder_g).get(reverse("ips:teams"))
    assert response.status_code == 403
    assert "Deze pagina is alleen voor medewerkers van een GGZ-aanbieder." in (
        response.content.decode()
    )


def _fails(request):
    raise RuntimeError("kapot")


# This module is the URLconf of the test below: a view that fails, under the real handler.
urlpatterns = [path("kapot/", _fails)]
handler500 = "portal.views.server_error"


def test_the_project_uses_the_server_error_page():
    from portal import urls

    assert urls.handler500 == handler500


@pytest.mark.urls("tests.test_error_pages")
def test_the_code_is_logged_with_the_traceback(client, caplog):
    client.raise_request_exception = False
    response = client.get("/kapot/")
    logged = [r.getMessage() for r in caplog.records if r.name == "werkpad.errors"]
    assert len(logged) == 1
    assert f'"request_id": "{response["X-Request-ID"]}"' in logged[0]
    assert "RuntimeError: kapot" in logged[0]


@pytest.mark.urls("tests.test_error_pages")
def test_the_page_does_not_fail_in_its_turn(client, settings):
    """A stylesheet missing from the static files manifest makes {% static %} raise: the
    bare page then, not a second error."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "tests.test_error_pages.EmptyManifestStorage"},
    }
    client.raise_request_exception = False
    response = client.get("/kapot/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Er ging iets mis</h1>" in html and "werkpad.css" not in html


class EmptyManifestStorage(ManifestStaticFilesStorage):
    def read_manifest(self):
        return None


@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_gives_the_dutch_page_with_a_code_for_the_helpdesk(client):
    client.raise_request_exception = False
    with capture_logs() as events:
        response = client.get("/kapot/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Er ging iets mis</h1>" in html
    assert "werkpad.css" in html
    code = response["X-Request-ID"]
    assert f"Noem dan deze code: <code>{code}</code>" in html
    assert "kapot" not in html and "RuntimeError" not in html
    assert {"event": "server_error", "request_id": code, "path": "/kapot/"}.items() <= (
        next(e for e in events if e["event"] == "server_error").items()
    )
