from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from consent.constants import Category, shared_notice
from portal.constants import OrganisationType
from portal.forms import CarriesVersion, Textarea
from portal.models import Organisation

from . import leidraad_content as content
from .constants import ExternalDestination, Judgement, ReferralKind
from .forms import REFERRAL_REASON_HELP, DateInput, clean_agreement_rows

MAX_TEXT = 4000
MAX_UPLOAD_BYTES = 200_000


class VersionForm(CarriesVersion, forms.Form):
    """Carries the version of the session the user started from (optimistic locking); one
    that comes back missing or garbled is refused with a message (CarriesVersion)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class SelectionForm(VersionForm):
    """Step 1: which themes matter now, and the client's own questions."""

    notice = shared_notice(Category.LEIDRAAD)

    themes = forms.MultipleChoiceField(
        label=_("Welke thema's zijn nu belangrijk voor de cliënt?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Kies minstens één thema om over te praten."),
            "invalid_choice": _("Kies thema's uit de lijst."),
        },
    )
    client_questions = forms.CharField(
        label=_("Eigen vragen van de cliënt"),
        required=False,
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 4}),
        help_text=_("Wat wil de cliënt zelf vragen of bespreken? Eén vraag per regel."),
    )

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["themes"].choices = [(t["key"], t["title"]) for t in session.guide.themes]

    def clean_themes(self):
        chosen = self.cleaned_data["themes"]
        for note in self.session.theme_notes.all():
            if note.theme not in chosen and (note.notes or note.judgement):
                raise forms.ValidationError(
                    _(
                        "Bij '%(theme)s' staat al iets genoteerd. Maak dat in stap 2 eerst "
                        "leeg als u dit thema niet meer wilt bespreken."
                    )
                    % {"theme": self.session.guide.theme_title(note.theme)}
                )
        return chosen


class NotesForm(VersionForm):
    """Step 2: per selected theme, notes on the client's answers and the agreed judgement."""

    notice = shared_notice(Category.LEIDRAAD)

    def __init__(self, *args, themes, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for item in themes:
            key, title = item["theme"]["key"], item["theme"]["title"]
            note = item["note"]
            self.fields[f"notes_{key}"] = forms.CharField(
                label=_("Wat vertelt de cliënt over '%(theme)s'?") % {"theme": title},
                required=False,
                max_length=MAX_TEXT,
                initial=note.notes,
                widget=Textarea(attrs={"rows": 4}),
            )
            self.fields[f"judgement_{key}"] = forms.ChoiceField(
                label=_("Wat doet werk nu voor het herstel, op dit thema?"),
                required=False,
                choices=Judgement.choices,
                initial=note.judgement,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": _("Kies een oordeel uit de lijst.")},
                help_text=_("Het oordeel waarover de cliënt en u het eens zijn."),
            )
            self.rows.append(
                {
                    "item": item,
                    "notes": self[f"notes_{key}"],
                    "judgement": self[f"judgement_{key}"],
                }
            )

    def values(self):
        return {
            row["item"]["theme"]["key"]: (
                self.cleaned_data[f"notes_{row['item']['theme']['key']}"],
                self.cleaned_data[f"judgement_{row['item']['theme']['key']}"],
            )
            for row in self.rows
        }


class AgreementRowsForm(forms.Form):
    """Step 3: up to three next steps (what, who, by when) that land on the case."""

    ROWS = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for i in range(1, self.ROWS + 1):
            self.fields[f"what_{i}"] = forms.CharField(
                label=_("Wat"), required=False, max_length=300
            )
            self.fields[f"owner_{i}"] = forms.CharField(
                label=_("Wie"),
                required=False,
                max_length=150,
                help_text=_("Bijvoorbeeld: de cliënt, of een naam."),
            )
            self.fields[f"due_{i}"] = forms.DateField(
                label=_("Uiterlijk op"), required=False, widget=DateInput()
            )
            self.rows.append([self[f"what_{i}"], self[f"owner_{i}"], self[f"due_{i}"]])

    def clean(self):
        cleaned = super().clean()
        self.agreements = clean_agreement_rows(self, cleaned, self.ROWS)
        if not self.errors and not self.agreements:
            raise forms.ValidationError(_("Vul minstens één afspraak in."))
        return cleaned


class ReferralForm(forms.Form):
    """Step 3: one referral. Each kind has its own small form on the page (one click)."""

    organisation = forms.ModelChoiceField(
        label=_("Gemeente of UWV"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    destination = forms.ChoiceField(
        label=_("Naar wie verwijst u?"),
        choices=ExternalDestination.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reden"),
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, kind, **kwargs):
        kwargs.setdefault("prefix", f"verwijzing-{kind}")
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == ReferralKind.KLANTMANAGER:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                type__in=[OrganisationType.GEMEENTE, OrganisationType.UWV]
            )
        else:
            del self.fields["organisation"]
        if kind != ReferralKind.EXTERN:
            del self.fields["destination"]
        if kind == ReferralKind.GEEN:
            self.fields["reason"].label = _("Waarom is geen verwijzing nodig?")
        else:
            self.fields["reason"].label = _("Reden (mag leeg blijven)")
            self.fields["reason"].help_text = _(
                "Leeg gelaten: 'Afgesproken in het gesprek over werk' met de datum."
            )
            if kind in (ReferralKind.IPS, ReferralKind.KLANTMANAGER):
                self.fields["reason"].help_text = format_lazy(
                    "{} {}", self.fields["reason"].help_text, REFERRAL_REASON_HELP
                )

    def clean(self):
        cleaned = super().clean()
        if self.kind == ReferralKind.KLANTMANAGER and not cleaned.get("organisation"):
            self.add_error("organisation", _("Kies de gemeente of het UWV."))
        if self.kind == ReferralKind.EXTERN and not cleaned.get("destination"):
            self.add_error("destination", _("Kies naar wie u verwijst: de bedrijfsarts of UWV."))
        if self.kind == ReferralKind.GEEN and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Geef een reden waarom geen verwijzing nodig is."))
        return cleaned


class CorrectionForm(forms.Form):
    notice = shared_notice(Category.LEIDRAAD)

    body = forms.CharField(
        label=_("Correctie of aanvulling"),
        max_length=MAX_TEXT,
        widget=Textarea(attrs={"rows": 5}),
        help_text=_("Het afgeronde gesprek blijft zoals het was. Uw correctie staat eronder."),
    )


class PublishForm(forms.Form):
    """A beheerder publishes a new version of the guide: paste JSON or upload a file."""

    text = forms.CharField(
        label=_("Inhoud (JSON)"),
        required=False,
        widget=Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text=_("Plak hier de inhoud, of kies hieronder een bestand."),
    )
    upload = forms.FileField(label=_("Of upload een JSON-bestand"), required=False)
    note = forms.CharField(
        label=_("Wat is er veranderd?"),
        max_length=500,
        help_text=_("Kort, voor de lijst met versies. Bijvoorbeeld: vragen over geld herschreven."),
    )

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("upload"), (cleaned.get("text") or "").strip()
        if upload is not None and text:
            # Which of the two is meant is not ours to guess: the one not taken would be
            # lost without a word (pasted edits, or the file chosen to publish).
            raise forms.ValidationError(
                _("Plak de inhoud óf kies een bestand, niet allebei. Maak het andere leeg.")
            )
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(_("Het bestand is te groot (hoogstens 200 kB)."))
            try:
                # "utf-8-sig": a byte-order mark (Windows Kladblok's "UTF-8 met BOM") is read
                # as no part of the text.
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("Het bestand is geen UTF-8-tekst.")) from exc
        if not text:
            raise forms.ValidationError(_("Plak de inhoud of kies een bestand."))
        cleaned["text"] = text
        self.content = content.validate(content.parse(text))
        return cleaned
