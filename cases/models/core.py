from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from consent.constants import Category
from portal.models import ChoiceLabels
from portal.words import keep_derived, searchable, sort_name

from ..constants import (
    Benefit,
    CaseRole,
    CaseStatus,
    GoalStatus,
    InvitationStatus,
    MeetingStatus,
    RecoveryDomain,
    TimelineKind,
    WishToWork,
    WorkSituationKind,
)
from ..querysets import CaseQuerySet, GoalQuerySet
from ..validators import mask_bsn, validate_bsn


class Versioned(models.Model):
    """Editable records carry a version; a save that lost a race is refused."""

    version = models.PositiveIntegerField(_("versie"), default=1, editable=False)

    class Meta:
        abstract = True


class CaseContent(models.Model):
    """A record kind with a panel of its own on the case page: saving the first one of a case
    sets the case's flag ``CASE_FLAG`` (see Case.has_conversations), in the same transaction
    and on the instance the record points to. Every way of making one through the ORM goes
    through save(); the volume seeder, which writes with COPY, sets the flags afterwards
    (portal.volume.set_case_content_flags)."""

    CASE_FLAG = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        case = self.case
        if adding and not getattr(case, self.CASE_FLAG):
            type(case).objects.filter(pk=case.pk).update(**{self.CASE_FLAG: True})
            setattr(case, self.CASE_FLAG, True)


class Client(Versioned):
    """A person registered by one organisation. Identification data (category
    identificatie) is held by that organisation."""

    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("geregistreerd door"),
        on_delete=models.PROTECT,
        related_name="clients",
    )
    first_name = models.CharField(_("voornaam"), max_length=100)
    last_name = models.CharField(_("achternaam"), max_length=150)
    date_of_birth = models.DateField(_("geboortedatum"))
    bsn = models.CharField(_("BSN"), max_length=9, validators=[validate_bsn])
    email = models.EmailField(_("e-mailadres"), blank=True)
    phone = models.CharField(_("telefoonnummer"), max_length=30, blank=True)
    address = models.CharField(_("adres"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)
    # The name as searches compare it (portal.words.searchable) and the surname as lists
    # sort it (portal.words.sort_name), kept by save().
    search_name = models.TextField(editable=False, default="")
    sort_name = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("cliënt")
        verbose_name_plural = _("cliënten")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "bsn"],
                name="client_bsn_unique_per_organisation",
                violation_error_message=_("Deze cliënt is al geregistreerd in uw organisatie."),
            ),
        ]
        indexes = [
            # The AVG-inzage's search by BSN across organisations (consent.views._find_clients:
            # WHERE bsn = ... AND (organisation_id = ... OR EXISTS ...)), which the unique
            # (organisation, bsn) index cannot serve.
            models.Index(fields=["bsn"], name="client_bsn_idx"),
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = searchable(self.full_name)
        self.sort_name = sort_name(self.last_name)
        keep_derived(kwargs, ["first_name", "last_name"], ["search_name", "sort_name"])
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def masked_bsn(self):
        return mask_bsn(self.bsn)


class Case(Versioned):
    """The shared case (casus) about one client's road to work."""

    client = models.ForeignKey(
        Client, verbose_name=_("cliënt"), on_delete=models.PROTECT, related_name="cases"
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("geopend door organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("geopend door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("geopend op"), default=timezone.now)
    closed_at = models.DateTimeField(_("gesloten op"), null=True, blank=True)
    # Work as a treatment topic (category afspraken & doelen).
    work_discussed_on = models.DateField(_("werk laatst besproken op"), null=True, blank=True)
    work_is_goal = models.BooleanField(_("werk is een behandeldoel"), default=False)
    # Whether a conversation log, gespreksleidraad session, IPS trajectory or driegesprek was
    # ever made on the case (none is ever deleted; CaseContent sets these with the first one).
    # Their readers return nothing at once when not, so the case page does not read four
    # parts for most cases, which have none of them (issue 10). Only ever False -> True.
    has_conversations = models.BooleanField(
        _("heeft gespreksverslagen"), default=False, editable=False
    )
    has_leidraad_sessions = models.BooleanField(
        _("heeft gespreksleidraadsessies"), default=False, editable=False
    )
    has_ips_trajectories = models.BooleanField(
        _("heeft IPS-trajecten"), default=False, editable=False
    )
    has_meetings = models.BooleanField(_("heeft driegesprekken"), default=False, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("casus")
        verbose_name_plural = _("casussen")
        permissions = [(role.value, role.label) for role in CaseRole]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status=CaseStatus.OPEN),
                name="case_one_open_per_client",
                violation_error_message=_("Deze cliënt heeft al een open casus."),
            ),
            models.CheckConstraint(
                condition=models.Q(status=CaseStatus.OPEN, closed_at__isnull=True)
                | models.Q(status=CaseStatus.GESLOTEN, closed_at__isnull=False),
                name="case_closed_at_matches_status",
                violation_error_message=_("Een gesloten casus heeft een sluitdatum."),
            ),
        ]

    def __str__(self):
        return _("Casus %(number)s") % {"number": self.pk}

    @property
    def is_open(self):
        """Whether the case still takes new entries. A closed case stays readable for its
        team; services.ensure_open refuses writes to it."""
        return self.status == CaseStatus.OPEN

    def work_needs_attention(self, today=None):
        """Work not discussed yet, or not for the configured number of weeks."""
        if not self.is_open:
            return False
        if self.work_discussed_on is None:
            return True
        today = today or timezone.localdate()
        weeks = settings.WERKPAD_WORK_REVISIT_WEEKS
        return (today - self.work_discussed_on).days > weeks * 7


class CaseMember(UserObjectPermissionBase):
    """Who is on which case team, and in which case role: guardian's object permission
    table with a direct foreign key to Case (fast joins, real referential integrity)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("teamlid")
        verbose_name_plural = _("teamleden")

    def __str__(self):
        return f"{self.user} – {self.permission.codename}"


class Invitation(models.Model):
    """An invitation to a named professional, or a referral (verwijzing) to the IPS team
    or the klantmanagers of an organisation, to join the case team."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="invitations")
    case_role = models.CharField(_("rol in de casus"), max_length=20, choices=CaseRole.choices)
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uitgenodigde"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_referral = models.BooleanField(_("verwijzing"), default=False)
    reason = models.TextField(_("reden"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=15,
        choices=InvitationStatus.choices,
        default=InvitationStatus.OPEN,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uitgenodigd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beantwoord door"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("beantwoord op"), null=True, blank=True)
    decline_reason = models.TextField(_("reden van afwijzen"), blank=True)

    class Meta:
        verbose_name = _("uitnodiging")
        verbose_name_plural = _("uitnodigingen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_referral=True) | models.Q(invitee__isnull=False),
                name="invitation_has_invitee_unless_referral",
                violation_error_message=_("Een uitnodiging is gericht aan een persoon."),
            ),
        ]
        indexes = [
            # Werkvoorraad: open invitations and referrals addressed to a user or organisation.
            models.Index(
                fields=["organisation", "case_role"],
                condition=models.Q(status="open"),
                name="invitation_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_case_role_display()} – {self.case_id}"


class WorkSituation(models.Model):
    """One recorded state of the client's work situation. Never edited: a change is a new
    row, so the history is the table itself."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="work_situations")
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vastgelegd door organisatie"),
    )
    kind = models.CharField(_("huidige situatie"), max_length=20, choices=WorkSituationKind.choices)
    # Halves as people work them (12,5 or 22,5 hours), like a placement's hours.
    hours_per_week = models.DecimalField(
        _("uren per week"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    benefit = models.CharField(_("uitkering"), max_length=10, choices=Benefit.choices)
    job_search_duty = models.BooleanField(_("sollicitatieplicht"), default=False)
    job_search_exempt = models.BooleanField(_("vrijstelling sollicitatieplicht"), default=False)
    wish_to_work = models.CharField(
        _("wens om te werken"), max_length=10, choices=WishToWork.choices
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vastgelegd door"),
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    category = Category.WERKSITUATIE

    class Meta:
        verbose_name = _("werksituatie")
        verbose_name_plural = _("werksituaties")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours_per_week__isnull=True)
                | models.Q(hours_per_week__gte=0, hours_per_week__lte=80),
                name="work_situation_hours_range",
                violation_error_message=_("Het aantal uren per week ligt tussen 0 en 80."),
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class Goal(Versioned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    domain = models.CharField(_("herstelgebied"), max_length=20, choices=RecoveryDomain.choices)
    description = models.CharField(_("doel"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus.choices, default=GoalStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    category = Category.AFSPRAKEN

    objects = GoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("doel")
        verbose_name_plural = _("doelen")
        ordering = ["domain", "created_at"]

    def __str__(self):
        return self.description

    @property
    def data_category(self):
        """What this goal tells, for the access log and a report's contents: a goal in the
        clinical domain (symptoms, treatment; stored before GoalForm left it out) is medisch,
        any other afspraken & doelen (GoalQuerySet.readable)."""
        if self.domain == RecoveryDomain.KLINISCH:
            return Category.MEDISCH
        return Category.AFSPRAKEN


class Agreement(Versioned):
    """An afspraak: what, who, by when, done."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="agreements")
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    what = models.CharField(_("wat"), max_length=300)
    owner = models.CharField(_("wie"), max_length=150)
    due_date = models.DateField(_("uiterlijk op"))
    done = models.BooleanField(_("gedaan"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    category = Category.AFSPRAKEN

    class Meta:
        verbose_name = _("afspraak")
        verbose_name_plural = _("afspraken")
        ordering = ["done", "due_date"]
        indexes = [
            # Werkvoorraad "next agreed action": the earliest open agreement per case.
            models.Index(
                fields=["case", "due_date"],
                condition=models.Q(done=False),
                name="agreement_open_due_idx",
            ),
        ]

    def __str__(self):
        return self.what


class TimelineEntry(ChoiceLabels, models.Model):
    """Everything that happens on a case, in one chronological list. Each entry belongs to
    one data category and is held by one organisation: that decides who may read it. Team
    news about a person also names that person's organisation (``subject_organisation``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisatie"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("auteur"),
        null=True,
        blank=True,
    )
    kind = models.CharField(_("soort"), max_length=20, choices=TimelineKind.choices)
    category = models.CharField(_("gegevenscategorie"), max_length=20, choices=Category.choices)
    # Built from what people typed (an afspraak's what, who and date; a goal; a job and its
    # employer): no length of its own, so nothing falls off (the forms bound each part).
    title = models.TextField(_("titel"))
    body = models.TextField(_("tekst"), blank=True)
    occurred_at = models.DateTimeField(_("tijdstip"), default=timezone.now)
    # Team news (kind TEAM) about a person: that person's organisation. Who may not know
    # that organisation takes part in the case does not read the news either
    # (consent.services.team_news).
    subject_organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisatie van de betrokkene"),
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("tijdlijnregel")
        verbose_name_plural = _("tijdlijn")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            # Case page and timeline: a case's entries, newest first.
            models.Index(fields=["case", "-occurred_at"], name="timeline_case_time_idx"),
        ]

    def __str__(self):
        return self.title


class ChangeRecord(models.Model):
    """History of changes to editable case data: who changed which field, when, from what
    to what. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="changes")
    object_type = models.CharField(_("soort gegeven"), max_length=50)
    object_id = models.PositiveBigIntegerField(_("id"))
    field = models.CharField(_("veld"), max_length=50)
    old_value = models.TextField(_("oude waarde"), blank=True)
    new_value = models.TextField(_("nieuwe waarde"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("wijziging")
        verbose_name_plural = _("wijzigingen")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.object_type}.{self.field}"


class Driegesprek(CaseContent, Versioned):
    """A three-way meeting: client, care professional and klantmanager."""

    CASE_FLAG = "has_meetings"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    organisation = models.ForeignKey(
        "portal.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    planned_at = models.DateTimeField(_("datum en tijd"))
    location = models.CharField(_("plaats"), max_length=200)
    participants = models.CharField(
        _("deelnemers"),
        max_length=500,
        help_text=_("Bijvoorbeeld: cliënt, behandelaar, klantmanager."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.GEPLAND
    )
    summary = models.TextField(_("verslag"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    category = Category.AFSPRAKEN

    class Meta:
        verbose_name = _("driegesprek")
        verbose_name_plural = _("driegesprekken")
        ordering = ["-planned_at"]

    def __str__(self):
        return _("Driegesprek op %(date)s") % {"date": f"{self.planned_at:%d-%m-%Y}"}

    @property
    def has_started(self):
        """A report is written once the meeting has begun, never before."""
        return self.planned_at <= timezone.now()
