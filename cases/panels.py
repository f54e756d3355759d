"""Panels that other apps contribute to the case page.

Each entry is the dotted path of a function ``panel(request, case, access)`` returning
``None`` (nothing to show for this user) or ``{"template": ..., "log": [...], **data}``. A
panel takes its data through consent.services like every view, and keeps its query count
constant. It does not write to the access log itself: "log" holds the entries for what it
shows (consent.case_read_entries), and the case page writes them with its own in one go.
"""

from django.utils.module_loading import import_string

CASE_PANELS = [
    "cases.leidraad_views.case_panel",
    "cases.conversation_views.case_panel",
    "ips.views.case_panel",
    "consent.views.case_panel_context",
]


def case_panels(request, case, access):
    panels = []
    for path in CASE_PANELS:
        panel = import_string(path)(request, case, access)
        if panel is not None:
            panels.append(panel)
    return panels
