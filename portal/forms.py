import calendar
import datetime
import unicodedata

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import ROLES_BY_ORGANISATION_TYPE, Role
from .models import User

# A form whose fields the page sets itself (a version, a choice) came back changed.
NOT_SAVED_RELOAD = _("Niet opgeslagen: vernieuw de pagina en probeer het opnieuw.")


class CarriesVersion:
    """For a form with a hidden ``version`` that the page sets itself (optimistic locking):
    one that comes back missing or garbled (a stale cached form, tampering) is refused with
    NOT_SAVED_RELOAD. Django would put "(Verborgen veld version) Dit veld is verplicht." at
    the top, with the field's own name; a page that lists only the visible fields would list
    nothing. A form without the field (a create form) is not affected."""

    def clean(self):
        cleaned = super().clean()
        if self._errors.pop("version", None) is not None:
            self.add_error(None, NOT_SAVED_RELOAD)
        return cleaned


class FormRenderer(TemplatesSetting):
    """Every form renders through templates/forms/div.html: the errors that belong to no
    field (and those of hidden fields) in one alert box above the fields, once."""

    form_template_name = "forms/div.html"


# --- Names -------------------------------------------------------------------------------


# Besides letters (and their accents), what names are written with: 'Jan-Willem', "d'Hondt",
# 'J.W. van der Berg'.
NAME_PUNCTUATION = frozenset(" -'’‘.")
# What keyboards give for an apostrophe besides ' and ’ (an acute accent on Dutch and Belgian
# layouts, a backtick, a modifier letter, a prime): stored as ’. NFKC would make the accent a
# space and a combining mark ('d ́Hondt'), which no search finds.
APOSTROPHES = str.maketrans(dict.fromkeys("´`ʼ′", "’"))


def person_name(value):
    """A person's name as typed, for a client or a user: letters with at most spaces,
    hyphens, apostrophes and dots (at least one letter), and no invisible formatting
    characters (a zero-width space, a reading-direction override): those make a name look
    empty, or read backwards in the portal and in the PDFs. Returns it in NFKC form; raises
    a ValidationError with a Dutch message."""
    if any(unicodedata.category(ch) == "Cf" for ch in value):
        raise forms.ValidationError(
            _(
                "Deze naam bevat een onzichtbaar teken (bijvoorbeeld een spatie zonder breedte "
                "of een leesrichtingsteken). Typ de naam opnieuw, zonder te plakken."
            )
        )
    if not any(ch.isalpha() for ch in value):
        raise forms.ValidationError(_("Een naam bevat ten minste één letter."))
    # Full-width and other look-alike forms (a pasted 'Ａnna') become the letters they show,
    # so that search and the duplicate check find the name.
    value = unicodedata.normalize("NFKC", value.translate(APOSTROPHES))
    if any(
        not (ch.isalpha() or unicodedata.category(ch).startswith("M"))
        for ch in value
        if ch not in NAME_PUNCTUATION
    ):
        raise forms.ValidationError(
            _(
                "Een naam bestaat uit letters, met zo nodig spaties, koppeltekens, apostrofs en "
                "punten; geen cijfers of andere tekens."
            )
        )
    return value


# --- Dates: one widget and one rule for every date a user types ------------------------------

HAPPENED_YEARS = 10  # something that happened (a conversation, a contact): at most this long ago
PLANNED_YEARS = 2  # something planned (an agreement, a meeting, a start): at most this far ahead


class Textarea(forms.Textarea):
    """A textarea whose line breaks count as one character, as the browser counts them for
    ``maxlength``: it sends each one as CR LF, so a note the browser let through at its
    limit arrived longer than the form's max_length and was refused."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as ISO (yyyy-mm-dd)."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def add_months(day, months):
    """``day`` plus ``months`` calendar months (negative: back); the 31st becomes the month's
    last day; past the calendar's ends, its first or last day."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if year < datetime.MINYEAR:
        return datetime.date.min
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def happened(value, future=None):
    """The date of something that happened: not in the future, not implausibly long ago (a
    typing error in the year). Raises a ValidationError with a Dutch message."""
    if value is None:
        return value
    today = timezone.localdate()
    if value > today:
        raise forms.ValidationError(future or _("Deze datum ligt in de toekomst."))
    if value < add_months(today, -12 * HAPPENED_YEARS):
        raise forms.ValidationError(
            _("Deze datum ligt meer dan %(n)s jaar terug. Klopt het jaartal?")
            % {"n": HAPPENED_YEARS}
        )
    return value


def planned(value, earliest=None):
    """The date of something planned: not before ``earliest`` (default today), not
    implausibly far ahead. Raises a ValidationError with a Dutch message."""
    if value is None:
        return value
    today = timezone.localdate()
    if value < (today if earliest is None else earliest):
        raise forms.ValidationError(_("Deze datum ligt in het verleden."))
    if value > add_months(today, 12 * PLANNED_YEARS):
        raise forms.ValidationError(
            _("Deze datum ligt meer dan %(n)s jaar vooruit. Klopt het jaartal?")
            % {"n": PLANNED_YEARS}
        )
    return value


class OrganisationUserForm(CarriesVersion, forms.ModelForm):
    """A beheerder creates or edits a user of their own organisation."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role"]
        labels = {"first_name": _("Voornaam"), "last_name": _("Achternaam")}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        allowed = ROLES_BY_ORGANISATION_TYPE[organisation.type]
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in allowed]
        # The model allows a blank role (platform superusers), a professional needs one.
        self.fields["role"].required = True
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        if self.instance.pk:
            # The email address is the sign-in name; changing it is not a beheerder's task.
            del self.fields["email"]
            # The version the edit starts from: portal.views.user_edit refuses the save when
            # the account changed since (in another window or by a colleague).
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
            self.fields["version"].initial = self.instance.version

    def clean_first_name(self):
        return person_name(self.cleaned_data["first_name"])

    def clean_last_name(self):
        return person_name(self.cleaned_data["last_name"])

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if not email.isascii():
            # 'rivıerland' (dotless ı) or a Cyrillic і reads as another organisation's
            # address: a second account that looks like the first, and mail to who knows.
            raise forms.ValidationError(
                _(
                    "Gebruik een e-mailadres met alleen de letters a tot en met z, cijfers en "
                    "leestekens; letters als ı of é zijn niet toegestaan. Zo lijkt geen adres "
                    "op dat van een ander."
                )
            )
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email


EMAIL_TAKEN = _("Er bestaat al een account met dit e-mailadres.")


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoek op naam of e-mailadres"), required=False, max_length=100)
