"""Motiverende gesprekken: logs of motivational conversations about work (category
gespreksverslagen, held by the author's organisation), the change talk heard in them, and
the professional's optional MITI 4.2.1 self-assessment (visible to that professional only).

A log is edited only by its author and only in the first days; after that a correction is
a new, linked log and the original stays as it was."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from consent.constants import Category

from ..constants import ChangeTalkKind, ConversationForm, StageOfChange, TargetBehaviour
from .core import Agreement, Case, CaseContent, Versioned

MAX_MINUTES = 8 * 60
MAX_COUNT = 500


class Conversation(CaseContent, Versioned):
    """One motivational conversation (motiverend gesprek) about work."""

    CASE_FLAG = "has_conversations"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conversations")
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_on = models.DateField(_("datum van het gesprek"))
    duration_minutes = models.PositiveSmallIntegerField(_("duur in minuten"))
    participants = models.CharField(_("wie deden mee"), max_length=300)
    form = models.CharField(
        _("vorm"),
        max_length=12,
        choices=ConversationForm.choices,
        default=ConversationForm.PERSOONLIJK,
    )
    target_behaviour = models.CharField(
        _("doelgedrag"), max_length=15, choices=TargetBehaviour.choices
    )
    target_other = models.CharField(_("ander doelgedrag"), max_length=200, blank=True)
    stage = models.CharField(
        _("fase van verandering"), max_length=15, choices=StageOfChange.choices
    )
    importance = models.PositiveSmallIntegerField(_("belang (0–10)"), null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(_("vertrouwen (0–10)"), null=True, blank=True)
    sustain_talk = models.TextField(_("behoudtaal"), blank=True)
    discord = models.TextField(_("onenigheid (discord)"), blank=True)
    summary = models.TextField(_("samenvatting"), blank=True)
    zvw_funded = models.BooleanField(
        _("telt als Zvw-gefinancierd motiverend gesprek vóór IPS"), default=False
    )
    # The agreed next step: an afspraak on the case (category afspraken).
    next_step = models.ForeignKey(
        Agreement,
        verbose_name=_("volgende stap"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A correction is a new log that replaces this one in counts and charts.
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("correctie op"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction",
    )
    correction_reason = models.TextField(_("reden van de correctie"), blank=True)
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    category = Category.GESPREKSVERSLAGEN

    class Meta:
        verbose_name = _("motiverend gesprek")
        verbose_name_plural = _("motiverende gesprekken")
        ordering = ["-held_on", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=MAX_MINUTES),
                name="conversation_duration_1_to_480",
                violation_error_message=_("Een gesprek duurt tussen 1 minuut en 8 uur."),
            ),
            models.CheckConstraint(
                condition=models.Q(importance__isnull=True) | models.Q(importance__lte=10),
                name="conversation_importance_0_to_10",
                violation_error_message=_("Het belang is een getal van 0 tot en met 10."),
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__isnull=True) | models.Q(confidence__lte=10),
                name="conversation_confidence_0_to_10",
                violation_error_message=_("Het vertrouwen is een getal van 0 tot en met 10."),
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=StageOfChange.values),
                name="conversation_stage_in_list",
                violation_error_message=_("Kies een fase van verandering uit de lijst."),
            ),
            models.CheckConstraint(
                condition=models.Q(corrects__isnull=True) | ~models.Q(correction_reason=""),
                name="conversation_correction_has_reason",
                violation_error_message=_("Geef aan wat de correctie verbetert."),
            ),
        ]
        indexes = [
            # Case panel, conversation list and progress chart: a case's logs by date.
            models.Index(fields=["case", "held_on"], name="conversation_case_date_idx"),
        ]

    def __str__(self):
        return _("Motiverend gesprek van %(date)s") % {"date": date_format(self.held_on, "j F Y")}

    @property
    def heard_change_talk(self):
        """The change talk heard, in DARN-CAT order: the one place that order is given
        (every page and the voortgangsrapportage show it so). Sorted here rather than by the
        database: compiling that ORDER BY (a CASE over the kinds) cost more than the sort of
        the few rows, on every case page. Prefetch ``change_talk`` with a list of logs."""
        return sorted(self.change_talk.all(), key=lambda talk: talk.order)

    @property
    def target_label(self):
        if self.target_behaviour == TargetBehaviour.ANDERS and self.target_other:
            return self.target_other
        return self.get_target_behaviour_display()


class ChangeTalk(models.Model):
    """Change talk of one DARN-CAT type heard in a conversation, with an optional quote.
    Held, like its conversation, by the conversation's organisation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="change_talk"
    )
    kind = models.CharField(_("soort verandertaal"), max_length=15, choices=ChangeTalkKind.choices)
    quote = models.CharField(_("uitspraak van de cliënt"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("verandertaal")
        verbose_name_plural = _("verandertaal")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "kind"],
                name="change_talk_kind_once_per_conversation",
                violation_error_message=_("Deze soort verandertaal staat al bij dit gesprek."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ChangeTalkKind.values),
                name="change_talk_kind_in_list",
                violation_error_message=_("Kies een soort verandertaal uit de lijst."),
            ),
        ]

    def __str__(self):
        return self.get_kind_display()

    @property
    def order(self):
        return ChangeTalkKind.values.index(self.kind)


class MitiSelfAssessment(models.Model):
    """The professional's own MITI 4.2.1-style scoring of one conversation, for their
    learning. Only its professional sees it; their organisation sees it only in an
    anonymous aggregate. Never part of the case file, a report or another organisation's
    view."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="self_assessment"
    )
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("professional"),
        on_delete=models.PROTECT,
        related_name="miti_self_assessments",
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    questions = models.PositiveSmallIntegerField(_("vragen"))
    simple_reflections = models.PositiveSmallIntegerField(_("enkelvoudige reflecties"))
    complex_reflections = models.PositiveSmallIntegerField(_("complexe reflecties"))
    cultivating_change_talk = models.PositiveSmallIntegerField(_("verandertaal uitlokken"))
    softening_sustain_talk = models.PositiveSmallIntegerField(_("behoudtaal afzwakken"))
    partnership = models.PositiveSmallIntegerField(_("samenwerking (partnership)"))
    empathy = models.PositiveSmallIntegerField(_("empathie"))
    held_on = models.DateField(_("datum van het gesprek"))
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    COUNTS = ("questions", "simple_reflections", "complex_reflections")
    GLOBALS = ("cultivating_change_talk", "softening_sustain_talk", "partnership", "empathy")

    class Meta:
        verbose_name = _("MITI-zelfbeoordeling")
        verbose_name_plural = _("MITI-zelfbeoordelingen")
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    questions__lte=MAX_COUNT,
                    simple_reflections__lte=MAX_COUNT,
                    complex_reflections__lte=MAX_COUNT,
                ),
                name="miti_counts_at_most_500",
                violation_error_message=_("Een aantal is hoogstens 500."),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    cultivating_change_talk__gte=1,
                    cultivating_change_talk__lte=5,
                    softening_sustain_talk__gte=1,
                    softening_sustain_talk__lte=5,
                    partnership__gte=1,
                    partnership__lte=5,
                    empathy__gte=1,
                    empathy__lte=5,
                ),
                name="miti_global_scores_1_to_5",
                violation_error_message=_("Een globale score is 1 tot en met 5."),
            ),
        ]
        indexes = [
            # The professional's own trend page: their scores by date.
            models.Index(fields=["professional", "held_on"], name="miti_professional_date_idx"),
            # The anonymous aggregate of an organisation.
            models.Index(fields=["organisation", "held_on"], name="miti_organisation_date_idx"),
        ]

    def __str__(self):
        return _("MITI-zelfbeoordeling %(date)s") % {"date": f"{self.held_on:%d-%m-%Y}"}
