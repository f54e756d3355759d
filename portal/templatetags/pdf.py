"""Template filters for the PDF templates (WeasyPrint)."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def css_string(value):
    """``value`` as the inside of a CSS string ("..."), for @page margin boxes: every
    character but ASCII letters and digits becomes a six-digit CSS escape (\\HHHHHH), so a
    quote, backslash or ampersand can neither end the string nor show as code. Spaces are
    escaped too: CSS swallows one space after an escape. (escapejs is for JavaScript: CSS
    would print its \\u002D literally.)"""
    return mark_safe(  # noqa: S308 - only ASCII letters, digits and backslashes remain
        "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06X}" for ch in str(value))
    )
