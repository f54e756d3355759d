"""The one form for logging a motivational conversation: usual case in under two minutes
(today, the user as participant, face to face), change talk per DARN-CAT type, the agreed
next step, and an optional MITI self-assessment. Also used to edit (within seven days) and
to correct (a new linked log)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consent.constants import Category, shared_notice
from portal.forms import CarriesVersion, DateInput, Textarea, happened, planned

from .constants import ChangeTalkKind, ConversationForm, StageOfChange, TargetBehaviour
from .models.conversation import MAX_COUNT, MAX_MINUTES

MAX_TEXT = 4000
NEXT_STEP_DAYS = 14
SCORES = [("", _("— geen score —"))] + [(str(n), str(n)) for n in range(1, 6)]


def _ruler(label, help_text):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=10,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": _("Vul een getal van 0 tot en met 10 in."),
            "max_value": _("Vul een getal van 0 tot en met 10 in."),
            "invalid": _("Vul een heel getal van 0 tot en met 10 in."),
        },
    )


def _count(label):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_COUNT,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": _("Een aantal kan niet negatief zijn."),
            "max_value": _("Vul hoogstens %(limit_value)s in."),
            "invalid": _("Vul een heel getal in (0 of meer)."),
        },
    )


def _global(label, help_text):
    return forms.TypedChoiceField(
        label=label,
        required=False,
        choices=SCORES,
        coerce=int,
        empty_value=None,
        help_text=help_text,
        error_messages={"invalid_choice": _("Kies een score van 1 tot en met 5.")},
    )


class ConversationLogForm(CarriesVersion, forms.Form):
    """``mode``: "new" (with next step and self-assessment), "edit" (with version and
    self-assessment) or "correct" (with the reason for the correction)."""

    notice = shared_notice(Category.GESPREKSVERSLAGEN)

    held_on = forms.DateField(
        label=_("Datum van het gesprek"),
        widget=DateInput(),
        error_messages={
            "required": _("Vul de datum van het gesprek in."),
            "invalid": _("Vul een geldige datum in."),
        },
    )
    duration_minutes = forms.IntegerField(
        label=_("Duur in minuten"),
        min_value=1,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Vul in hoe lang het gesprek duurde, in minuten."),
            "min_value": _("De duur is minstens 1 minuut."),
            "max_value": _("Een gesprek duurt hoogstens 8 uur (480 minuten)."),
            "invalid": _("Vul de duur in als heel getal, in minuten."),
        },
    )
    participants = forms.CharField(
        label=_("Wie deden mee"),
        max_length=300,
        error_messages={"required": _("Vul in wie aan het gesprek deelnamen.")},
    )
    form = forms.ChoiceField(
        label=_("Vorm"),
        choices=ConversationForm.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies de vorm van het gesprek."),
            "invalid_choice": _("Kies een vorm uit de lijst."),
        },
    )
    target_behaviour = forms.ChoiceField(
        label=_("Doelgedrag"),
        choices=TargetBehaviour.choices,
        help_text=_("Waar gaat de verandering over?"),
        error_messages={
            "required": _("Kies het doelgedrag."),
            "invalid_choice": _("Kies een doelgedrag uit de lijst."),
        },
    )
    target_other = forms.CharField(
        label=_("Ander doelgedrag"),
        required=False,
        max_length=200,
        help_text=_("Alleen bij 'Anders'."),
    )
    stage = forms.ChoiceField(
        label=_("Fase van verandering"),
        choices=StageOfChange.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies de fase van verandering."),
            "invalid_choice": _("Kies een fase van verandering uit de lijst."),
        },
    )
    importance = _ruler(
        _("Belang (0–10)"), _("“Hoe belangrijk is werk voor u nu?” Leeg als niet gevraagd.")
    )
    confidence = _ruler(
        _("Vertrouwen (0–10)"),
        _("“Hoeveel vertrouwen heeft u dat het lukt?” Leeg als niet gevraagd."),
    )
    sustain_talk = forms.CharField(
        label=_("Behoudtaal"),
        required=False,
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2}),
        help_text=_("Wat zei de cliënt om het bij het oude te laten?"),
    )
    discord = forms.CharField(
        label=_("Onenigheid (discord)"),
        required=False,
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 2}),
    )
    summary = forms.CharField(
        label=_("Samenvatting"),
        required=False,
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 3}),
    )
    zvw_funded = forms.BooleanField(
        label=_("Telt als Zvw-gefinancierd motiverend gesprek vóór IPS"),
        required=False,
        help_text=_("De zorgverzekeraar betaalt gewoonlijk de eerste 8 gesprekken."),
    )

    def __init__(self, *args, mode="new", **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.change_talk_rows = []
        for kind in ChangeTalkKind:
            self.fields[f"talk_{kind.value}"] = forms.BooleanField(label=kind.label, required=False)
            self.fields[f"quote_{kind.value}"] = forms.CharField(
                label=_("Uitspraak bij ‘%(kind)s’") % {"kind": kind.label},
                required=False,
                max_length=300,
            )
            self.change_talk_rows.append(
                {
                    "kind": kind,
                    "heard": self[f"talk_{kind.value}"],
                    "quote": self[f"quote_{kind.value}"],
                }
            )
        if mode == "new":
            self.fields["next_what"] = forms.CharField(
                label=_("Afgesproken volgende stap"),
                required=False,
                max_length=300,
                help_text=_("Komt als afspraak op de casus. Leeg als er niets is afgesproken."),
            )
            self.fields["next_owner"] = forms.CharField(
                label=_("Wie doet het"), required=False, max_length=150
            )
            self.fields["next_due"] = forms.DateField(
                label=_("Uiterlijk op"),
                required=False,
                widget=DateInput(),
                error_messages={"invalid": _("Vul een geldige datum in.")},
            )
        if mode in ("new", "edit"):
            self.fields["questions"] = _count(_("Vragen"))
            self.fields["simple_reflections"] = _count(_("Enkelvoudige reflecties"))
            self.fields["complex_reflections"] = _count(_("Complexe reflecties"))
            self.fields["cultivating_change_talk"] = _global(
                _("Verandertaal uitlokken"), _("1 (laag) tot 5 (hoog)")
            )
            self.fields["softening_sustain_talk"] = _global(
                _("Behoudtaal afzwakken"), _("1 (laag) tot 5 (hoog)")
            )
            self.fields["partnership"] = _global(
                _("Samenwerking (partnership)"), _("1 (laag) tot 5 (hoog)")
            )
            self.fields["empathy"] = _global(_("Empathie"), _("1 (laag) tot 5 (hoog)"))
        if mode == "edit":
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
        if mode == "correct":
            self.fields["correction_reason"] = forms.CharField(
                label=_("Wat verbetert deze correctie?"),
                max_length=MAX_TEXT,
                widget=Textarea(attrs={"rows": 2}),
                error_messages={"required": _("Geef aan wat de correctie verbetert.")},
            )

    MITI_FIELDS = (
        "questions",
        "simple_reflections",
        "complex_reflections",
        "cultivating_change_talk",
        "softening_sustain_talk",
        "partnership",
        "empathy",
    )

    @classmethod
    def initial_for(cls, user, previous=None, funded_so_far=0):
        """Defaults for the usual case: today, 45 minutes, face to face, the client and the
        user, the target behaviour of the previous log, Zvw while fewer than 8 counted."""
        from .conversation_services import USUAL_ZVW_CONVERSATIONS

        today = timezone.localdate()
        return {
            "held_on": today,
            "duration_minutes": 45,
            "participants": _("Cliënt en %(name)s") % {"name": user.get_full_name() or user},
            "form": ConversationForm.PERSOONLIJK,
            "target_behaviour": previous.target_behaviour
            if previous
            else TargetBehaviour.WERK_ZOEKEN,
            "target_other": previous.target_other if previous else "",
            "zvw_funded": funded_so_far < USUAL_ZVW_CONVERSATIONS,
            "next_owner": _("Cliënt"),
            "next_due": today + datetime.timedelta(days=NEXT_STEP_DAYS),
        }

    @classmethod
    def initial_from(cls, conversation, assessment=None):
        """The values of an existing log (to edit it, or to start a correction)."""
        from .conversation_services import FIELDS

        initial = {name: getattr(conversation, name) for name in FIELDS}
        initial["version"] = conversation.version
        for talk in conversation.change_talk.all():
            initial[f"talk_{talk.kind}"] = True
            initial[f"quote_{talk.kind}"] = talk.quote
        if assessment is not None:
            for name in cls.MITI_FIELDS:
                initial[name] = getattr(assessment, name)
        return initial

    def clean_held_on(self):
        return happened(
            self.cleaned_data["held_on"],
            future=_("De datum van het gesprek ligt in de toekomst."),
        )

    def clean(self):
        cleaned = super().clean()
        behaviour = cleaned.get("target_behaviour")
        other = cleaned.get("target_other", "").strip()
        if behaviour == TargetBehaviour.ANDERS and not other:
            self.add_error("target_other", _("Beschrijf het doelgedrag bij ‘Anders’."))
        elif behaviour and behaviour != TargetBehaviour.ANDERS and other:
            # Not saved with another choice: said here, not dropped without a word.
            self.add_error(
                "target_other",
                _(
                    "Kies bij ‘Doelgedrag’ voor ‘Anders’ als u hier een ander doelgedrag "
                    "beschrijft, of maak dit veld leeg."
                ),
            )
        for kind in ChangeTalkKind:
            if cleaned.get(f"quote_{kind.value}") and not cleaned.get(f"talk_{kind.value}"):
                self.add_error(
                    f"quote_{kind.value}",
                    _("Vink ‘%(kind)s’ aan als u hierbij een uitspraak noteert.")
                    % {"kind": kind.label},
                )
        if self.mode == "new":
            self._clean_next_step(cleaned)
        if self.mode in ("new", "edit"):
            self._clean_miti(cleaned)
        return cleaned

    def _clean_next_step(self, cleaned):
        if not cleaned.get("next_what", "").strip():
            return
        if not cleaned.get("next_owner", "").strip():
            self.add_error("next_owner", _("Vul in wie de volgende stap zet."))
        due = cleaned.get("next_due")
        if due is None and "next_due" not in self.errors:
            self.add_error("next_due", _("Vul in wanneer de volgende stap uiterlijk gebeurt."))
        elif due is not None:
            try:
                planned(due)
            except forms.ValidationError as problem:
                self.add_error("next_due", problem)

    def _clean_miti(self, cleaned):
        names = [n for n in self.MITI_FIELDS if n not in self.errors]
        filled = [n for n in names if cleaned.get(n) is not None]
        if filled and len(filled) < len(self.MITI_FIELDS):
            for name in names:
                if cleaned.get(name) is None:
                    self.add_error(
                        name,
                        _(
                            "Vul voor de zelfbeoordeling alle zeven onderdelen in, "
                            "of laat ze allemaal leeg."
                        ),
                    )

    @property
    def miti_open(self):
        """Show the self-assessment unfolded when it has values or errors."""
        names = [n for n in self.MITI_FIELDS if n in self.fields]
        return any(n in self.errors for n in names) or any(
            self[n].value() not in (None, "") for n in names
        )

    @property
    def miti_bound_fields(self):
        return [self[n] for n in self.MITI_FIELDS if n in self.fields]

    # --- What the service needs ---------------------------------------------------------

    def data_fields(self):
        from .conversation_services import FIELDS

        data = {name: self.cleaned_data[name] for name in FIELDS}
        data["target_other"] = (
            data["target_other"].strip()
            if data["target_behaviour"] == TargetBehaviour.ANDERS
            else ""
        )
        return data

    def change_talk(self):
        return {
            kind.value: self.cleaned_data[f"quote_{kind.value}"].strip()
            for kind in ChangeTalkKind
            if self.cleaned_data[f"talk_{kind.value}"]
        }

    def miti(self):
        values = {name: self.cleaned_data.get(name) for name in self.MITI_FIELDS}
        if any(value is None for value in values.values()):
            return None
        return values

    def next_step(self):
        what = self.cleaned_data.get("next_what", "").strip()
        if not what:
            return None
        return (what, self.cleaned_data["next_owner"].strip(), self.cleaned_data["next_due"])
