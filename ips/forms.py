import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from consent.constants import Category, shared_notice
from portal.fields import HoursField, model_label
from portal.forms import CarriesVersion, DateInput, Textarea, happened, planned

from .constants import (
    FIDELITY_ITEMS,
    FIDELITY_SCORE_MAX,
    FIDELITY_SCORE_MIN,
    MAX_HOURS_PER_WEEK,
    MIN_JOB_HOURS_PER_WEEK,
    CloseReason,
    Phase,
    PlacementEndReason,
    ReviewKind,
)
from .models import (
    Beroepsprofiel,
    EmployerContact,
    FidelityReview,
    FollowAlongContact,
    IpsTeam,
    Placement,
)
from .services import allowed_next


class PhaseForm(CarriesVersion, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to_phase = forms.ChoiceField(label=_("Nieuwe fase"), choices=Phase.choices)
    changed_on = forms.DateField(label=_("Per datum"), widget=DateInput())
    wants_paid_work = forms.TypedChoiceField(
        label=_("Wil de cliënt betaald werk?"),
        choices=[("", _("Nog niet gevraagd")), ("ja", _("Ja")), ("nee", _("Nee"))],
        coerce=lambda v: {"ja": True, "nee": False}.get(v),
        empty_value=None,
        required=False,
        help_text=_("De enige vraag bij de intake (geen selectie: iedereen die wil, doet mee)."),
    )
    close_reason = forms.ChoiceField(
        label=_("Reden van afsluiten"),
        choices=[("", "—")] + list(CloseReason.choices),
        required=False,
        help_text=_("Alleen bij afsluiten."),
    )
    close_note = forms.CharField(
        label=_("Toelichting bij afsluiten"),
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Toelichting (optioneel)"),
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, trajectory, placements=(), **kwargs):
        kwargs.setdefault(
            "initial", {"version": trajectory.version, "changed_on": timezone.localdate()}
        )
        super().__init__(*args, **kwargs)
        # Any phase is accepted by the field so that a refused move gets the phase
        # machine's own explanation; only the allowed ones are offered.
        self.fields["to_phase"].widget.choices = [
            (p.value, p.label) for p in allowed_next(trajectory, placements)
        ]
        if trajectory.phase != Phase.INTAKE:
            del self.fields["wants_paid_work"]
        elif trajectory.wants_paid_work is not None:
            self.fields["wants_paid_work"].initial = "ja" if trajectory.wants_paid_work else "nee"
        if Phase.AFGESLOTEN not in allowed_next(trajectory):
            del self.fields["close_reason"]
            del self.fields["close_note"]

    def clean_changed_on(self):
        return happened(self.cleaned_data["changed_on"])

    def clean(self):
        cleaned = super().clean()
        to_phase = cleaned.get("to_phase")
        if (
            to_phase == Phase.AFGESLOTEN
            and cleaned.get("close_reason") == CloseReason.ANDERS
            and not cleaned.get("close_note")
        ):
            self.add_error(
                "close_note", _("Licht bij ‘Anders’ toe waarom het traject wordt afgesloten.")
            )
        if to_phase and to_phase != Phase.AFGESLOTEN:
            # Only used when closing: said here, not dropped without a word.
            if cleaned.get("close_reason"):
                self.add_error(
                    "close_reason",
                    _(
                        "Een reden van afsluiten hoort alleen bij de fase ‘Afgesloten’. Kies "
                        "‘—’ of sluit het traject af."
                    ),
                )
            if cleaned.get("close_note", "").strip():
                self.add_error(
                    "close_note",
                    _(
                        "Alleen bij afsluiten. Zet uw toelichting bij ‘Toelichting "
                        "(optioneel)’, of sluit het traject af."
                    ),
                )
        return cleaned


class ProfileForm(forms.ModelForm):
    # All of it, what the employer may hear about the illness included, is IPS data.
    notice = shared_notice(Category.IPS)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A wish, so anything more than nothing; empty while it is not known.
    preferred_hours = HoursField(
        above=Decimal(0),
        maximum=MAX_HOURS_PER_WEEK,
        required=False,
        label=model_label(Beroepsprofiel, "preferred_hours"),
    )

    class Meta:
        model = Beroepsprofiel
        fields = [
            "disclosure",
            "disclosure_note",
            "work_history",
            "education",
            "preferred_sectors",
            "preferred_hours",
            "travel",
            "strengths",
            "barriers",
            "support_needed",
        ]
        widgets = {
            "disclosure": forms.RadioSelect,
            "disclosure_note": Textarea(attrs={"rows": 3}),
            "work_history": Textarea(attrs={"rows": 3}),
            "education": Textarea(attrs={"rows": 2}),
            "strengths": Textarea(attrs={"rows": 3}),
            "barriers": Textarea(attrs={"rows": 3}),
            "support_needed": Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


def _not_before_referral(value, trajectory, message):
    """A date of the trajectory's work: not before the referral to IPS (the figures count
    days from it). ``message`` names what is dated, with %(date)s for the referral."""
    referred = timezone.localdate(trajectory.referred_at)
    if value < referred:
        raise forms.ValidationError(message % {"date": referred.strftime("%d-%m-%Y")})
    return value


class EmployerContactForm(forms.ModelForm):
    """An employer contact: for the client of ``trajectory``, or general (no trajectory)."""

    outcome = forms.CharField(
        label=_("Uitkomst"),
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = EmployerContact
        fields = ["contacted_on", "employer", "contact_person", "type", "face_to_face", "outcome"]
        widgets = {"contacted_on": DateInput()}

    def __init__(self, *args, trajectory=None, **kwargs):
        kwargs.setdefault("initial", {"contacted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory

    def clean_contacted_on(self):
        value = happened(self.cleaned_data["contacted_on"])
        if self.trajectory is not None:
            _not_before_referral(
                value,
                self.trajectory,
                _("Het contact ligt vóór de aanmelding voor IPS (%(date)s)."),
            )
        return value


WAGE_TYPED = re.compile(r"-?[0-9]+(?:[.,][0-9]{1,2})?")  # a minus: "niet negatief"
WAGE_INVALID = _("Vul het uurloon in als bedrag, bijvoorbeeld 14,50.")


class PlacementForm(forms.ModelForm):
    override_reason = forms.CharField(
        label=_("Reden van de correctie"),
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 2}),
    )
    hours_per_week = HoursField(
        minimum=MIN_JOB_HOURS_PER_WEEK,
        maximum=MAX_HOURS_PER_WEEK,
        label=model_label(Placement, "hours_per_week"),
    )
    competitive_override = forms.NullBooleanField(
        label=_("Regulier betaald werk: correctie"),
        required=False,
        widget=forms.Select(
            choices=[
                ("unknown", _("Geen correctie: afleiden uit uurloon en soort plek")),
                ("true", _("Wel regulier betaald werk")),
                ("false", _("Geen regulier betaald werk")),
            ]
        ),
        help_text=_(
            "Het portaal leidt ‘regulier betaald werk’ af: minstens het minimumloon en geen "
            "apart gezette plek. Wijk alleen af met een reden."
        ),
    )

    class Meta:
        model = Placement
        fields = [
            "employer",
            "job_title",
            "start_date",
            "hours_per_week",
            "hourly_wage",
            "contract_type",
            "set_aside",
            "competitive_override",
            "override_reason",
        ]
        widgets = {
            "start_date": DateInput(),
            "hourly_wage": forms.TextInput(attrs={"inputmode": "decimal"}),
        }
        # Typed the Dutch way: € 14,50 an hour (the hours: HoursField).
        localized_fields = ["hourly_wage"]
        error_messages = {
            "hourly_wage": {
                "min_value": _("Het uurloon kan niet negatief zijn."),
                "max_value": _(
                    "Een uurloon boven € %(limit_value)s is vast een typefout. Vul het bedrag "
                    "in met een komma, bijvoorbeeld 14,50."
                ),
                "invalid": WAGE_INVALID,
            },
        }

    def __init__(self, *args, trajectory, **kwargs):
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory

    def clean_hourly_wage(self):
        # As typed: euros and at most two cents digits. Django's decimal field also takes
        # an exponent (1e3 became € 1.000 an hour).
        typed = str(self.data.get(self.add_prefix("hourly_wage"), "")).strip()
        if not WAGE_TYPED.fullmatch(typed):
            raise forms.ValidationError(WAGE_INVALID, code="invalid")
        return self.cleaned_data["hourly_wage"]

    def clean_start_date(self):
        value = self.cleaned_data["start_date"]
        referred = timezone.localdate(self.trajectory.referred_at)
        if value < referred:
            raise forms.ValidationError(
                _("De baan begint vóór de aanmelding voor IPS (%(date)s).")
                % {"date": referred.strftime("%d-%m-%Y")}
            )
        return planned(value, earliest=referred)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("competitive_override") is not None
            and not (cleaned.get("override_reason") or "").strip()
        ):
            self.add_error("override_reason", _("Geef een reden voor de correctie."))
        return cleaned


class PlacementEndForm(CarriesVersion, forms.ModelForm):
    """The end of a job: its date and reason. A job that has not started may also not go
    ahead ('Niet doorgegaan'): then no date is asked for; it ends on the day that is
    recorded, before its start (Placement.clean refuses it for a job that has started)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Placement
        fields = ["end_date", "end_reason"]
        widgets = {"end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.fields["end_reason"].required = True
        # Asked for in clean(): not for a job that does not go ahead.
        end_date = self.fields["end_date"]
        end_date.required = False
        reason = self.fields["end_reason"]
        if self.instance.has_started:
            end_date.widget.attrs["required"] = True
            # Not offered; a form opened before the start that still posts it is told why.
            reason.widget.choices = [
                (value, label)
                for value, label in reason.choices
                if value != PlacementEndReason.NIET_DOORGEGAAN
            ]
        else:
            end_date.help_text = _(
                "Gaat de baan niet door? Kies dan de reden ‘Niet doorgegaan’ en laat de "
                "einddatum leeg."
            )

    def clean(self):
        cleaned = super().clean()
        end, reason = cleaned.get("end_date"), cleaned.get("end_reason")
        today = timezone.localdate()
        if reason == PlacementEndReason.NIET_DOORGEGAAN:
            typed = end is not None and end != today and "end_date" in self.changed_data
            if typed and not self.instance.has_started:
                self.add_error(
                    "end_date",
                    _(
                        "Laat de einddatum leeg bij ‘Niet doorgegaan’: de baan begint niet, "
                        "dus er is geen laatste werkdag."
                    ),
                )
            else:
                # Recorded today; for a job that has started Placement.clean says why not.
                cleaned["end_date"] = today
        elif end is None:
            if "end_date" not in self.errors:
                self.add_error("end_date", _("Vul de einddatum in."))
        elif end < self.instance.start_date:
            self.add_error("end_date", _("De einddatum ligt vóór de begindatum."))
        else:
            try:
                planned(end, earliest=self.instance.start_date)
            except forms.ValidationError as problem:
                self.add_error("end_date", problem)
        return cleaned


class FollowAlongForm(forms.ModelForm):
    note = forms.CharField(
        label=_("Wat is besproken"),
        max_length=2000,
        widget=Textarea(attrs={"rows": 3}),
        help_text=shared_notice(Category.IPS),
    )

    class Meta:
        model = FollowAlongContact
        fields = ["contacted_on", "with_whom", "placement", "note"]
        widgets = {"contacted_on": DateInput()}

    def __init__(self, *args, trajectory, placements, **kwargs):
        """``placements``: the jobs to choose from, already read (the page logs them as
        read): the choices are made from them, not read again."""
        kwargs.setdefault("initial", {"contacted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.trajectory = trajectory
        field = self.fields["placement"]
        field.queryset = Placement.objects.filter(pk__in=[p.pk for p in placements])
        field.choices = [
            ("", field.empty_label),
            *((p.pk, field.label_from_instance(p)) for p in placements),
        ]
        field.required = False
        field.label = _("Over de baan (optioneel)")

    def clean_contacted_on(self):
        return _not_before_referral(
            happened(self.cleaned_data["contacted_on"]),
            self.trajectory,
            _("Het contact ligt vóór de aanmelding voor IPS (%(date)s)."),
        )

    def clean(self):
        cleaned = super().clean()
        day, placement = cleaned.get("contacted_on"), cleaned.get("placement")
        if day and placement and day < placement.start_date:
            self.add_error(
                "contacted_on",
                _("Het contact ligt vóór het begin van de baan (%(date)s).")
                % {"date": placement.start_date.strftime("%d-%m-%Y")},
            )
        return cleaned


class ReviewForm(forms.ModelForm):
    class Meta:
        model = FidelityReview
        fields = ["kind", "review_date", "reviewers"]
        widgets = {"review_date": DateInput(), "kind": forms.RadioSelect}
        help_texts = {"reviewers": _("Namen van wie de meting deden, gescheiden door komma's.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the real kinds, none chosen beforehand: the model field's blank "---------"
        # would be a radio button of its own, and the checked one.
        self.fields["kind"].choices = ReviewKind.choices

    def clean_review_date(self):
        return happened(self.cleaned_data["review_date"])


class ScoresForm(CarriesVersion, forms.Form):
    """The 25 items: a score 1–5 (empty while still a concept) and a note each."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, scores, notes, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version
        score_choices = [("", "—")] + [
            (str(n), str(n)) for n in range(FIDELITY_SCORE_MIN, FIDELITY_SCORE_MAX + 1)
        ]
        self.items = []
        for code, section, name, original, help_text in FIDELITY_ITEMS:
            score = forms.IntegerField(
                label=name,
                required=False,
                min_value=FIDELITY_SCORE_MIN,
                max_value=FIDELITY_SCORE_MAX,
                help_text=help_text,
                widget=forms.Select(choices=score_choices),
                initial=scores.get(code),
                error_messages={
                    "min_value": _("Een score ligt tussen 1 en 5."),
                    "max_value": _("Een score ligt tussen 1 en 5."),
                    "invalid": _("Een score ligt tussen 1 en 5."),
                },
            )
            note = forms.CharField(
                label=_("Toelichting bij %(item)s") % {"item": name},
                required=False,
                max_length=2000,
                initial=notes.get(code, ""),
                widget=Textarea(attrs={"rows": 1}),
            )
            self.fields[f"score_{code}"] = score
            self.fields[f"note_{code}"] = note
            self.items.append((code, section, original))

    def rows(self):
        """[(section, [(code, original name, score field, note field)])] for the template."""
        grouped = {}
        for code, section, original in self.items:
            grouped.setdefault(section, []).append(
                (code, original, self[f"score_{code}"], self[f"note_{code}"])
            )
        return list(grouped.items())

    def values(self):
        return {
            code: (
                self.cleaned_data.get(f"score_{code}"),
                self.cleaned_data.get(f"note_{code}", ""),
            )
            for code, _section, _original in self.items
        }


class TeamForm(forms.ModelForm):
    """An IPS team of the beheerder's organisation: a new one, or a new name."""

    class Meta:
        model = IpsTeam
        fields = ["name"]
        labels = {"name": _("Naam van het nieuwe IPS-team")}
        help_texts = {"name": _("Bijvoorbeeld naar de plaats of het FACT-team: 'IPS Noord'.")}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        if self.instance.pk:
            self.fields["name"].label = _("Naam")
            self.fields["name"].help_text = ""

    def clean_name(self):
        # The form leaves the organisation out, so the model's unique constraint is not
        # checked by the form: ask here, in the words the beheerder needs.
        name = " ".join(self.cleaned_data["name"].split())
        if (
            IpsTeam.objects.filter(organisation=self.instance.organisation, name__iexact=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(_("Uw organisatie heeft al een IPS-team met deze naam."))
        return name


class TeamMemberForm(forms.Form):
    """The IPS team of one trajectbegeleider: one of ``teams`` (the organisation's), or none.
    Choices come from the given list, so a page of many rows asks for the teams once."""

    team = forms.TypedChoiceField(label=_("IPS-team"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {team.pk: team for team in teams}
        self.fields["team"].choices = [("", _("Geen IPS-team"))] + [
            (team.pk, team.name) for team in teams
        ]

    def clean_team(self):
        pk = self.cleaned_data["team"]
        return None if pk is None else self.teams[pk]


class TransferForm(forms.Form):
    """The beheerder picks who takes over the open trajectories of a coach who left.
    ``candidates``: services.coach_candidates, read once for the whole page; each choice
    shows the caseload the trajectbegeleider already has."""

    coach = forms.TypedChoiceField(label=_("Nieuwe trajectbegeleider"), coerce=int)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {coach.pk: coach for coach in candidates}
        self.fields["coach"].choices = [("", _("Kies een trajectbegeleider"))] + [
            (
                coach.pk,
                ngettext(
                    "%(name)s (%(n)s lopend traject)",
                    "%(name)s (%(n)s lopende trajecten)",
                    coach.caseload,
                )
                % {"name": coach.get_full_name() or coach.email, "n": coach.caseload},
            )
            for coach in candidates
        ]

    def clean_coach(self):
        return self.candidates[self.cleaned_data["coach"]]
