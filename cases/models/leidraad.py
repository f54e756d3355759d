"""The gespreksleidraad 'Arbeid als medicijn': its versioned content, and the sessions run
with it on a case (category leidraad; the agreed next steps are Agreements, category
afspraken)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.constants import Category

from ..constants import ExternalDestination, Judgement, LeidraadStatus, ReferralKind
from .core import Agreement, Case, CaseContent, Invitation, Versioned


class LeidraadVersion(models.Model):
    """One published version of the guide's content. Never edited: a change is a new
    version, and every session keeps the version it was run with."""

    number = models.PositiveIntegerField(_("versienummer"), unique=True)
    title = models.CharField(_("titel"), max_length=200)
    content = models.JSONField(_("inhoud"))
    checksum = models.CharField(_("controlegetal"), max_length=64)
    note = models.CharField(_("wat is er veranderd"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("gepubliceerd op"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gepubliceerd door"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("versie van de gespreksleidraad")
        verbose_name_plural = _("versies van de gespreksleidraad")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1),
                name="leidraad_version_number_positive",
                violation_error_message=_("Een versienummer is 1 of hoger."),
            ),
        ]

    def __str__(self):
        return _("Versie %(n)s") % {"n": self.number}

    @property
    def themes(self):
        return self.content["themes"]

    @property
    def steps(self):
        return self.content["steps"]

    @property
    def theme_map(self):
        return {theme["key"]: theme for theme in self.themes}

    def theme_title(self, key):
        theme = self.theme_map.get(key)
        return theme["title"] if theme else key


class LeidraadSession(CaseContent, Versioned):
    """One run of the guide with a client (leidraadsessie). Saved half-way and resumed;
    finished explicitly, after which it no longer changes (a correction is a linked note)."""

    CASE_FLAG = "has_leidraad_sessions"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="leidraad_sessions")
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    guide = models.ForeignKey(
        LeidraadVersion,
        verbose_name=_("versie van de leidraad"),
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=LeidraadStatus.choices, default=LeidraadStatus.BEZIG
    )
    client_questions = models.TextField(_("vragen van de cliënt"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gestart door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("gestart op"), default=timezone.now)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("afgerond door"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("afgerond op"), null=True, blank=True)
    # The next steps agreed in step 3: Agreements on the case (category afspraken).
    agreements = models.ManyToManyField(
        Agreement, verbose_name=_("afspraken"), blank=True, related_name="+"
    )

    category = Category.LEIDRAAD

    class Meta:
        verbose_name = _("gesprek met de gespreksleidraad")
        verbose_name_plural = _("gesprekken met de gespreksleidraad")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # Each organisation on the team runs its own sessions: one open at a time.
            models.UniqueConstraint(
                fields=["case", "organisation"],
                condition=models.Q(status=LeidraadStatus.BEZIG),
                name="leidraad_one_open_session_per_org",
                violation_error_message=_(
                    "Er loopt al een gesprek met de gespreksleidraad van deze organisatie in "
                    "deze casus."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(status=LeidraadStatus.BEZIG, finished_at__isnull=True)
                | models.Q(status=LeidraadStatus.AFGEROND, finished_at__isnull=False),
                name="leidraad_finished_at_matches_status",
                violation_error_message=_("Een afgerond gesprek heeft een datum van afronden."),
            ),
        ]
        indexes = [
            # Case page panel and session list: a case's sessions, newest first.
            models.Index(fields=["case", "-started_at"], name="leidraad_case_started_idx"),
        ]

    def __str__(self):
        return _("Gespreksleidraad %(date)s") % {"date": f"{self.started_at:%d-%m-%Y}"}

    @property
    def is_finished(self):
        return self.status == LeidraadStatus.AFGEROND


class LeidraadThemeNote(models.Model):
    """One selected theme in a session: notes on the client's answers and the judgement the
    client and professional agree on. Held by the session's organisation."""

    session = models.ForeignKey(
        LeidraadSession, on_delete=models.CASCADE, related_name="theme_notes"
    )
    theme = models.CharField(_("thema"), max_length=40)
    position = models.PositiveSmallIntegerField(_("volgorde"), default=0)
    notes = models.TextField(_("wat de cliënt vertelt"), blank=True)
    judgement = models.CharField(
        _("wat werk nu doet voor het herstel"),
        max_length=12,
        choices=Judgement.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("thema in een gesprek")
        verbose_name_plural = _("thema's in een gesprek")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "theme"],
                name="leidraad_theme_once_per_session",
                violation_error_message=_("Dit thema is al gekozen in dit gesprek."),
            ),
        ]

    def __str__(self):
        return self.theme

    @property
    def is_discussed(self):
        """Whether the theme was discussed in the session: something was recorded on it,
        notes or an agreed judgement (a theme with notes and no judgement was discussed, no
        judgement chosen yet). Step 3, the session page, the client's summary, the session
        list, the trend and the timeline entry of a finished session (and so the
        voortgangsrapportage) all go by it."""
        return bool(self.judgement or self.notes)


class LeidraadReferral(models.Model):
    """The referral decided in step 3: to the IPS team or a klantmanager (an Invitation on
    the case), to the bedrijfsarts or UWV (outside Werkpad), or none, with a reason."""

    session = models.ForeignKey(LeidraadSession, on_delete=models.CASCADE, related_name="referrals")
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("verwijzing"), max_length=15, choices=ReferralKind.choices)
    destination = models.CharField(
        _("bestemming"), max_length=15, choices=ExternalDestination.choices, blank=True
    )
    target_organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("verwezen naar organisatie"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invitation = models.ForeignKey(
        Invitation,
        verbose_name=_("verwijzing in Werkpad"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reden"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    class Meta:
        verbose_name = _("verwijzing uit de gespreksleidraad")
        verbose_name_plural = _("verwijzingen uit de gespreksleidraad")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=ReferralKind.GEEN) | ~models.Q(reason=""),
                name="leidraad_no_referral_needs_reason",
                violation_error_message=_("Geef een reden waarom geen verwijzing nodig is."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ReferralKind.EXTERN) | ~models.Q(destination=""),
                name="leidraad_outside_referral_has_destination",
                violation_error_message=_("Kies naar wie u verwijst."),
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    @property
    def label(self):
        if self.kind == ReferralKind.EXTERN:
            return _("Verwezen naar: %(to)s") % {"to": self.get_destination_display()}
        if self.target_organisation_id:
            return _("%(kind)s: %(org)s") % {
                "kind": self.get_kind_display(),
                "org": self.target_organisation,
            }
        return self.get_kind_display()


class LeidraadCorrection(models.Model):
    """A correction or addition to a finished session. The session itself never changes."""

    session = models.ForeignKey(
        LeidraadSession, on_delete=models.CASCADE, related_name="corrections"
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("correctie of aanvulling"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    category = Category.LEIDRAAD

    class Meta:
        verbose_name = _("correctie op een gesprek")
        verbose_name_plural = _("correcties op gesprekken")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.body[:50]
