"""The content of the gespreksleidraad 'Arbeid als medicijn' as data: the schema a version
must meet, and the version shipped with Werkpad (cases/content/leidraad_v1.json).

Pure functions, no database: used by the beheer page, the publish_leidraad command and the
tests. Publishing itself lives in cases.leidraad_services.
"""

import hashlib
import json
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

BUNDLED = Path(__file__).resolve().parent / "content" / "leidraad_v1.json"

STEP_KEYS = ("voorbereiding", "in_gesprek", "volgende_stappen")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MIN_THEMES, MAX_THEMES = 1, 12
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5

TOP_KEYS = {"title", "source", "steps", "themes"}
STEP_FIELDS = {"key", "title", "intro"}
THEME_FIELDS = {"key", "title", "questions", "explanation", "references"}
REFERENCE_FIELDS = {"title", "url"}


def load_bundled():
    with BUNDLED.open(encoding="utf-8") as handle:
        return json.load(handle)


# The json module's messages for the syntax errors a hand-edited file has, in Dutch. Any
# other error is told by its place alone: the beheerder reads no English text.
JSON_ERRORS = {
    "Expecting value": gettext_lazy(
        "hier hoort een waarde: tekst tussen dubbele aanhalingstekens, een getal, een lijst "
        "[…] of een object {…}. Staat er een komma te veel voor een ] of }?"
    ),
    "Expecting property name enclosed in double quotes": gettext_lazy(
        'hier hoort een veldnaam tussen dubbele aanhalingstekens, zoals "title". Staat er '
        "een komma te veel voor een }?"
    ),
    "Expecting ',' delimiter": gettext_lazy("hier ontbreekt een komma."),
    "Expecting ':' delimiter": gettext_lazy(
        "hier ontbreekt de dubbele punt tussen veldnaam en waarde."
    ),
    "Unterminated string starting at": gettext_lazy(
        "de tekst die hier begint, heeft geen sluitend dubbel aanhalingsteken."
    ),
    "Invalid control character at": gettext_lazy(
        "in een tekst staat een onzichtbaar teken, zoals een regeleinde of tab. Schrijf een "
        "regeleinde als \\n en een tab als \\t."
    ),
    "Invalid \\escape": gettext_lazy(
        "hier staat een ongeldige combinatie met een backslash (\\). Schrijf een backslash "
        "als \\\\."
    ),
    "Invalid \\uXXXX escape": gettext_lazy(
        "hier staat een ongeldige \\u-code: die heeft vier cijfers of letters a tot en met f."
    ),
    "Extra data": gettext_lazy("na het einde van de inhoud staat nog meer tekst."),
}


UNUSABLE = gettext_lazy(
    "Dit is geen bruikbare JSON: te diep genest, of een getal van te veel cijfers."
)


def parse(text):
    """JSON text to data, with a Dutch message for a syntax error. A leading byte-order
    mark (a file saved as "UTF-8 met BOM", pasted) is no part of the content."""
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        where = {"line": exc.lineno, "col": exc.colno}
        reason = JSON_ERRORS.get(exc.msg)
        if reason is None:
            message = _("Dit is geen geldige JSON (regel %(line)s, kolom %(col)s).") % where
        else:
            message = _("Dit is geen geldige JSON (regel %(line)s, kolom %(col)s): %(reason)s") % {
                **where,
                "reason": reason,
            }
        raise ValidationError(message) from exc
    except (RecursionError, ValueError) as exc:  # a number of thousands of digits (ValueError)
        raise ValidationError(UNUSABLE) from exc
    try:
        # JSON lets \ud800 to \udfff stand alone, half a character that no UTF-8 text (the
        # page, the database, the checksum) can hold.
        checksum(data)
    except RecursionError as exc:  # nested just deep enough to be read, not to be written
        raise ValidationError(UNUSABLE) from exc
    except UnicodeEncodeError as exc:
        raise ValidationError(
            _(
                "Dit is geen bruikbare JSON: er staat een losse \\u-code van een half teken "
                "in (\\ud800 tot en met \\udfff). Haal die weg."
            )
        ) from exc
    return data


def checksum(data):
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Checker:
    def __init__(self):
        self.errors = []

    def error(self, where, message):
        self.errors.append(f"{where}: {message}" if where else message)

    def keys(self, where, value, allowed, required):
        if not isinstance(value, dict):
            self.error(where, _("verwacht een object met velden."))
            return False
        for key in sorted(set(value) - allowed):
            self.error(where, _("onbekend veld '%(key)s'.") % {"key": key})
        for key in sorted(required - set(value)):
            self.error(where, _("het veld '%(key)s' ontbreekt.") % {"key": key})
        return True

    def text(self, where, value, max_length, required=True):
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.error(where, _("verwacht tekst."))
            return ""
        value = value.strip()
        if "\x00" in value:  # written as \u0000 in JSON; the database stores no NUL
            self.error(where, _("bevat het teken NUL (\\u0000). Haal het weg."))
        elif required and not value:
            self.error(where, _("mag niet leeg zijn."))
        elif len(value) > max_length:
            self.error(
                where,
                _("is te lang (%(n)s tekens, hoogstens %(max)s).")
                % {"n": len(value), "max": max_length},
            )
        return value


def validate(data):
    """Check a version's content against the schema. Returns the cleaned content (text
    stripped) or raises ValidationError listing every problem, in Dutch."""
    check = _Checker()
    if not check.keys("", data, TOP_KEYS, {"title", "steps", "themes"}):
        raise ValidationError(check.errors)
    cleaned = {
        "title": check.text(_("Titel"), data.get("title"), 200),
        "source": check.text(_("Bron"), data.get("source"), 1000, required=False),
        "steps": _steps(check, data.get("steps")),
        "themes": _themes(check, data.get("themes")),
    }
    if check.errors:
        raise ValidationError(check.errors)
    return cleaned


def _steps(check, steps):
    where = _("Stappen")
    if not isinstance(steps, list) or len(steps) != len(STEP_KEYS):
        check.error(where, _("verwacht precies drie stappen: %(keys)s.") % _keys_text())
        return []
    cleaned = []
    for number, (step, key) in enumerate(zip(steps, STEP_KEYS, strict=True), start=1):
        at = _("Stap %(n)s") % {"n": number}
        if not check.keys(at, step, STEP_FIELDS, STEP_FIELDS):
            continue
        if step.get("key") != key:
            check.error(at, _("de sleutel moet '%(key)s' zijn.") % {"key": key})
        cleaned.append(
            {
                "key": key,
                "title": check.text(at + " " + _("titel"), step.get("title"), 80),
                "intro": check.text(at + " " + _("uitleg"), step.get("intro"), 600),
            }
        )
    return cleaned


def _keys_text():
    return {"keys": ", ".join(STEP_KEYS)}


def _themes(check, themes):
    where = _("Thema's")
    if not isinstance(themes, list) or not MIN_THEMES <= len(themes) <= MAX_THEMES:
        check.error(
            where,
            _("verwacht een lijst van %(min)s tot %(max)s thema's.")
            % {"min": MIN_THEMES, "max": MAX_THEMES},
        )
        return []
    cleaned, seen = [], set()
    for number, theme in enumerate(themes, start=1):
        at = _("Thema %(n)s") % {"n": number}
        if not check.keys(at, theme, THEME_FIELDS, THEME_FIELDS):
            continue
        key = theme.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):  # "$" takes a "\n"
            check.error(
                at,
                _(
                    "de sleutel moet uit 2 tot 40 kleine letters, cijfers of _ bestaan "
                    "en met een letter beginnen."
                ),
            )
        elif key in seen:
            check.error(at, _("de sleutel '%(key)s' komt twee keer voor.") % {"key": key})
        else:
            seen.add(key)
            at = f"{at} ({key})"
        cleaned.append(
            {
                "key": key,
                "title": check.text(at + " " + _("titel"), theme.get("title"), 120),
                "questions": _questions(check, at, theme.get("questions")),
                "explanation": check.text(at + " " + _("uitleg"), theme.get("explanation"), 1000),
                "references": _references(check, at, theme.get("references")),
            }
        )
    return cleaned


def _questions(check, at, questions):
    if not isinstance(questions, list) or not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        check.error(
            at,
            _("verwacht %(min)s tot %(max)s vragen.")
            % {"min": MIN_QUESTIONS, "max": MAX_QUESTIONS},
        )
        return []
    return [
        check.text(at + " " + _("vraag %(n)s") % {"n": n}, question, 300)
        for n, question in enumerate(questions, start=1)
    ]


def _references(check, at, references):
    if not isinstance(references, list) or not references:
        check.error(at, _("verwacht minstens één verwijzing naar meer informatie."))
        return []
    cleaned = []
    for n, reference in enumerate(references, start=1):
        where = at + " " + _("verwijzing %(n)s") % {"n": n}
        if not check.keys(where, reference, REFERENCE_FIELDS, {"title"}):
            continue
        item = {"title": check.text(where, reference.get("title"), 300)}
        url = reference.get("url")
        if url is not None:
            url = check.text(where + " " + _("adres"), url, 500)
            try:
                URLValidator(schemes=["https", "http"])(url)
            except ValidationError:
                check.error(where, _("het adres moet beginnen met https:// of http://."))
            item["url"] = url
        cleaned.append(item)
    return cleaned
