"""AVG-inzage (right of access, art. 15): everything the beheerder's organisation holds about
a client, and the access log about that client (who saw what, when, on what basis), in
readable form.

Only a beheerder (consent.services.avg_decisions, for each category, action export) when the
PDF is made and at every download, and only on a recorded request of the client
(consent.models.AccessRequest), shown on the first page. For a client of the beheerder's own
organisation the report holds the client's registration in full and the whole log; for
another organisation's client whose data the organisation's people worked with (a gemeente
on a GGZ client's case) it holds what the organisation recorded, the identification the
client is known by (not the other organisation's contact details), and what the
organisation's own people did, with where to ask for the rest.
The records are described field by field from their models, so a section is one line in
``SECTIONS``; a new kind of client data (for example conversations) is added there.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from cases.constants import CaseRole
from portal.constants import Role
from portal.reports import Built, all_allowed
from portal.words import in_words

from . import services
from .constants import Category, ConsentState, label_of


@dataclass(frozen=True)
class Section:
    title: str
    model: str  # "app_label.ModelName"
    client_path: str  # lookup from a row to the client
    category: str | None  # fixed category; None: the row's own ``category`` field
    holder_path: str = "organisation"  # lookup from a row to the holding organisation
    skip: tuple = ()  # fields left out (besides ids, versions and the client itself)
    # How a related field is shown, when its object's ``str`` is not meant for the client:
    # field name -> function of the related object, giving the text.
    shown_as: dict[str, Callable] = dataclass_field(default_factory=dict)
    heading: Callable = str  # a row's heading, from the row
    # What a row shows besides its fields: function of the row, giving (label, value) pairs
    # shown after them; ``select`` names the relations it reads (for select_related).
    more: Callable = lambda row: ()
    select: tuple = ()
    prefetch: tuple = ()  # many-to-many relations ``more`` reads
    # For a section without a category (fixed or a field): a row's category, from the row
    # (None: unknown, then the row needs every category).
    category_of: Callable | None = None


def _case_role(permission):
    """A case team member's role: stored as a guardian permission whose codename is the
    CaseRole value (``Permission.__str__`` would show "Cliënten en casussen | casus | ...")."""
    return label_of(CaseRole, permission.codename)


def _changed(object_type):
    """(model, category) of the record a change is about (ChangeRecord.object_type: its
    model's name), from the section of that model; (None, None) when there is none."""
    return _sections_by_model_name().get(object_type, (None, None))


@functools.cache
def _sections_by_model_name():
    found = {}
    for section in SECTIONS:
        model = apps.get_model(section.model)
        found.setdefault(model._meta.model_name, (model, section.category))
    return found


def _changed_category(record):
    return _changed(record.object_type)[1]


def _change_described(record):
    """What a change record is about, in words ("Doel", "status"), not goal.status."""
    model = _changed(record.object_type)[0]
    if model is None:
        return record.object_type, record.field
    try:
        field = model._meta.get_field(record.field)
    except FieldDoesNotExist:
        field = None
    if getattr(field, "concrete", False):
        name = field.verbose_name
    else:  # what is no field of its own (a log's change talk: its related rows)
        name = LABELS.get(record.field, record.field)
    return capfirst(model._meta.verbose_name), name


def _consent_terms(consent):
    """What a consent shares and where it stands (its categories are no field of its own;
    its state follows from the withdrawal and a replacement)."""
    return [
        (str(LABELS["categories"]), ", ".join(c.label for c in consent.categories.all())),
        (str(LABELS["state"]), ConsentState(consent.state()).label),
    ]


def _member_organisation(member):
    organisation = member.user.organisation
    return [(str(LABELS["organisation"]), str(organisation))] if organisation else []


# A consent's categories and state, in both sections of consents.
CONSENT_TERMS = {
    "more": _consent_terms,
    "select": ("withdrawal", "superseded_by"),
    "prefetch": ("categories",),
}

SECTIONS = [
    Section(gettext_lazy("Casussen"), "cases.Case", "client", Category.IDENTIFICATIE),
    # Who is (or was made) part of the case team: the recipients of the client's data (art.
    # 15 lid 1 c), of any organisation. The team is part of the case, held by its organisation.
    Section(
        gettext_lazy("Casusteam"),
        "cases.CaseMember",
        "content_object__client",
        Category.IDENTIFICATIE,
        holder_path="content_object__organisation",
        shown_as={"permission": _case_role},
        heading=lambda member: f"{member.user} – {_case_role(member.permission)}",
        more=_member_organisation,
        select=("user__organisation",),
    ),
    Section(
        gettext_lazy("Uitnodigingen en verwijzingen"),
        "cases.Invitation",
        "case__client",
        Category.IDENTIFICATIE,
        holder_path="invited_by__organisation",
    ),
    Section(
        gettext_lazy("Werksituatie"), "cases.WorkSituation", "case__client", Category.WERKSITUATIE
    ),
    Section(gettext_lazy("Doelen"), "cases.Goal", "case__client", Category.AFSPRAKEN),
    Section(gettext_lazy("Afspraken"), "cases.Agreement", "case__client", Category.AFSPRAKEN),
    Section(
        gettext_lazy("Driegesprekken"), "cases.Driegesprek", "case__client", Category.AFSPRAKEN
    ),
    Section(gettext_lazy("Tijdlijn en notities"), "cases.TimelineEntry", "case__client", None),
    Section(
        gettext_lazy("Gesprekken met de gespreksleidraad"),
        "cases.LeidraadSession",
        "case__client",
        Category.LEIDRAAD,
    ),
    Section(
        gettext_lazy("Gespreksleidraad: besproken thema's"),
        "cases.LeidraadThemeNote",
        "session__case__client",
        Category.LEIDRAAD,
        holder_path="session__organisation",
    ),
    Section(
        gettext_lazy("Gespreksleidraad: verwijzingen"),
        "cases.LeidraadReferral",
        "session__case__client",
        Category.LEIDRAAD,
        skip=("invitation",),
    ),
    Section(
        gettext_lazy("Gespreksleidraad: correcties"),
        "cases.LeidraadCorrection",
        "session__case__client",
        Category.LEIDRAAD,
    ),
    Section(
        gettext_lazy("Motiverende gesprekken"),
        "cases.Conversation",
        "case__client",
        Category.GESPREKSVERSLAGEN,
        skip=("next_step", "corrects"),
    ),
    Section(
        gettext_lazy("Motiverende gesprekken: verandertaal"),
        "cases.ChangeTalk",
        "conversation__case__client",
        Category.GESPREKSVERSLAGEN,
        holder_path="conversation__organisation",
        skip=("conversation",),
    ),
    Section(
        gettext_lazy("IPS-trajecten"), "ips.Trajectory", "client", Category.IPS, skip=("referral",)
    ),
    Section(gettext_lazy("IPS: fasen"), "ips.PhaseChange", "trajectory__client", Category.IPS),
    Section(
        gettext_lazy("IPS: beroepsprofiel"),
        "ips.Beroepsprofiel",
        "trajectory__client",
        Category.IPS,
    ),
    Section(
        gettext_lazy("IPS: werkgeverscontacten"),
        "ips.EmployerContact",
        "trajectory__client",
        Category.IPS,
    ),
    Section(gettext_lazy("IPS: banen"), "ips.Placement", "trajectory__client", Category.IPS),
    Section(
        gettext_lazy("IPS: begeleiding op het werk"),
        "ips.FollowAlongContact",
        "trajectory__client",
        Category.IPS,
        skip=("placement",),
    ),
    Section(
        gettext_lazy("Toestemmingen"),
        "consent.Consent",
        "client",
        Category.IDENTIFICATIE,
        holder_path="provider",
        **CONSENT_TERMS,
    ),
    Section(
        gettext_lazy("Intrekkingen van toestemming"),
        "consent.ConsentWithdrawal",
        "consent__client",
        Category.IDENTIFICATIE,
        holder_path="consent__provider",
    ),
    # The client's requests for access, this one included (also on the first page).
    Section(
        gettext_lazy("Verzoeken om inzage"),
        "consent.AccessRequest",
        "client",
        Category.IDENTIFICATIE,
        skip=("report",),
    ),
    # The consents the organisation received: on what basis it read the client's data, as
    # its consent panel shows them (not how the provider recorded them, or who did).
    Section(
        gettext_lazy("Ontvangen toestemmingen"),
        "consent.Consent",
        "client",
        Category.IDENTIFICATIE,
        holder_path="recipient",
        skip=("recorded_by", "method", "form", "purpose_explained", "supersedes"),
        **CONSENT_TERMS,
    ),
    # Field changes: each of the category of the record it changed.
    Section(
        gettext_lazy("Wijzigingen"),
        "cases.ChangeRecord",
        "case__client",
        None,
        holder_path="changed_by__organisation",
        skip=("object_type", "object_id", "field"),
        heading=lambda record: " – ".join(map(str, _change_described(record))),
        category_of=_changed_category,
    ),
]

# Models that hold no data about the client themselves: the MITI self-assessment rates the
# professional's own conversation technique, not the client.
NOT_CLIENT_DATA = {"cases.MitiSelfAssessment"}

HIDDEN_FIELDS = {"id", "version", "hash", "prev_hash"}
# Dutch names for fields whose model gives none (verbose_name is then the field's name).
LABELS = {
    "case": gettext_lazy("Casus"),
    "organisation": gettext_lazy("Organisatie"),
    "session": gettext_lazy("Gesprek"),
    "created_by": gettext_lazy("Vastgelegd door"),
    "created_at": gettext_lazy("Vastgelegd op"),
    "changed_by": gettext_lazy("Gewijzigd door"),
    "changed_at": gettext_lazy("Gewijzigd op"),
    "user": gettext_lazy("Medewerker"),
    "permission": gettext_lazy("Rol in de casus"),
    "content_object": gettext_lazy("Casus"),
    "change_talk": gettext_lazy("verandertaal"),
    "categories": gettext_lazy("Gegevens"),
    "state": gettext_lazy("Stand"),
}
CLIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "bsn", "email", "phone", "address")
# What another organisation's report shows of a registration it does not hold: who the
# client is, as on the identity document the request was checked with.
IDENTIFYING_FIELDS = CLIENT_FIELDS[:4]


def _value(obj, field, shown_as=None):
    """A field's value in words, or None when there is nothing to show; ``shown_as`` maps a
    field name to the function that puts its value in words (Section.shown_as)."""
    value = getattr(obj, field.name)
    if value is None or value == "" or isinstance(field, models.JSONField):
        return None
    if shown_as and field.name in shown_as:
        return shown_as[field.name](value)
    return in_words(obj, field)


def _fields(model, section):
    from cases.models import Client

    shown = []
    for field in model._meta.concrete_fields:
        if field.name in HIDDEN_FIELDS or field.name in section.skip:
            continue
        if field.is_relation and field.related_model is Client:
            continue  # the subject of the whole report
        shown.append(field)
    return shown


def label(field):
    name = str(field.verbose_name)
    if name == field.name.replace("_", " "):
        name = str(LABELS.get(field.name, name))
    return capfirst(name)


def describe(obj, fields, shown_as=None):
    rows = []
    for field in fields:
        value = _value(obj, field, shown_as)
        if value is not None:
            rows.append((label(field), value))
    return rows


def _section_rows(section, client, organisation_id, allowed):
    model = apps.get_model(section.model)
    has_category_field = any(f.name == "category" for f in model._meta.concrete_fields)
    if section.category is not None:
        if section.category not in allowed:
            return [], set()
        categories = {section.category}
    elif has_category_field or section.category_of:
        categories = set(allowed)
    elif allowed == set(Category):
        categories = set(Category)
    else:
        return [], set()
    rows = model.objects.filter(
        **{section.client_path: client, f"{section.holder_path}_id": organisation_id}
    )
    if section.category is None and has_category_field:
        rows = rows.filter(category__in=sorted(categories))
    fields = _fields(model, section)
    related = [f.name for f in fields if f.is_relation]
    rows = rows.select_related(*related, *section.select).prefetch_related(*section.prefetch)
    rows = list(rows.order_by("pk"))
    if section.category_of:
        # A row of unknown category needs them all; then it is shown under all of them.
        needs = {row.pk: {section.category_of(row)} - {None} or set(Category) for row in rows}
        rows = [row for row in rows if needs[row.pk] <= allowed]
        shown = {(organisation_id, category) for row in rows for category in needs[row.pk]}
    else:
        shown = {
            (organisation_id, getattr(row, "category", None) or section.category) for row in rows
        }
    if section.category is None and not has_category_field and not section.category_of:
        shown = {(organisation_id, category) for category in categories} if rows else set()
    return [
        {
            "title": section.heading(row),
            "fields": [*describe(row, fields, section.shown_as), *section.more(row)],
        }
        for row in rows
    ], shown


def _access_log(client, organisation, holder):
    """The client's access log as ``organisation`` reviews it: the holder (the client's
    organisation) all of it but what services.log_hidden_from leaves out; another
    organisation only what its own people did (the rest is the holder's log, not another
    organisation's to give)."""
    from .models import AccessLogEntry

    entries = AccessLogEntry.objects.filter(client=client)
    if not holder:
        entries = entries.filter(organisation_id=organisation.pk)
    elif (hidden := services.log_hidden_from(organisation)) is not None:
        entries = entries.exclude(hidden)
    entries = entries.select_related("user", "organisation").order_by("timestamp", "pk")
    return [
        {
            "when": entry.timestamp,
            "who": entry.user.get_full_name() or entry.user.email,
            "role": label_of(Role, entry.role),
            "organisation": entry.organisation,
            "action": entry.get_action_display(),
            "what": entry.object_type,
            "category": entry.get_category_display(),
            "basis": entry.get_basis_display(),
            "consent_id": entry.consent_id,
            "outcome": entry.get_outcome_display(),
        }
        for entry in entries
    ]


def _access_request(report):
    """The client's request this report answers (AccessRequest), or None."""
    from .models import AccessRequest

    return (
        AccessRequest.objects.filter(report=report, client=report.client_id)
        .select_related("recorded_by")
        .first()
    )


def build(report):
    user, client = report.requested_by, report.client
    decisions = services.avg_decisions(user, client)
    if (
        user.organisation_id != report.organisation_id
        or not decisions[Category.IDENTIFICATIE].allowed
    ):
        raise PermissionError("Alleen de beheerder van een organisatie met eigen gegevens.")
    access_request = _access_request(report)
    if access_request is None:
        raise PermissionError("Een AVG-inzage wordt alleen gemaakt op een vastgelegd verzoek.")
    organisation_id = user.organisation_id
    holder = client.organisation_id == organisation_id
    allowed = {category for category, decision in decisions.items() if decision.allowed}
    contents = {(organisation_id, Category.IDENTIFICATIE)}
    sections = []
    for section in SECTIONS:
        rows, shown = _section_rows(section, client, organisation_id, allowed)
        contents |= shown
        if rows:
            sections.append({"title": section.title, "rows": rows})
    identity = [
        (label(client._meta.get_field(name)), value)
        for name in (CLIENT_FIELDS if holder else IDENTIFYING_FIELDS)
        if (value := _value(client, client._meta.get_field(name))) is not None
    ]
    return Built(
        template="reports/avg_inzage.html",
        context={
            "client": client,
            "holder": holder,
            "access_request": access_request,
            "identity": identity,
            "sections": sections,
            "log": _access_log(client, user.organisation, holder),
        },
        contents=contents,
    )


def download_decisions(user, report):
    if user.organisation_id != report.organisation_id or user.role != Role.BEHEERDER:
        return None
    decisions = services.avg_decisions(user, report.client)
    # Everything in it is the organisation's own (each section is read by its holder).
    own = user.organisation_id
    return all_allowed(
        [
            (holder, category, decisions[category] if holder == own else services.DENIED)
            for holder, category in report.contents
        ]
    )
