"""A timeline entry's title is built from what people typed (an afspraak's what, who and
date): it is kept whole. It was cut at 200 characters, and a long afspraak lost who does it
and by when (exploratory tester, 5 December)."""

import datetime

from django.urls import reverse

from cases.constants import TimelineKind
from cases.models import TimelineEntry

from .builders import make_case


def test_a_long_afspraak_keeps_who_and_when_on_the_timeline(client_for, behandelaar_a):
    case = make_case(behandelaar_a)
    what = "Solliciteren bij " + "de groenvoorziening van de gemeente en het hoveniersbedrijf " * 4
    what = what[:300].rstrip()
    owner = "Cliënt, samen met de trajectbegeleider " + "x" * 100
    due = datetime.date.today() + datetime.timedelta(days=30)
    c = client_for(behandelaar_a)
    response = c.post(
        reverse("cases:agreement_create", args=[case.pk]),
        {"what": what, "owner": owner, "due_date": due.isoformat()},
    )
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(case=case, kind=TimelineKind.AFSPRAAK)
    assert entry.title == f"Afspraak: {what} ({owner}, uiterlijk {due:%d-%m-%Y})"
    assert len(entry.title) > 400
    timeline = c.get(reverse("cases:timeline", args=[case.pk])).content.decode()
    assert f"uiterlijk {due:%d-%m-%Y}" in timeline
