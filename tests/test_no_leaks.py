"""Crawl the demo world as each demo account, following every link a person could follow.

- No page a klantmanager (gemeente or UWV) can reach ever holds the text of a clinical note:
  medical/treatment information never goes to Werk & Inkomen, whatever they consented to.
- No page of any account answers with a server error.
The crawl also proves it reaches the clinical note where it may be shown (the behandelaar),
so the absence for the klantmanagers means something.
"""

import re
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command

from cases.demo import CLINICAL_NOTE
from portal.demo import ACCOUNTS
from portal.models import User

LINK = re.compile(r'(?:href|hx-get)="([^"#]*)"')
SKIP = ("/accounts/", "/django-admin/", "/static/", "/media/")
MAX_PAGES = 400
# Distinctive sentences of the demo's clinical note.
MARKERS = [part.strip() for part in CLINICAL_NOTE.split(".") if len(part.strip()) > 20]


@pytest.fixture
def demo_world(db, settings):
    settings.DEMO_MODE = True
    call_command("load_demo")


def crawl(client):
    """Every same-site page reachable from the start page by GET; returns {path: html}."""
    seen, pages = {"/"}, {}
    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        pages[path] = html
        assert len(pages) < MAX_PAGES, "raise MAX_PAGES: the crawl must see every page"
        for href in LINK.findall(html):
            target = urljoin(path, unescape(href))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                seen.add(local)
                queue.append(local)
    return pages


def pages_with_markers(pages):
    return sorted(path for path, html in pages.items() if any(m in html for m in MARKERS))


@pytest.mark.parametrize(
    "email", [email for email, *_rest in ACCOUNTS], ids=lambda email: email.split("@")[0]
)
def test_every_demo_account_crawls_without_errors(demo_world, client_for, email):
    pages = crawl(client_for(User.objects.get(email=email)))
    assert len(pages) > 3  # the start page and its navigation at least


@pytest.mark.parametrize("email", ["klantmanager@havenstad.demo", "adviseur@uwv.demo"])
def test_werk_en_inkomen_never_reaches_a_clinical_note(demo_world, client_for, email):
    user = User.objects.get(email=email)
    pages = crawl(client_for(user))
    case_pages = [p for p in pages if re.fullmatch(r"/casussen/\d+/", p)]
    assert case_pages, "the crawl must reach the shared cases"
    assert pages_with_markers(pages) == []


def test_the_crawl_finds_the_clinical_note_where_it_belongs(demo_world, client_for):
    pages = crawl(client_for(User.objects.get(email="behandelaar@rivierland.demo")))
    assert pages_with_markers(pages)
