"""Template tags for the portal's own pages."""

import uuid

from django import template
from django.utils.html import format_html

from portal.middleware import SUBMISSION_FIELD

register = template.Library()


@register.simple_tag
def submit_once():
    """A hidden one-time token, for every form that adds something (a record, a report):
    portal.middleware.SubmitOnceMiddleware handles each rendered form once."""
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, uuid.uuid4())
