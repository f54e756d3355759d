import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.constants import Role
from portal.models import ChoiceLabels
from portal.storage import private_storage

from . import policy
from .constants import (
    LIVE_STATES,
    Action,
    Basis,
    Category,
    ConsentMethod,
    ConsentState,
    IdentityCheck,
    Outcome,
    Purpose,
    RequestChannel,
    WithdrawalMethod,
    label_of,
)
from .querysets import AccessLogQuerySet, ConsentQuerySet

# The short flag of a consent that shares nothing (Consent.shares_nothing), the one wording
# of the consent page, the beheerder's overview, the case panel and the PDFs. Why it shares
# nothing, and which purposes would fit, is consent.forms.shares_nothing.
SHARES_NOTHING = _("Deelt niets: doel past niet bij de ontvanger")


class DataCategory(models.Model):
    """A data category: fixed code, admin-editable label and explanation."""

    code = models.CharField(_("code"), max_length=20, choices=Category.choices, primary_key=True)
    label = models.CharField(_("naam"), max_length=100)
    description = models.TextField(_("uitleg voor de cliënt"), blank=True)
    position = models.PositiveSmallIntegerField(_("volgorde"), default=0)

    class Meta:
        verbose_name = _("gegevenscategorie")
        verbose_name_plural = _("gegevenscategorieën")
        ordering = ["position"]

    def __str__(self):
        return self.label


class Consent(models.Model):
    """The client permits data of these categories, held by ``provider``, to be shared with
    ``recipient`` for ``purpose`` during a period. Never edited or deleted: a change is a
    new record that supersedes this one; withdrawal is a ConsentWithdrawal."""

    client = models.ForeignKey(
        "cases.Client", verbose_name=_("cliënt"), on_delete=models.PROTECT, related_name="consents"
    )
    provider = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("verstrekker"),
        on_delete=models.PROTECT,
        related_name="consents_given",
        db_index=False,  # consent_provider_idx starts with it
    )
    recipient = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("ontvanger"),
        on_delete=models.PROTECT,
        related_name="consents_received",
    )
    purpose = models.CharField(_("doel"), max_length=20, choices=Purpose.choices)
    categories = models.ManyToManyField(
        DataCategory, verbose_name=_("gegevenscategorieën"), related_name="consents"
    )
    valid_from = models.DateField(_("geldig vanaf"))
    valid_until = models.DateField(_("geldig tot en met"))
    method = models.CharField(_("hoe gegeven"), max_length=15, choices=ConsentMethod.choices)
    purpose_explained = models.BooleanField(_("doel uitgelegd aan de cliënt"))
    form = models.FileField(
        _("ondertekend formulier"),
        upload_to="toestemming/%Y/%m/",
        blank=True,
        storage=private_storage,
    )
    # The signed form added after the consent was recorded (printed from the consent, signed,
    # scanned): who added it and when, for the proof. Empty for a form sent with the record.
    form_added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("formulier toegevoegd door"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    form_added_at = models.DateTimeField(_("formulier toegevoegd op"), null=True, blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("vervangt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("toestemming")
        verbose_name_plural = _("toestemmingen")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="consent_period_not_reversed",
                violation_error_message=_("De einddatum ligt vóór de begindatum."),
            ),
            models.CheckConstraint(
                condition=~models.Q(provider=models.F("recipient")),
                name="consent_provider_is_not_recipient",
                violation_error_message=_("Verstrekker en ontvanger zijn dezelfde organisatie."),
            ),
            models.CheckConstraint(
                condition=models.Q(purpose_explained=True),
                name="consent_purpose_explained",
                violation_error_message=_("Het doel moet aan de cliënt zijn uitgelegd."),
            ),
        ]
        indexes = [
            # Access policy: active consents of a client towards the user's organisation.
            models.Index(fields=["client", "recipient", "valid_until"], name="consent_policy_idx"),
            # Werkvoorraad flags and beheer overview: consents expiring soon.
            models.Index(fields=["valid_until"], name="consent_valid_until_idx"),
            # Beheer overview: the organisation's consents, and its newest one for the stamp
            # of the cached counts per state (consent.services.own_state_counts).
            models.Index(fields=["provider", "-id"], name="consent_provider_idx"),
        ]

    def __str__(self):
        return _("Toestemming %(pk)s") % {"pk": self.pk}

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Een toestemming wordt nooit gewijzigd; leg een nieuwe vast.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Een toestemming wordt nooit verwijderd.")

    @property
    def purpose_fits(self):
        """Whether anyone at the recipient could ever read under this consent's purpose
        (policy.usable_purposes, the rule the consent form enforces). A consent recorded
        before the form refused it may not: it is live, yet shares nothing."""
        return self.purpose in policy.usable_purposes(self.recipient.type)

    def shares_nothing(self, today=None):
        """Live (active, or yet to start), yet no one at the recipient reads under its
        purpose: the one decision behind the flag SHARES_NOTHING wherever it is shown, and
        why such a consent is not offered for signing. An ended consent shares nothing
        either way and is not flagged. Uses the recipient, withdrawal and superseded_by:
        select them along with a list of consents."""
        return self.state(today) in LIVE_STATES and not self.purpose_fits

    def state(self, today=None):
        today = today or timezone.localdate()
        if hasattr(self, "withdrawal"):
            return ConsentState.INGETROKKEN
        if hasattr(self, "superseded_by"):
            return ConsentState.VERVANGEN
        if self.valid_until < today:
            return ConsentState.VERLOPEN
        if self.valid_from > today:
            return ConsentState.TOEKOMSTIG
        return ConsentState.ACTIEF


class ConsentWithdrawal(models.Model):
    """Withdrawal (intrekking): when, by whom, how and why. Takes effect at once."""

    consent = models.OneToOneField(
        Consent, verbose_name=_("toestemming"), on_delete=models.PROTECT, related_name="withdrawal"
    )
    withdrawn_on = models.DateField(_("ingetrokken op"), default=timezone.localdate)
    method = models.CharField(_("hoe ingetrokken"), max_length=15, choices=WithdrawalMethod.choices)
    reason = models.TextField(_("reden"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    class Meta:
        verbose_name = _("intrekking")
        verbose_name_plural = _("intrekkingen")

    def __str__(self):
        return _("Intrekking van %(consent)s") % {"consent": self.consent}


class AccessLogEntry(ChoiceLabels, models.Model):
    """One NEN 7513 event. Append-only and chained: each entry's hash covers the previous
    entry's hash, so any change or removal breaks the chain (verify_inzagelog)."""

    timestamp = models.DateTimeField(_("tijdstip"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gebruiker"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # accesslog_user_idx leads with it
    )
    role = models.CharField(_("rol"), max_length=20)
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("organisatie van de gebruiker"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    client = models.ForeignKey(
        "cases.Client",
        verbose_name=_("cliënt"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        db_index=False,  # accesslog_client_idx leads with it
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("casus"), on_delete=models.PROTECT, related_name="+", null=True
    )
    object_type = models.CharField(_("soort gegeven"), max_length=50)
    object_id = models.CharField(_("id"), max_length=40, blank=True)
    category = models.CharField(
        _("gegevenscategorie"), max_length=20, choices=Category.choices, blank=True
    )
    action = models.CharField(_("handeling"), max_length=10, choices=Action.choices)
    basis = models.CharField(_("grondslag"), max_length=20, choices=Basis.choices)
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("toestemming"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    outcome = models.CharField(_("uitkomst"), max_length=10, choices=Outcome.choices)
    ip_address = models.GenericIPAddressField(_("IP-adres"), null=True)
    request_id = models.CharField(_("verzoek-id"), max_length=32, blank=True)
    access_point = models.CharField(_("toegangspunt"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("inzagelogregel")
        verbose_name_plural = _("inzagelog")
        ordering = ["-pk"]
        indexes = [
            # "Wie heeft dit dossier ingezien" on the case page (a client's newest entries:
            # WHERE client_id = ... ORDER BY id DESC LIMIT ...) and the AVG-inzage per client.
            # It also serves the client foreign key (its leading column).
            models.Index(fields=["client", "-id"], name="accesslog_client_idx"),
            # Beheerder's log filtered on a user and a period: WHERE user_id IN (...) AND
            # timestamp >= ... AND timestamp < ... (that user's entries of the period only,
            # however big the log). It also serves the user foreign key.
            models.Index(fields=["user", "-timestamp"], name="accesslog_user_time_idx"),
            # Beheerder's log view: entries about the organisation's clients, filtered by time.
            models.Index(fields=["-timestamp"], name="accesslog_time_idx"),
        ]
        constraints = [
            # Guards the chain: no two entries with one hash. A constraint, not unique=True
            # on the field, which on PostgreSQL adds a second (LIKE) index on the hash that
            # no query uses and every log insert would update.
            models.UniqueConstraint(fields=["hash"], name="accesslog_hash_unique"),
        ]

    HASHED_FIELDS = (
        "timestamp",
        "user_id",
        "role",
        "organisation_id",
        "client_id",
        "case_id",
        "object_type",
        "object_id",
        "category",
        "action",
        "basis",
        "consent_id",
        "outcome",
        "ip_address",
        "request_id",
        "access_point",
    )

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Het inzagelog is alleen aan te vullen, niet te wijzigen.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Het inzagelog is alleen aan te vullen, niet te verwijderen.")

    @property
    def role_label(self):
        """The user's role as the pages name it ("Klantmanager"); the stored value is kept as
        it was, also one that is no role any more."""
        return label_of(Role, self.role)

    def compute_hash(self, prev_hash):
        payload = {name: getattr(self, name) for name in self.HASHED_FIELDS}
        payload["timestamp"] = self.timestamp.isoformat()
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256((prev_hash + text).encode()).hexdigest()


# --- AVG-inzage: the client's request for access (art. 15) ---------------------------------


class AccessRequest(models.Model):
    """A client's request for access (AVG art. 15), recorded by the beheerder before the
    AVG-inzage is made: when it came in, how, and how the client's identity was checked.
    Every AVG-inzage has one, so an export of a client's whole file (medical notes
    included) always has a request behind it. Kept after its report is purged
    (portal.reports.purge_expired: only the link to the report is cleared); never changed
    or deleted otherwise."""

    client = models.ForeignKey(
        "cases.Client",
        verbose_name=_("cliënt"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        verbose_name=_("ontvangen door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_on = models.DateField(_("verzoek ontvangen op"))
    channel = models.CharField(
        _("hoe het verzoek binnenkwam"), max_length=10, choices=RequestChannel.choices
    )
    identity_check = models.CharField(
        _("identiteit vastgesteld"), max_length=10, choices=IdentityCheck.choices
    )
    identity_note = models.CharField(_("toelichting op de identiteit"), max_length=300, blank=True)
    note = models.TextField(_("notitie bij het verzoek"), blank=True)
    report = models.OneToOneField(
        "portal.Report",
        verbose_name=_("rapport"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_request",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastgelegd door"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now)

    class Meta:
        verbose_name = _("verzoek om inzage")
        verbose_name_plural = _("verzoeken om inzage")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(identity_check=IdentityCheck.ANDERS)
                | ~models.Q(identity_note=""),
                name="accessrequest_other_identity_check_explained",
                violation_error_message=_(
                    "Beschrijf hoe u de identiteit van de cliënt hebt vastgesteld."
                ),
            ),
            models.CheckConstraint(
                condition=~models.Q(channel=RequestChannel.ANDERS) | ~models.Q(note=""),
                name="accessrequest_other_channel_explained",
                violation_error_message=_("Beschrijf hoe het verzoek binnenkwam."),
            ),
        ]

    def __str__(self):
        return _("Verzoek om inzage nr. %(pk)s") % {"pk": self.pk}

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Een verzoek om inzage wordt nooit gewijzigd.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Een verzoek om inzage wordt nooit verwijderd.")

    @property
    def identity_text(self):
        """How the identity was checked, in words, with its explanation if there is one."""
        label = self.get_identity_check_display()
        return f"{label}: {self.identity_note}" if self.identity_note else str(label)
