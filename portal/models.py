import functools

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from .constants import ROLES_BY_ORGANISATION_TYPE, OrganisationType, Role
from .storage import private_storage
from .words import keep_derived, sort_name


@functools.cache
def _choice_labels(field):
    return dict(field.flatchoices)


class ChoiceLabels:
    """For models shown many rows at a time (timeline, access log): ``get_<field>_display``
    from one mapping per field, built once. Django's own builds a dict of all the field's
    choices on every call, translating each label to hash it; 15 timeline entries on the
    case page spent half their render time there. Labels are still translated per call."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(value, value), strings_only=True)


class Organisation(models.Model):
    name = models.CharField(_("naam"), max_length=200, unique=True)
    type = models.CharField(_("soort"), max_length=20, choices=OrganisationType.choices)

    class Meta:
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def allows_role(self, role):
        return role in ROLES_BY_ORGANISATION_TYPE[self.type]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("E-mailadres is verplicht.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


def role_fits_organisation(role, organisation):
    """Raise a Dutch ValidationError when ``role`` cannot exist at ``organisation``."""
    if organisation is not None and role and not organisation.allows_role(role):
        raise ValidationError(
            {
                "role": _("De rol %(role)s past niet bij een organisatie van het soort %(type)s.")
                % {"role": Role(role).label, "type": OrganisationType(organisation.type).label}
            }
        )


class User(AbstractUser):
    """A person who signs in with an email address. Professionals belong to exactly one
    organisation with one role; platform superusers may have neither."""

    username = None
    email = models.EmailField(_("e-mailadres"), unique=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
    )
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, blank=True)
    # The surname as lists sort it (portal.words.sort_name: 'de Vries' under V), kept by save().
    sort_name = models.TextField(editable=False, default="")
    # What a beheerder edits (name, role, active) carries a version, as every editable record
    # does: portal.views.user_edit refuses a save from a form opened before another one.
    version = models.PositiveIntegerField(_("versie"), default=1, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")
        ordering = ["sort_name", "first_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(organisation__isnull=True, role="")
                    | (models.Q(organisation__isnull=False) & ~models.Q(role=""))
                ),
                name="user_organisation_and_role_together",
                violation_error_message=_(
                    "Een gebruiker hoort bij precies één organisatie met één rol."
                ),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.email.lower()
        role_fits_organisation(self.role, self.organisation)

    def save(self, *args, **kwargs):
        self.sort_name = sort_name(self.last_name)
        keep_derived(kwargs, ["last_name"], ["sort_name"])
        super().save(*args, **kwargs)

    @property
    def is_professional(self):
        return bool(self.role)

    def has_role(self, *roles):
        return self.role in roles


class ReportType(models.TextChoices):
    VOORTGANG = "voortgang", _("Voortgangsrapportage")
    LEIDRAAD = "leidraad", _("Samenvatting gespreksleidraad")
    TOESTEMMINGSVERKLARING = "toestemmingsverklaring", _("Toestemmingsverklaring")
    TOESTEMMINGSOVERZICHT = "toestemmingsoverzicht", _("Overzicht toestemmingen")
    AVG_INZAGE = "avg_inzage", _("AVG-inzage")
    IPS_MODELGETROUWHEID = "ips_modelgetrouwheid", _("IPS-modelgetrouwheid")
    IPS_RESULTATEN = "ips_resultaten", _("IPS-resultaten per kwartaal")


class ReportStatus(models.TextChoices):
    WACHTRIJ = "wachtrij", _("In wachtrij")
    BEZIG = "bezig", _("Bezig")
    KLAAR = "klaar", _("Klaar")
    MISLUKT = "mislukt", _("Mislukt")


class Report(models.Model):
    """A PDF report requested by one user. Its state lives here (not in the broker), so a
    beat task can re-enqueue what a lost message left behind."""

    type = models.CharField(_("soort"), max_length=30, choices=ReportType.choices)
    title = models.CharField(_("titel"), max_length=200)
    requested_by = models.ForeignKey(
        "portal.User",
        verbose_name=_("aangevraagd door"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("casus"),
        on_delete=models.PROTECT,
        related_name="reports",
        null=True,
        blank=True,
    )
    client = models.ForeignKey(
        "cases.Client",
        verbose_name=_("cliënt"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # What the rendered PDF holds: [[holder organisation id, category], ...]; re-checked
    # against the access policy at every download.
    contents = models.JSONField(_("inhoud"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.WACHTRIJ
    )
    attempts = models.PositiveSmallIntegerField(_("pogingen"), default=0)
    error = models.TextField(_("foutmelding"), blank=True)
    file = models.FileField(
        _("bestand"), upload_to="rapporten/%Y/%m/", storage=private_storage, blank=True
    )
    created_at = models.DateTimeField(_("aangevraagd op"), default=timezone.now)
    started_at = models.DateTimeField(_("gestart op"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)

    class Meta:
        verbose_name = _("rapport")
        verbose_name_plural = _("rapporten")
        ordering = ["-created_at"]
        indexes = [
            # The beat sweep: reports waiting or busy for too long.
            models.Index(fields=["status", "created_at"], name="report_status_created_idx"),
            # "Mijn rapporten": a user's own reports, newest first.
            models.Index(fields=["requested_by", "-created_at"], name="report_requester_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="klaar") | ~models.Q(file=""),
                name="report_ready_has_file",
                violation_error_message=_("Een klaar rapport heeft een bestand."),
            ),
        ]

    def __str__(self):
        return self.title


class Submission(models.Model):
    """One rendered form, sent once (portal.middleware.SubmitOnceMiddleware). The first POST
    that carries the form's token claims it; a repeat of that POST (a double click, a slow
    answer clicked again, the same content sent from a fresh rendering) is sent to where
    the first went instead of saving twice."""

    token = models.UUIDField(primary_key=True)
    user = models.ForeignKey("portal.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Where the first POST sent the user; empty while it is being handled.
    redirect_to = models.CharField(max_length=2000, blank=True)
    # Where the form was sent, and what (the fields without the tokens, hashed): the same
    # content as the user's last form to that address, sent again on a fresh rendering of
    # the form (Back after saving, the browser filling in the fields again), is a repeat
    # too. Both empty for forms sent again on purpose (reports).
    path = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # SubmitOnceMiddleware: the user's last form to this address, a moment ago.
            # WHERE user_id = %s AND path = %s AND created_at >= %s ORDER BY created_at DESC
            models.Index(fields=["user", "path", "-created_at"], name="submission_last_idx"),
        ]
        verbose_name = _("verzonden formulier")
        verbose_name_plural = _("verzonden formulieren")

    def __str__(self):
        return str(self.token)
