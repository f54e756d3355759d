"""A stored value in words, as people read it: in the change history, a conflict message
and the AVG-inzage (the client's own file)."""

import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _


def in_words(obj, field):
    """``field`` of ``obj`` in words, or None when there is nothing to show: a choice by its
    label, yes/no, dates and times in Dutch (local time), a decimal to its field's places
    unless it is whole (16, not 16,0; 16,5, not 16.5), as the pages show hours."""
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
        whole = value == value.to_integral_value()
        return number_format(value, 0 if whole else field.decimal_places)
    if isinstance(value, float):
        return number_format(value)
    return str(value)
