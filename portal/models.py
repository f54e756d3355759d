from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import ROLES_BY_ORGANISATION_TYPE, OrganisationType, Role


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

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")
        ordering = ["last_name", "first_name", "email"]
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

    @property
    def is_professional(self):
        return bool(self.role)

    def has_role(self, *roles):
        return self.role in roles
