"""The i18n machinery is in place: texts are marked, makemessages finds them, and the
portal answers in Dutch whatever the browser asks for."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_makemessages_extracts_the_dutch_source_texts(tmp_path):
    project = tmp_path / "werkpad"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", "node_modules", "staticfiles", "private"),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore", "tests/*"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    po = (project / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text()
    assert 'msgid "Mijn werkvoorraad"' in po
    assert 'msgid "Inloggen bij Werkpad"' in po


def test_pages_are_dutch_even_for_an_english_browser(client, db):
    response = client.get("/accounts/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = response.content.decode()
    assert '<html lang="nl">' in html
    assert "Inloggen bij Werkpad" in html
