import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The titles cases.services writes for team news about one person (Dutch, as stored), with
# the place of that person's name (str(user): the full name, else the email address).
ABOUT_ONE_PERSON = [
    re.compile(pattern)
    for pattern in (
        r"^(?P<name>.+) uitgenodigd als .+$",
        r"^(?P<name>.+) doet mee als .+$",
        r"^(?P<name>.+) heeft de uitnodiging afgewezen$",
        r"^Uitnodiging aan (?P<name>.+) ingetrokken: het account is gedeactiveerd$",
        r"^(?P<name>.+) heeft het team verlaten$",
        r"^(?P<name>.+) is uit het team gehaald$",
        r"^(?P<name>.+) voert nu de regie als .+ \(aangewezen door de beheerder\)$",
    )
]
CASES_PER_BATCH = 1000


def _named(title):
    for pattern in ABOUT_ONE_PERSON:
        if match := pattern.match(title):
            return match["name"]
    return None


def fill(apps, schema_editor):
    """The organisation of the person an existing team entry is about, where the entry says
    who that is beyond doubt. An entry stores the person only in its title, by name: the
    name is looked for among the people the case itself records (who opened it, invitees and
    who answered, the team, and who joined or left according to the access log), and the
    entry gets their organisation only when exactly one organisation has someone of that
    name there. Entries about no one person (opening, closing, the volume data's "Nieuw
    teamlid"), an IPS hand-over (within one organisation), titles cut off at 200
    characters, renamed people and namesakes of two organisations stay empty: read as
    before."""
    TimelineEntry = apps.get_model("cases", "TimelineEntry")
    Case = apps.get_model("cases", "Case")
    CaseMember = apps.get_model("cases", "CaseMember")
    Invitation = apps.get_model("cases", "Invitation")
    AccessLogEntry = apps.get_model("consent", "AccessLogEntry")
    User = apps.get_model(settings.AUTH_USER_MODEL)

    named = {}  # case id -> [(entry id, name)]
    team_news = TimelineEntry.objects.filter(kind="team", subject_organisation__isnull=True)
    for pk, case_id, title in team_news.values_list("pk", "case_id", "title").iterator(
        chunk_size=2000
    ):
        if name := _named(title):
            named.setdefault(case_id, []).append((pk, name))
    case_ids = sorted(named)
    for start in range(0, len(case_ids), CASES_PER_BATCH):
        batch = case_ids[start : start + CASES_PER_BATCH]
        people = {}  # case id -> user ids
        clients = {}
        for case_id, client_id, opened_by in Case.objects.filter(pk__in=batch).values_list(
            "pk", "client_id", "opened_by_id"
        ):
            people.setdefault(case_id, set()).add(opened_by)
            clients[client_id] = case_id
        for case_id, invitee, responder in Invitation.objects.filter(case_id__in=batch).values_list(
            "case_id", "invitee_id", "responded_by_id"
        ):
            people[case_id].update({invitee, responder})
        for case_id, user in CaseMember.objects.filter(content_object_id__in=batch).values_list(
            "content_object_id", "user_id"
        ):
            people[case_id].add(user)
        # On the client index; joining, leaving and being taken off are logged as "teamlid".
        for case_id, user in AccessLogEntry.objects.filter(
            client_id__in=list(clients), case_id__in=batch, object_type="teamlid"
        ).values_list("case_id", "object_id"):
            if user.isdigit():
                people[case_id].add(int(user))
        users = {
            pk: ((f"{first} {last}".strip() or email), organisation)
            for pk, first, last, email, organisation in User.objects.filter(
                pk__in={u for ids in people.values() for u in ids if u is not None}
            ).values_list("pk", "first_name", "last_name", "email", "organisation_id")
        }
        filled = []
        for case_id in batch:
            organisations = {}  # name -> organisation ids of the people of that name
            for user in people.get(case_id, ()):
                if user in users:
                    name, organisation = users[user]
                    organisations.setdefault(name, set()).add(organisation)
            for pk, name in named[case_id]:
                found = organisations.get(name, set())
                if len(found) == 1 and None not in found:
                    (organisation,) = found
                    filled.append(TimelineEntry(pk=pk, subject_organisation_id=organisation))
        TimelineEntry.objects.bulk_update(filled, ["subject_organisation"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_client_search_name"),
        ("consent", "0010_access_request"),
        ("portal", "0004_submission_last_form"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="timelineentry",
            name="subject_organisation",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="portal.organisation",
                verbose_name="organisatie van de betrokkene",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
