import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_bsn(value):
    """The Dutch citizen service number: nine digits that pass the 11-proef."""
    # ASCII digits only: str.isdigit() is also true for '¹' or '٢', which would store the same
    # number twice in different scripts.
    if not (isinstance(value, str) and re.fullmatch(r"[0-9]{9}", value)):
        raise ValidationError(_("Een BSN bestaat uit precies negen cijfers."), code="bsn_format")
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    total = sum(int(digit) * weight for digit, weight in zip(value, weights, strict=True))
    if value == "000000000" or total % 11 != 0:
        raise ValidationError(
            _("Dit BSN is niet geldig: het voldoet niet aan de elfproef. Controleer de cijfers."),
            code="bsn_checksum",
        )


def mask_bsn(value):
    return "*****" + value[-4:] if value else ""
