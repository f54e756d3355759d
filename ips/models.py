"""IPS: the trajectory and what hangs off it, and the team's fidelity reviews.

Every client-related row is category IPS (``category`` below) and is held by
``organisation``: the organisation of whoever recorded it. The access policy in consent/
decides from that pair who may read it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import CaseContent, Versioned
from consent.constants import Category
from portal.models import ChoiceLabels

from .constants import (
    FIDELITY_ITEMS,
    FIDELITY_SCORE_MAX,
    FIDELITY_SCORE_MIN,
    MAX_HOURLY_WAGE,
    MAX_HOURS_PER_WEEK,
    MIN_JOB_HOURS_PER_WEEK,
    CloseReason,
    ContactType,
    ContractType,
    Disclosure,
    FollowAlongWith,
    Phase,
    PlacementEndReason,
    ReviewKind,
    ReviewStatus,
    minimum_hourly_wage,
)
from .querysets import EmployerContactQuerySet, PlacementQuerySet, TrajectoryQuerySet


class Trajectory(CaseContent, ChoiceLabels, Versioned):
    """One IPS trajectory (IPS-traject) of one client, from referral to closing."""

    CASE_FLAG = "has_ips_trajectories"

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("casus"),
        on_delete=models.PROTECT,
        related_name="ips_trajectories",
    )
    # Denormalised from the case so that "one open trajectory per client" is a constraint.
    client = models.ForeignKey(
        "cases.Client",
        verbose_name=_("cliënt"),
        on_delete=models.PROTECT,
        related_name="ips_trajectories",
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("IPS-team van"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    referral = models.OneToOneField(
        "cases.Invitation",
        verbose_name=_("verwijzing"),
        on_delete=models.PROTECT,
        related_name="ips_trajectory",
        null=True,
        blank=True,
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trajectbegeleider"),
        on_delete=models.PROTECT,
        related_name="ips_trajectories",
        null=True,
        blank=True,
    )
    phase = models.CharField(
        _("fase"), max_length=20, choices=Phase.choices, default=Phase.AANGEMELD
    )
    referred_at = models.DateTimeField(_("aangemeld op"), default=timezone.now)
    # The one intake question (zero exclusion): does the client want paid work?
    wants_paid_work = models.BooleanField(_("cliënt wil betaald werk"), null=True, blank=True)
    closed_on = models.DateField(_("afgesloten op"), null=True, blank=True)
    close_reason = models.CharField(
        _("reden van afsluiten"), max_length=20, choices=CloseReason.choices, blank=True
    )
    close_note = models.TextField(_("toelichting bij afsluiten"), blank=True)

    objects = TrajectoryQuerySet.as_manager()
    category = Category.IPS

    class Meta:
        verbose_name = _("IPS-traject")
        verbose_name_plural = _("IPS-trajecten")
        ordering = ["-referred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=~models.Q(phase="afgesloten"),
                name="ips_one_open_trajectory_per_client",
                violation_error_message=_("Deze cliënt heeft al een lopend IPS-traject."),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(phase="afgesloten", closed_on__isnull=False)
                    & ~models.Q(close_reason="")
                )
                | (
                    ~models.Q(phase="afgesloten")
                    & models.Q(closed_on__isnull=True, close_reason="")
                ),
                name="ips_closed_has_date_and_reason",
                violation_error_message=_(
                    "Een afgesloten traject heeft een afsluitdatum en een reden; "
                    "een lopend traject niet."
                ),
            ),
        ]
        indexes = [
            # Caseload: a coach's open trajectories.
            models.Index(fields=["coach", "phase"], name="ips_traj_coach_phase_idx"),
            # Team dashboard: an organisation's trajectories by referral date.
            models.Index(fields=["organisation", "referred_at"], name="ips_traj_org_referred_idx"),
            # Team dashboard: the organisation's referrals still waiting for a coach.
            models.Index(
                fields=["organisation"],
                condition=models.Q(coach__isnull=True),
                name="ips_traj_waiting_idx",
            ),
        ]

    def __str__(self):
        return _("IPS-traject %(pk)s") % {"pk": self.pk}

    @property
    def is_open(self):
        return self.phase != Phase.AFGESLOTEN


class PhaseChange(models.Model):
    """An explicit, dated phase change. Never edited: the history is the table."""

    trajectory = models.ForeignKey(
        Trajectory, verbose_name=_("traject"), on_delete=models.CASCADE, related_name="phases"
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("vastgelegd door organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_phase = models.CharField(_("van fase"), max_length=20, choices=Phase.choices, blank=True)
    to_phase = models.CharField(_("naar fase"), max_length=20, choices=Phase.choices)
    changed_on = models.DateField(_("per datum"))
    note = models.TextField(_("toelichting"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    category = Category.IPS

    class Meta:
        verbose_name = _("faseovergang")
        verbose_name_plural = _("faseovergangen")
        ordering = ["changed_on", "recorded_at", "pk"]
        indexes = [
            # Trajectory page: a trajectory's phase history in order.
            models.Index(fields=["trajectory", "changed_on"], name="ips_phase_traj_date_idx"),
        ]

    def __str__(self):
        return f"{self.get_from_phase_display()} → {self.get_to_phase_display()}"


class Beroepsprofiel(ChoiceLabels, Versioned):
    """The vocational profile: grows as experience grows. Holds the disclosure choice."""

    trajectory = models.OneToOneField(
        Trajectory, verbose_name=_("traject"), on_delete=models.CASCADE, related_name="profile"
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("vastgelegd door organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    work_history = models.TextField(_("werkervaring"), blank=True)
    education = models.TextField(_("opleiding"), blank=True)
    preferred_sectors = models.CharField(
        _("gewenste sector en functie"), max_length=300, blank=True
    )
    # Hours as they are agreed in practice: 16,5 as well as 16. More than nothing.
    preferred_hours = models.DecimalField(
        _("gewenst aantal uren per week"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(MAX_HOURS_PER_WEEK)],
    )
    travel = models.CharField(_("reizen (afstand, vervoer)"), max_length=300, blank=True)
    strengths = models.TextField(_("sterke punten"), blank=True)
    barriers = models.TextField(_("belemmeringen"), blank=True)
    support_needed = models.TextField(_("benodigde ondersteuning"), blank=True)
    disclosure = models.CharField(
        _("openheid naar de werkgever"),
        max_length=20,
        choices=Disclosure.choices,
        default=Disclosure.NOG_NIET,
    )
    disclosure_note = models.TextField(
        _("wat de werkgever mag horen"),
        blank=True,
        help_text=_("In de woorden van de cliënt: wat wel en wat niet verteld wordt."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bijgewerkt door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("bijgewerkt op"), default=timezone.now)

    category = Category.IPS

    class Meta:
        verbose_name = _("beroepsprofiel")
        verbose_name_plural = _("beroepsprofielen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(preferred_hours__isnull=True)
                | models.Q(preferred_hours__gt=0, preferred_hours__lte=MAX_HOURS_PER_WEEK),
                name="ips_profile_hours_range",
                violation_error_message=_(
                    "Het gewenste aantal uren per week ligt boven 0 en is hoogstens 60."
                ),
            ),
        ]

    def __str__(self):
        return _("Beroepsprofiel bij %(t)s") % {"t": self.trajectory}


class EmployerContact(models.Model):
    """A job-development contact with an employer: for one client, or general (no client,
    then not client data). Held by the coach's organisation."""

    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("vastgelegd door organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trajectbegeleider"),
        on_delete=models.PROTECT,
        related_name="ips_employer_contacts",
    )
    trajectory = models.ForeignKey(
        Trajectory,
        verbose_name=_("voor cliënt (traject)"),
        on_delete=models.CASCADE,
        related_name="employer_contacts",
        null=True,
        blank=True,
    )
    contacted_on = models.DateField(_("datum"))
    employer = models.CharField(_("werkgever"), max_length=200)
    contact_person = models.CharField(_("contactpersoon"), max_length=200, blank=True)
    type = models.CharField(_("soort contact"), max_length=20, choices=ContactType.choices)
    face_to_face = models.BooleanField(
        _("persoonlijk contact"),
        default=True,
        help_text=_("De IPS-norm telt persoonlijke contacten (niet per telefoon of e-mail)."),
    )
    outcome = models.TextField(_("uitkomst"), blank=True)
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    objects = EmployerContactQuerySet.as_manager()
    category = Category.IPS

    class Meta:
        verbose_name = _("werkgeverscontact")
        verbose_name_plural = _("werkgeverscontacten")
        ordering = ["-contacted_on", "-pk"]
        indexes = [
            # Contacts per week: a coach's contacts by date.
            models.Index(fields=["coach", "contacted_on"], name="ips_contact_coach_date_idx"),
            # Rapid job search: a trajectory's first employer contact.
            models.Index(fields=["trajectory", "contacted_on"], name="ips_contact_traj_date_idx"),
        ]

    def __str__(self):
        return f"{self.employer} ({self.contacted_on:%d-%m-%Y})"


class Placement(Versioned):
    """A job (baan). 'Regulier betaald werk' is derived from wage and set-aside, and the
    coach may correct that with a reason."""

    trajectory = models.ForeignKey(
        Trajectory, verbose_name=_("traject"), on_delete=models.CASCADE, related_name="placements"
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("vastgelegd door organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    employer = models.CharField(_("werkgever"), max_length=200)
    job_title = models.CharField(_("functie"), max_length=200)
    start_date = models.DateField(_("begindatum"))
    hours_per_week = models.DecimalField(
        _("uren per week"),
        max_digits=4,
        decimal_places=1,
        validators=[
            MinValueValidator(MIN_JOB_HOURS_PER_WEEK),
            MaxValueValidator(MAX_HOURS_PER_WEEK),
        ],
    )
    hourly_wage = models.DecimalField(
        _("bruto uurloon (€)"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_HOURLY_WAGE)],
    )
    # The legal minimum for this client on the job's first day (constants.minimum_hourly_wage,
    # the adult's or the youth minimum by age): what 'regulier betaald werk' compares the wage
    # with, in SQL as in Python. Set when the job is recorded (its start date is not changed
    # afterwards), so a later indexation does not rewrite past quarters.
    minimum_wage = models.DecimalField(
        _("minimumuurloon bij de start (€)"), max_digits=6, decimal_places=2, blank=True
    )
    contract_type = models.CharField(
        _("soort contract"), max_length=20, choices=ContractType.choices
    )
    set_aside = models.BooleanField(
        _("plaats voor mensen met een arbeidsbeperking of beschut werk"),
        default=False,
        help_text=_(
            "Aanvinken als de plek apart is gezet: beschut werk, sociale werkvoorziening, "
            "of een plek alleen voor mensen met een arbeidsbeperking."
        ),
    )
    competitive_override = models.BooleanField(
        _("correctie: regulier betaald werk"),
        null=True,
        blank=True,
        help_text=_("Alleen invullen als de afleiding niet klopt voor deze baan."),
    )
    override_reason = models.TextField(_("reden van de correctie"), blank=True)
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    end_reason = models.CharField(
        _("reden van einde"), max_length=20, choices=PlacementEndReason.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    objects = PlacementQuerySet.as_manager()
    category = Category.IPS

    class Meta:
        verbose_name = _("plaatsing")
        verbose_name_plural = _("plaatsingen")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                # A job ends on or after its start; one that did not go ahead ends on the
                # day that was recorded, before its start.
                condition=(
                    ~models.Q(end_reason=PlacementEndReason.NIET_DOORGEGAAN)
                    & (
                        models.Q(end_date__isnull=True)
                        | models.Q(end_date__gte=models.F("start_date"))
                    )
                )
                | models.Q(
                    end_reason=PlacementEndReason.NIET_DOORGEGAAN,
                    end_date__lt=models.F("start_date"),
                ),
                name="ips_placement_ends_after_start",
                violation_error_message=_("De einddatum ligt vóór de begindatum."),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    hours_per_week__gte=MIN_JOB_HOURS_PER_WEEK,
                    hours_per_week__lte=MAX_HOURS_PER_WEEK,
                ),
                name="ips_placement_hours_range",
                violation_error_message=_("Het aantal uren per week ligt tussen 0,5 en 60."),
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_wage__gte=0),
                name="ips_placement_wage_not_negative",
                violation_error_message=_("Het uurloon kan niet negatief zijn."),
            ),
            models.CheckConstraint(
                condition=models.Q(competitive_override__isnull=True)
                | ~models.Q(override_reason=""),
                name="ips_placement_override_has_reason",
                violation_error_message=_("Geef een reden voor de correctie."),
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True, end_reason="")
                | (models.Q(end_date__isnull=False) & ~models.Q(end_reason="")),
                name="ips_placement_end_has_reason",
                violation_error_message=_("Een beëindigde baan heeft een einddatum en een reden."),
            ),
        ]
        indexes = [
            # Trajectory page and dashboard: a trajectory's placements by start date.
            models.Index(fields=["trajectory", "start_date"], name="ips_placement_traj_start_idx"),
        ]

    def __str__(self):
        return f"{self.job_title} bij {self.employer}"

    def save(self, *args, **kwargs):
        if self.minimum_wage is None:
            born = (
                Trajectory.objects.filter(pk=self.trajectory_id)
                .values_list("case__client__date_of_birth", flat=True)
                .get()
            )
            self.minimum_wage = minimum_hourly_wage(self.start_date, born)
        super().save(*args, **kwargs)

    @property
    def derived_competitive(self):
        """Regular paid work as the data say: at least the minimum wage on its first day, not
        set aside."""
        return self.hourly_wage >= self.minimum_wage and not self.set_aside

    @property
    def is_competitive(self):
        if self.competitive_override is not None:
            return self.competitive_override
        return self.derived_competitive

    def clean(self):
        super().clean()
        # 'Niet doorgegaan' is for a job called off before its start: ended (recorded) on a
        # day before its start date. A job that has started ends with another reason.
        if (
            self.end_reason == PlacementEndReason.NIET_DOORGEGAAN
            and self.end_date is not None
            and self.end_date >= self.start_date
        ):
            raise ValidationError(
                {
                    "end_reason": _(
                        "‘Niet doorgegaan’ is er alleen voor een baan die nog niet begonnen is; "
                        "deze baan is op %(date)s begonnen. Leg het einde vast met de "
                        "einddatum en de reden die passen."
                    )
                    % {"date": self.start_date.strftime("%d-%m-%Y")}
                }
            )

    @property
    def went_ahead(self):
        """False for a job that did not go ahead: it never ran. Mirrors
        ips.querysets.WENT_AHEAD."""
        return self.end_reason != PlacementEndReason.NIET_DOORGEGAAN

    @property
    def has_started(self):
        return self.went_ahead and self.start_date <= timezone.localdate()

    @property
    def is_current(self):
        """Running or still to come: counted, and its end may be recorded or changed."""
        return self.went_ahead and (self.end_date is None or self.end_date >= timezone.localdate())


class FollowAlongContact(models.Model):
    """Time-unlimited support after placement: a contact with the client and/or employer."""

    trajectory = models.ForeignKey(
        Trajectory,
        verbose_name=_("traject"),
        on_delete=models.CASCADE,
        related_name="follow_along",
    )
    placement = models.ForeignKey(
        Placement,
        verbose_name=_("baan"),
        on_delete=models.CASCADE,
        related_name="follow_along",
        null=True,
        blank=True,
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("vastgelegd door organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contacted_on = models.DateField(_("datum"))
    with_whom = models.CharField(_("met"), max_length=10, choices=FollowAlongWith.choices)
    note = models.TextField(_("wat is besproken"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    category = Category.IPS

    class Meta:
        verbose_name = _("nazorgcontact")
        verbose_name_plural = _("nazorgcontacten")
        ordering = ["-contacted_on", "-pk"]
        indexes = [
            # Trajectory page: a trajectory's follow-along contacts, newest first.
            models.Index(fields=["trajectory", "-contacted_on"], name="ips_follow_traj_date_idx"),
        ]

    def __str__(self):
        return f"{self.get_with_whom_display()} ({self.contacted_on:%d-%m-%Y})"


class IpsTeam(models.Model):
    """An IPS team: the trajectbegeleiders of one organisation who work as one unit, with
    their own case review and one leidinggevende (IPS-25 items 5 and 6: at least two
    trajectbegeleiders, at most about ten per leidinggevende). The team dashboard shows one
    team. Not client data."""

    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="ips_teams",
    )
    name = models.CharField(_("naam"), max_length=100)

    class Meta:
        verbose_name = _("IPS-team")
        verbose_name_plural = _("IPS-teams")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="ips_team_unique_name",
                violation_error_message=_("Uw organisatie heeft al een IPS-team met deze naam."),
            ),
        ]

    def __str__(self):
        return self.name


class TeamMember(models.Model):
    """A trajectbegeleider's place in an IPS team: one team per person."""

    team = models.ForeignKey(
        IpsTeam, verbose_name=_("IPS-team"), on_delete=models.CASCADE, related_name="members"
    )
    coach = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trajectbegeleider"),
        on_delete=models.CASCADE,
        related_name="ips_team_member",
    )

    class Meta:
        verbose_name = _("lid van een IPS-team")
        verbose_name_plural = _("leden van IPS-teams")

    def __str__(self):
        return f"{self.coach} ({self.team})"


class FidelityReview(Versioned):
    """An IPS-25 fidelity review of one IPS team. Not client data. Finished explicitly,
    then read-only."""

    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        IpsTeam, verbose_name=_("IPS-team"), on_delete=models.PROTECT, related_name="reviews"
    )
    kind = models.CharField(_("soort"), max_length=10, choices=ReviewKind.choices)
    review_date = models.DateField(_("datum van de beoordeling"))
    reviewers = models.CharField(_("beoordelaars"), max_length=300)
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.CONCEPT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aangemaakt door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("afgerond door"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    finished_at = models.DateTimeField(_("afgerond op"), null=True, blank=True)

    class Meta:
        verbose_name = _("modelgetrouwheidsmeting")
        verbose_name_plural = _("modelgetrouwheidsmetingen")
        ordering = ["-review_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="concept", finished_at__isnull=True)
                | models.Q(status="afgerond", finished_at__isnull=False),
                name="ips_review_finished_has_date",
                violation_error_message=_("Een afgeronde meting heeft een afrondingsdatum."),
            ),
        ]
        indexes = [
            # Fidelity list and "previous review": a team's reviews by date.
            models.Index(fields=["team", "review_date"], name="ips_review_team_date_idx"),
        ]

    def __str__(self):
        return _("IPS-25 van %(date)s") % {"date": f"{self.review_date:%d-%m-%Y}"}

    @property
    def is_finished(self):
        return self.status == ReviewStatus.AFGEROND


class FidelityScore(models.Model):
    review = models.ForeignKey(
        FidelityReview, verbose_name=_("meting"), on_delete=models.CASCADE, related_name="scores"
    )
    item = models.CharField(
        _("item"), max_length=5, choices=[(code, name) for code, _s, name, *_r in FIDELITY_ITEMS]
    )
    score = models.PositiveSmallIntegerField(
        _("score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FIDELITY_SCORE_MIN), MaxValueValidator(FIDELITY_SCORE_MAX)],
    )
    note = models.TextField(_("toelichting"), blank=True)

    class Meta:
        verbose_name = _("itemscore")
        verbose_name_plural = _("itemscores")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "item"],
                name="ips_score_one_per_item",
                violation_error_message=_("Dit item heeft al een score in deze meting."),
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(score__gte=FIDELITY_SCORE_MIN, score__lte=FIDELITY_SCORE_MAX),
                name="ips_score_1_to_5",
                violation_error_message=_("Een score ligt tussen 1 en 5."),
            ),
        ]

    def __str__(self):
        return f"{self.item}: {self.score}"
