import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from consent.constants import Action, Category, shared_notice
from consent.policy import CASE_ROLES_BY_ROLE, role_allows
from portal.constants import OrganisationType, Role
from portal.fields import HoursField, model_label
from portal.forms import (
    CarriesVersion,
    DateInput,
    Textarea,
    add_months,
    happened,
    person_name,
    planned,
)
from portal.models import Organisation, User

from .constants import (
    Benefit,
    CaseRole,
    CaseStatus,
    GoalStatus,
    RecoveryDomain,
    WorkSituationKind,
)
from .models import Agreement, Client, Driegesprek, Goal, WorkSituation
from .services import DUPLICATE_BSN_MESSAGE
from .validators import validate_bsn

# The portal's clients are adults of working age: the EPA group in care is counted from 18
# (BRIEF §9, 001 l.8719); younger people are in youth care. A date of birth outside this
# range is a typing error or the wrong client.
MIN_CLIENT_AGE = 18
MAX_CLIENT_AGE = 120
# A phone number as people type it: digits, spaces, a leading +, hyphens and parentheses;
# between 8 digits and the 15 of an international number (E.164).
PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()\-]+")
PHONE_DIGITS = range(8, 16)
# The werksituatie's hours: at most what the model allows (work_situation_hours_range).
MAX_WORK_HOURS_PER_WEEK = 80


class ClientForm(forms.ModelForm):
    # Longer than nine so that "111 222 333" or "111.222.333" can be cleaned to digits.
    bsn = forms.CharField(
        label=_("BSN"),
        max_length=20,
        help_text=_("Negen cijfers; spaties en punten ertussen mogen (1234.56.782)."),
    )

    class Meta:
        model = Client
        fields = ["first_name", "last_name", "date_of_birth", "bsn", "email", "phone", "address"]
        widgets = {"date_of_birth": DateInput()}
        help_texts = {
            "phone": _("Bijvoorbeeld 06 12345678 of +31 20 1234567."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.duplicate = None

    def clean_first_name(self):
        return person_name(self.cleaned_data["first_name"])

    def clean_last_name(self):
        return person_name(self.cleaned_data["last_name"])

    def clean_bsn(self):
        bsn = "".join(ch for ch in self.cleaned_data["bsn"] if not ch.isspace() and ch != ".")
        validate_bsn(bsn)
        return bsn

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError(_("De geboortedatum ligt in de toekomst."))
        if value > add_months(today, -12 * MIN_CLIENT_AGE):
            raise forms.ValidationError(
                _(
                    "Met deze geboortedatum is de cliënt jonger dan %(age)s jaar. Werkpad is "
                    "voor volwassenen; klopt de datum?"
                )
                % {"age": MIN_CLIENT_AGE}
            )
        if value < add_months(today, -12 * MAX_CLIENT_AGE):
            raise forms.ValidationError(
                _("De geboortedatum ligt meer dan %(age)s jaar terug.") % {"age": MAX_CLIENT_AGE}
            )
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if not value:
            return value
        digits = sum(ch in "0123456789" for ch in value)
        if not PHONE_CHARACTERS.fullmatch(value) or digits not in PHONE_DIGITS:
            raise forms.ValidationError(
                _(
                    "Vul een telefoonnummer in met 8 tot 15 cijfers. Alleen spaties, een + aan "
                    "het begin, streepjes en haakjes mogen ertussen."
                )
            )
        return value

    def clean(self):
        cleaned = super().clean()
        bsn = cleaned.get("bsn")
        if bsn:
            self.duplicate = Client.objects.filter(organisation=self.organisation, bsn=bsn).first()
            if self.duplicate is not None:
                self.add_error("bsn", DUPLICATE_BSN_MESSAGE)
        return cleaned

    def validate_unique(self):
        # The (organisation, bsn) rule is checked in clean() with a friendlier message.
        pass


class WorkSituationForm(forms.ModelForm):
    # Within the model's range (0 to 80, one decimal); 0 hours is an answer, empty too.
    hours_per_week = HoursField(
        minimum=Decimal(0),
        maximum=MAX_WORK_HOURS_PER_WEEK,
        required=False,
        label=model_label(WorkSituation, "hours_per_week"),
        help_text=_(
            "Alleen invullen bij werk, opleiding of dagbesteding; halve uren mogen (12,5)."
        ),
    )

    class Meta:
        model = WorkSituation
        fields = [
            "kind",
            "hours_per_week",
            "benefit",
            "job_search_duty",
            "job_search_exempt",
            "wish_to_work",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "wish_to_work": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required radio groups: only the real answers, none chosen until the user picks one
        # (a ModelForm adds an empty "---------" choice, which a radio group shows selected).
        for name in ("kind", "wish_to_work"):
            field = self.fields[name]
            field.choices = [(value, label) for value, label in field.choices if value != ""]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == WorkSituationKind.GEEN and cleaned.get("hours_per_week"):
            self.add_error("hours_per_week", _("Zonder werk of dagbesteding zijn er geen uren."))
        if cleaned.get("job_search_duty") and cleaned.get("benefit") == Benefit.GEEN:
            self.add_error(
                "job_search_duty",
                _(
                    "Een sollicitatieplicht hoort bij een uitkering. Kies de uitkering, of zet "
                    "de sollicitatieplicht uit."
                ),
            )
        if cleaned.get("job_search_exempt") and not cleaned.get("job_search_duty"):
            self.add_error(
                "job_search_exempt",
                _("Een vrijstelling geldt alleen als er een sollicitatieplicht is."),
            )
        return cleaned


class WorkDiscussedForm(CarriesVersion, forms.Form):
    """That work was discussed, on the case version the form was opened on: a form opened
    before a newer record would otherwise put back the 'werk is een behandeldoel' it showed."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    discussed_on = forms.DateField(label=_("Werk besproken op"), widget=DateInput())
    work_is_goal = forms.BooleanField(label=_("Werk is een behandeldoel"), required=False)
    note = forms.CharField(
        label=_("Korte notitie (optioneel)"),
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=shared_notice(Category.AFSPRAKEN),
    )

    def clean_discussed_on(self):
        return happened(self.cleaned_data["discussed_on"])


class NoteForm(forms.Form):
    category = forms.ChoiceField(label=_("Soort gegeven"))
    title = forms.CharField(label=_("Onderwerp"), max_length=200)
    body = forms.CharField(label=_("Notitie"), widget=Textarea(attrs={"rows": 5}), max_length=10000)

    def __init__(self, *args, categories, default=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.value, c.label) for c in Category if c in categories]
        self.fields["category"].help_text = (
            format_lazy(
                _(
                    "Bepaalt wie de notitie mag zien. Klinische notities zijn ‘{medical}’: "
                    "die lezen alleen teamleden in de rol {roles}, nooit gemeente of UWV."
                ),
                medical=Category.MEDISCH.label,
                roles=f" {_('of')} ".join(
                    str(role.label)
                    for role in Role
                    if role_allows(role, Category.MEDISCH, Action.READ)
                ),
            )
            if Category.MEDISCH in categories
            else _("Bepaalt wie de notitie mag zien.")
        )
        if default in categories:
            self.fields["category"].initial = default


class GoalForm(forms.ModelForm):
    """A goal on the shared case, read as ‘Afspraken en doelen’ by W&I with consent: no
    clinical recovery (symptoms, treatment), which is medical information and stays in the
    treatment file. Goals of that domain stored earlier show only to who may read medisch
    (GoalQuerySet.readable)."""

    class Meta:
        model = Goal
        fields = ["domain", "description"]
        help_texts = {"description": shared_notice(Category.AFSPRAKEN)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].choices = [
            choice
            for choice in self.fields["domain"].choices
            if choice[0] != RecoveryDomain.KLINISCH
        ]


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["what", "owner", "due_date"]
        widgets = {"due_date": DateInput()}
        help_texts = {"owner": _("Wie doet het? Bijvoorbeeld de cliënt, of een naam.")}

    def clean_due_date(self):
        return planned(self.cleaned_data["due_date"])

    def clean_owner(self):
        value = self.cleaned_data["owner"].strip()
        if not value:
            raise forms.ValidationError(_("Vul in wie de afspraak uitvoert."))
        return value


class AgreementDoneForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    done = forms.BooleanField(required=False)


class LeaveForm(forms.Form):
    """Who leaves the team: empty for the user themselves."""

    gebruiker = forms.IntegerField(required=False, widget=forms.HiddenInput)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mailadres van de professional"))
    case_role = forms.ChoiceField(label=_("Rol in de casus"), choices=CaseRole.choices)
    reason = forms.CharField(
        label=_("Toelichting (optioneel)"),
        required=False,
        max_length=1000,
        widget=Textarea(attrs={"rows": 2}),
        # Shown with the invitation before the invitee is on the team, as with a referral.
        help_text=_(
            "Wie u uitnodigt, leest de toelichting bij de uitnodiging, ook als de cliënt nog "
            "geen toestemming heeft gegeven om gegevens met diens organisatie te delen. Schrijf "
            "alleen wat nodig is om de uitnodiging te beoordelen, en geen medische gegevens."
        ),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        self.invitee = (
            User.objects.filter(email__iexact=email).select_related("organisation").first()
        )
        if self.invitee is None or not self.invitee.role:
            raise forms.ValidationError(_("Er is geen professional met dit e-mailadres."))
        return email


# The reason travels with the referral: the other organisation reads it before any consent.
REFERRAL_REASON_HELP = _(
    "De ontvangende organisatie leest de reden bij de verwijzing, ook als de cliënt nog geen "
    "toestemming heeft gegeven om gegevens met haar te delen. Schrijf alleen wat nodig is om "
    "de verwijzing te beoordelen, en geen medische gegevens."
)


class ReferralForm(forms.Form):
    TARGET_IPS = "ips"
    TARGET_KLANTMANAGER = "klantmanager"
    target = forms.ChoiceField(
        label=_("Verwijzen naar"),
        widget=forms.RadioSelect,
        choices=[
            (TARGET_IPS, _("IPS-team")),
            (TARGET_KLANTMANAGER, _("Klantmanager (gemeente of UWV)")),
        ],
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisatie"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(
        label=_("Reden"),
        widget=Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=REFERRAL_REASON_HELP,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.all()
        self.fields["organisation"].help_text = _(
            "Voor IPS: de GGZ-organisatie van het IPS-team. "
            "Voor een klantmanager: de gemeente of het UWV."
        )

    def clean(self):
        cleaned = super().clean()
        target, organisation = cleaned.get("target"), cleaned.get("organisation")
        if target and organisation:
            wanted = (
                {OrganisationType.GGZ}
                if target == self.TARGET_IPS
                else {OrganisationType.GEMEENTE, OrganisationType.UWV}
            )
            if organisation.type not in wanted:
                self.add_error(
                    "organisation", _("Deze organisatie past niet bij de gekozen verwijzing.")
                )
        return cleaned

    @property
    def case_role(self):
        return (
            CaseRole.TRAJECTBEGELEIDER
            if self.cleaned_data["target"] == self.TARGET_IPS
            else CaseRole.KLANTMANAGER
        )


class RespondForm(forms.Form):
    """The answer to an invitation or referral: accept, or decline with a reason (which the
    inviting organisation reads). The start page shows one per invitation, each with its
    own ids, so that an answer that did not validate comes back in its own card."""

    CHOOSE = _("Kies accepteren of afwijzen.")

    accept = forms.TypedChoiceField(
        coerce=lambda v: v == "1",
        choices=[("1", _("Accepteren")), ("0", _("Afwijzen"))],
        error_messages={"required": CHOOSE, "invalid_choice": CHOOSE},
    )
    # Required for a decline only (cases.services.respond says so); the browser is told so.
    reason = forms.CharField(
        required=False, max_length=1000, widget=Textarea(attrs={"rows": 2, "required": True})
    )

    def __init__(self, *args, invitation, **kwargs):
        kwargs.setdefault("auto_id", f"antwoord-{invitation.pk}-%s")
        super().__init__(*args, **kwargs)
        self.invitation_pk = invitation.pk
        self.fields["reason"].label = _("Reden van afwijzing (verplicht; %(who)s leest deze)") % {
            "who": invitation.invited_by.organisation
        }


class WorklistFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoek op naam"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Alle"))] + list(CaseStatus.choices)
    )
    role = forms.ChoiceField(label=_("Mijn rol"), required=False)

    def __init__(self, *args, role, **kwargs):
        """``role``: the user's; only the case roles that fit it, and no such filter for
        a role with one (a klantmanager is only ever klantmanager on a team)."""
        super().__init__(*args, **kwargs)
        fitting = [(r.value, r.label) for r in CaseRole if r in CASE_ROLES_BY_ROLE.get(role, ())]
        if len(fitting) < 2:
            del self.fields["role"]
        else:
            self.fields["role"].choices = [("", _("Alle")), *fitting]


def clean_agreement_rows(form, cleaned, rows):
    """The agreement rows ``what_i``, ``owner_i``, ``due_i`` (i = 1..rows) of ``form``: an
    empty row is skipped, a started one needs all three and a planned date. Adds the errors
    to ``form``; returns the complete rows as (what, owner, due)."""
    agreements = []
    for i in range(1, rows + 1):
        what = (cleaned.get(f"what_{i}") or "").strip()
        owner = (cleaned.get(f"owner_{i}") or "").strip()
        due = cleaned.get(f"due_{i}")
        if not (what or owner or due or f"due_{i}" in form.errors):
            continue
        if not what:
            form.add_error(f"what_{i}", _("Vul in wat er is afgesproken."))
        if not owner:
            form.add_error(f"owner_{i}", _("Vul in wie de afspraak uitvoert."))
        if due is None:
            if f"due_{i}" not in form.errors:
                form.add_error(f"due_{i}", _("Vul een datum in."))
            continue
        try:
            planned(due)
        except forms.ValidationError as problem:
            form.add_error(f"due_{i}", problem)
            continue
        if what and owner:
            agreements.append((what, owner, due))
    return agreements


class DriegesprekPlanForm(forms.ModelForm):
    class Meta:
        model = Driegesprek
        fields = ["planned_at", "location", "participants"]
        widgets = {
            "planned_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            )
        }

    def clean_planned_at(self):
        value = self.cleaned_data["planned_at"]
        # The current minute still counts: the field has no seconds.
        if value < timezone.now().replace(second=0, microsecond=0):
            raise forms.ValidationError(
                _("Dit tijdstip ligt in het verleden. Kies een moment dat nog komt.")
            )
        planned(timezone.localtime(value).date())
        return value


class DriegesprekRecordForm(forms.Form):
    """The report of a held driegesprek, with up to three agreements that land on the case."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(
        label=_("Verslag"), widget=Textarea(attrs={"rows": 5}), max_length=10000
    )

    AGREEMENT_ROWS = 3

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        for i in range(1, self.AGREEMENT_ROWS + 1):
            self.fields[f"what_{i}"] = forms.CharField(
                label=_("Afspraak %(n)s: wat") % {"n": i}, required=False, max_length=300
            )
            self.fields[f"owner_{i}"] = forms.CharField(
                label=_("Afspraak %(n)s: wie") % {"n": i}, required=False, max_length=150
            )
            self.fields[f"due_{i}"] = forms.DateField(
                label=_("Afspraak %(n)s: uiterlijk op") % {"n": i},
                required=False,
                widget=DateInput(),
            )

    def clean(self):
        cleaned = super().clean()
        self.agreements = clean_agreement_rows(self, cleaned, self.AGREEMENT_ROWS)
        if not self.meeting.has_started:
            raise forms.ValidationError(not_started_message(self.meeting))
        return cleaned


def not_started_message(meeting):
    return _(
        "Dit driegesprek begint pas op %(when)s. Leg het verslag vast als het gesprek is gehouden."
    ) % {"when": date_format(timezone.localtime(meeting.planned_at), "j F Y H:i")}


class GoalStatusForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)


class LeadForm(forms.Form):
    """The beheerder picks who leads a case without a lead. ``candidates``: the users
    services.lead_candidates gives, read once for all the cases on the page."""

    lead = forms.TypedChoiceField(label=_("Nieuwe regievoerder"), coerce=int)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].choices = [("", _("Kies een collega"))] + [
            # With the e-mail address: two colleagues may share a name.
            (user.pk, f"{user.get_full_name()} ({user.get_role_display()}, {user.email})")
            for user in candidates
        ]
