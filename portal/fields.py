"""Form fields shared by the apps: one field for hours per week (a placement's hours and the
beroepsprofiel's wish in ips/, the werksituatie in cases/)."""

import re
from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


def model_label(model, name):
    """The label a ModelForm gives the model's field, for a field the form declares."""
    return capfirst(model._meta.get_field(name).verbose_name)


# --- Hours per week ----------------------------------------------------------------------

# Hours as typed: digits 0-9 with at most one decimal comma (or point). No exponent (1e1 is
# not 10 hours but a typing error), no digits of other scripts, no thousands separator.
HOURS_TYPED = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")


def hours_text(value):
    """Hours the Dutch way, as the pages show them: 16,5 and 16 (not 16,0)."""
    value = Decimal(value)
    return number_format(value, 0 if value == value.to_integral_value() else 1)


class HoursField(forms.Field):
    """Hours per week, as people type them: 16 or 16,5 (16.5 too). Trailing zeros say
    nothing (16,50 is 16,5; 16,0 is 16); at most one decimal; no exponent. One set of Dutch
    messages for every hours field of the portal; each form gives its own bounds:
    ``minimum`` (at least that) or ``above`` (more than that), and ``maximum`` (at most
    that; what the model's constraint allows). Shown again as typed, or the stored value the
    Dutch way (16, not 16,0)."""

    widget = forms.TextInput
    default_error_messages = {
        "required": _("Vul het aantal uren per week in."),
        "invalid": _("Vul het aantal uren per week in als getal, bijvoorbeeld 16 of 16,5."),
        "decimals": _("Vul de uren in op hoogstens één decimaal, bijvoorbeeld 16,5."),
        "minimum": _("Vul minstens %(limit)s uur per week in."),
        "above": _("Vul meer dan %(limit)s uur per week in."),
        "maximum": _("Vul hoogstens %(limit)s uur per week in."),
        # After "minimum" or "above" for a field that may stay empty.
        "or_empty": _("%(message)s, of laat het veld leeg."),
    }

    def __init__(self, *, maximum, minimum=None, above=None, **kwargs):
        if (minimum is None) == (above is None):
            raise TypeError("HoursField takes one lower bound: minimum or above.")
        self.minimum, self.above, self.maximum = minimum, above, maximum
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal"}

    def prepare_value(self, value):
        if isinstance(value, (Decimal, int)):  # stored, not typed
            return hours_text(value)
        return value

    def to_python(self, value):
        if isinstance(value, (Decimal, int)):
            return Decimal(value)
        text = str(value if value is not None else "").strip()
        if not text:
            return None
        if not HOURS_TYPED.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        sign = "-" if text[0] == "-" else ""
        text = text.lstrip("+-")
        whole, _separator, fraction = text.replace(",", ".").partition(".")
        if len(fraction) > 2:  # 1.000 reads as a thousand in Dutch, 1 to the field
            raise forms.ValidationError(self.error_messages["decimals"], code="decimals")
        fraction = fraction.rstrip("0")  # 16,50 is 16,5
        value = Decimal(f"{sign}{whole or 0}.{fraction}" if fraction else f"{sign}{whole}")
        return value if value else Decimal(0)  # -0 is 0 (where 0 hours are allowed)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.minimum is not None and value < self.minimum:
            self._too_few("minimum", self.minimum)
        if self.above is not None and value <= self.above:
            self._too_few("above", self.above)
        if value > self.maximum:
            raise forms.ValidationError(
                self.error_messages["maximum"] % {"limit": hours_text(self.maximum)},
                code="maximum",
            )
        if value.as_tuple().exponent < -1:
            raise forms.ValidationError(self.error_messages["decimals"], code="decimals")

    def _too_few(self, code, limit):
        message = self.error_messages[code] % {"limit": hours_text(limit)}
        if not self.required:
            message = self.error_messages["or_empty"] % {"message": message.rstrip(".")}
        raise forms.ValidationError(message, code=code)
