"""A stored value in words, as people read it: in the change history, a conflict message
and the AVG-inzage (the client's own file)."""

import datetime
import unicodedata
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _


def in_words(obj, field):
    """``field`` of ``obj`` in words, or None when there is nothing to show: a choice by its
    label, yes/no, dates and times in Dutch (local time), a decimal with a comma to its
    field's places (16,5; € 14,00), whole hours without (16, not 16,0)."""
    value = getattr(obj, field.name)
    if value is None or value == "":
        return None
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    if isinstance(field, models.FileField):
        return _("bestand aanwezig")
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "j F Y, H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "j F Y")
    if isinstance(value, Decimal):
        places = field.decimal_places
        # Hours (one place) as the pages show them, 16 and not 16,0; an amount keeps its
        # cents (€ 14,00).
        if places == 1 and value == value.to_integral_value():
            places = 0
        return number_format(value, places)
    if isinstance(value, float):
        return number_format(value)
    return str(value)


# Left out of names when searching: people type O'Neill as oneill or o neill.
NOT_SEARCHED = str.maketrans("", "", "'’‘`´")


def searchable(text):
    """A name as searches compare it: lower case, without accents or apostrophes, so that
    'zoe' finds Zoë, 'oneill' O'Neill and 'celik' Çelik, on PostgreSQL and SQLite alike
    (SQLite folds the case of ASCII letters only)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(NOT_SEARCHED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# Dutch surname prefixes (tussenvoegsels), also when typed with a capital ('Van Dijk').
PREFIXES = frozenset("van de der den het 't te ter ten in op aan bij uit onder voor".split())  # noqa: SIM905


def sort_name(last_name):
    """A surname as a Dutch list sorts it: by the name itself, its prefixes after it, so 'de
    Vries' sorts under V and 'van den Berg' under B; searchable() folded ('Öztürk' between
    Oosterhout and Peters). A prefix is a known tussenvoegsel in any case, or any word in
    lower case before the name ('da Silva'); 'El Idrissi' is a name of two words."""
    words = last_name.split()
    start = next(
        (
            i
            for i, word in enumerate(words)
            if word.casefold() not in PREFIXES and not word[:1].islower() and word[:1] not in "'’"
        ),
        0,
    )
    return searchable(" ".join(words[start:] + words[:start]))


def keep_derived(kwargs, sources, derived):
    """For a save() that derives fields from others: when its ``update_fields`` names one of
    ``sources``, it names the ``derived`` fields too (else they would go stale)."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(sources) & set(update_fields):
        kwargs["update_fields"] = {*update_fields, *derived}
