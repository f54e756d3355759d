"""Template tags for the portal's own pages."""

import uuid

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from portal.middleware import SUBMISSION_FIELD

register = template.Library()


@register.simple_tag
def submit_once():
    """A hidden one-time token, for every form that adds something (a record, a report):
    portal.middleware.SubmitOnceMiddleware handles each rendered form once."""
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, uuid.uuid4())


@register.filter
def change(number):
    """A difference with its sign (+3, −2); no change is '0', not '+0'."""
    if not number:
        return "0"
    return f"+{number}" if number > 0 else f"−{-number}"


@register.simple_tag
def line_chart(chart, chart_id, title):
    """The SVG of a line chart (cases.conversation_services.line_chart gives the geometry).
    Built here rather than in a template: its coordinates are written as they are (never
    localised: SVG wants decimal points), and the case page draws two of these on every
    view. Empty without a chart."""
    if not chart:
        return ""
    grey = 'stroke="#555" stroke-width="1"'
    parts = [
        format_html(
            '<svg class="line-chart" role="img" aria-labelledby="{0}-title {0}-desc" '
            'viewBox="0 0 {1} {2}" width="{1}" height="{2}" xmlns="http://www.w3.org/2000/svg" '
            'font-family="DejaVu Sans, Arial, sans-serif">'
            '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>',
            chart_id,
            chart["width"],
            chart["height"],
            title,
            _("Dezelfde gegevens staan in de tabel bij deze grafiek."),
        )
    ]
    left, right, top, bottom = chart["left"], chart["right"], chart["top"], chart["bottom"]
    for tick in chart["y_ticks"]:
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#d0d0d0" stroke-width="1"></line>'
                '<text x="{}" y="{}" dy="4" text-anchor="end" font-size="12" fill="#222">{}</text>',
                left,
                right,
                tick["y"],
                tick["y"],
                left - 8,
                tick["y"],
                tick["text"],
            )  # fmt: skip
        )
    parts.append(
        format_html(
            f'<line x1="{{0}}" x2="{{0}}" y1="{{1}}" y2="{{2}}" {grey}></line>'
            f'<line x1="{{0}}" x2="{{3}}" y1="{{2}}" y2="{{2}}" {grey}></line>',
            left,
            top,
            bottom,
            right,
        )  # fmt: skip
    )
    for label in chart["x_labels"]:
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#222">{}</text>',
                label["x"],
                chart["x_label_y"],
                label["text"],
            )  # fmt: skip
        )
    for line in chart["series"]:
        colour = line["colour"]
        dash = format_html(' stroke-dasharray="{}"', line["dash"]) if line["dash"] else ""
        square = line["marker"] == "square"
        for points in line["segments"]:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"{}>'
                    "</polyline>",
                    points,
                    colour,
                    dash,
                )  # fmt: skip
            )
        for m in line["markers"]:
            parts.append(
                format_html('<rect x="{}" y="{}" width="8" height="8" fill="{}"></rect>',
                            m["x0"], m["y0"], colour)
                if square
                else format_html('<circle cx="{}" cy="{}" r="4.5" fill="{}"></circle>',
                                 m["x"], m["y"], colour)
            )  # fmt: skip
        if chart["show_legend"]:
            x, y = chart["legend_x"], line["legend_y"]
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="2.5"{}>'
                    "</line>",
                    x,
                    x + 28,
                    y,
                    y,
                    colour,
                    dash,
                )  # fmt: skip
            )
            parts.append(
                format_html('<rect x="{}" y="{}" width="8" height="8" fill="{}"></rect>',
                            x + 10, y - 4, colour)
                if square
                else format_html('<circle cx="{}" cy="{}" r="4.5" fill="{}"></circle>',
                                 x + 14, y, colour)
            )  # fmt: skip
            parts.append(
                format_html(
                    '<text x="{}" y="{}" dy="4" font-size="12" fill="#222">{}</text>',
                    x + 36,
                    y,
                    line["label"],
                )  # fmt: skip
            )
    return format_html("{}</svg>", format_html_join("", "{}", ((part,) for part in parts)))
