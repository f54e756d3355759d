"""Forms of consent/: recording a consent, withdrawing it (one form, as easy as giving), and
the filters of the beheerder's pages. Every rule gives a Dutch message; nothing is stored
unless the whole form is valid."""

import datetime
import uuid

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from portal.constants import OrganisationType
from portal.forms import DateInput, Textarea, add_months, happened
from portal.models import Organisation

from . import policy
from .constants import (
    CARE_ONLY_CATEGORIES,
    WORK_AND_INCOME,
    Action,
    ConsentMethod,
    ConsentState,
    IdentityCheck,
    Outcome,
    Purpose,
    RequestChannel,
    WithdrawalMethod,
)
from .models import Consent, DataCategory

# Accepted uploads, recognised by their first bytes (never by the file name).
SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
# What a whole file of the kind holds at its end, and within how many of its last bytes (None:
# anywhere after its first bytes): a file cut short (a dropped upload, a scan app stopped
# halfway) is no proof of consent. A PDF reader looks for %%EOF in the last 1 024 bytes; a
# PNG ends with its IEND chunk; a JPEG's end-of-image marker may be followed by more (phones
# append a motion clip), so it is looked for anywhere.
ENDINGS = {"pdf": (b"%%EOF", 1024), "png": (b"IEND\xaeB`\x82", 64), "jpg": (b"\xff\xd9", None)}


def whole(upload, kind):
    """Whether ``upload`` ends as a whole file of ``kind`` does (ENDINGS)."""
    marker, within = ENDINGS[kind]
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return marker in (content[3:] if within is None else content[-within:])


def sniff(head):
    """The kind of file (pdf, jpg, png) its first bytes show, or None."""
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label} — {obj.description}" if obj.description else obj.label


class SupersedesChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("Nr. %(pk)s: %(recipient)s, %(purpose)s, tot en met %(until)s") % {
            "pk": obj.pk,
            "recipient": obj.recipient,
            "purpose": obj.get_purpose_display(),
            "until": obj.valid_until.strftime("%d-%m-%Y"),
        }


def _listing(labels, joined):
    """‘A’, ‘B’ of ‘C’ (``joined`` puts the last two together: "%(first)s of %(last)s")."""
    labels = [f"‘{label}’" for label in labels]
    if len(labels) < 2:
        return "".join(labels)
    return joined % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


def purposes_text(purposes):
    """The purposes, quoted, in the order of the choices: ‘A’, ‘B’ of ‘C’."""
    return _listing([p.label for p in Purpose if p in purposes], _("%(first)s of %(last)s"))


def shares_nothing(purpose, recipient):
    """Why a consent for ``purpose`` to ``recipient`` shares nothing (no one there reads
    under it, policy.usable_purposes), and which purposes do fit: the one explanation the
    consent form, the renewal and the consent page give."""
    usable = policy.usable_purposes(recipient.type)
    kind = OrganisationType(recipient.type).label
    if not usable:
        return _(
            "Bij %(recipient)s, een organisatie van het soort ‘%(kind)s’, kan niemand gedeelde "
            "gegevens inzien."
        ) % {"recipient": recipient, "kind": kind}
    return _(
        "Met het doel ‘%(purpose)s’ kan niemand bij %(recipient)s de gegevens inzien. Bij een "
        "organisatie van het soort ‘%(kind)s’ past alleen %(usable)s."
    ) % {
        "purpose": Purpose(purpose).label,
        "recipient": recipient,
        "kind": kind,
        "usable": purposes_text(usable),
    }


def purpose_help():
    """Under the purpose: the kinds of organisation where not every purpose fits, and the
    ones that do (from the same rule the form enforces). HTML, as Django renders help
    text: escaped here (‘Gemeente (Werk & Inkomen)’)."""
    narrower = {}
    for kind in OrganisationType:
        usable = frozenset(policy.usable_purposes(kind))
        if usable != frozenset(Purpose):
            narrower.setdefault(usable, []).append(kind.label)
    parts = [_("Kies een doel waarvoor de ontvanger de gegevens kan gebruiken.")]
    for usable, kinds in narrower.items():
        kinds = _listing(kinds, _("%(first)s en %(last)s"))
        if usable:
            parts.append(
                _("Bij %(kinds)s past alleen %(purposes)s.")
                % {"kinds": kinds, "purposes": purposes_text(usable)}
            )
        else:
            parts.append(_("Met %(kinds)s kan niets worden gedeeld.") % {"kinds": kinds})
    return escape(" ".join(str(part) for part in parts))


def replaceable_consents(client, provider):
    """Consents of ``client`` given by ``provider`` that a new record may supersede: not
    withdrawn and not superseded already."""
    return (
        Consent.objects.live()
        .filter(client=client, provider=provider)
        .select_related("recipient")
        .order_by("-recorded_at")
    )


class ConsentForm(forms.Form):
    """A consent of ``client``, given by ``provider`` (the recording user's organisation)."""

    recipient = forms.ModelChoiceField(
        label=_("Ontvangende organisatie"),
        queryset=Organisation.objects.none(),
        help_text=_("De organisatie die de gegevens mag ontvangen."),
        error_messages={
            "invalid_choice": _(
                "Kies een ontvangende organisatie uit de lijst. Dat kan niet uw eigen "
                "organisatie zijn."
            ),
        },
    )
    purpose = forms.ChoiceField(label=_("Doel"), choices=Purpose.choices, widget=forms.RadioSelect)
    categories = CategoryChoiceField(
        label=_("Welke gegevens"),
        queryset=DataCategory.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Alleen wat voor het doel nodig is. Medische en behandelinformatie gaat nooit naar "
            "een gemeente of UWV."
        ),
        error_messages={
            "required": _(
                "Kies ten minste één gegevenscategorie. Een toestemming voor alles "
                "(een blanco machtiging) bestaat niet."
            ),
            "invalid_choice": _(
                "Kies alleen gegevens uit de lijst: gegevens van de soort ‘%(value)s’ heeft "
                "uw organisatie niet, dus die kan zij ook niet delen."
            ),
        },
    )
    valid_from = forms.DateField(label=_("Geldig vanaf"), widget=DateInput())
    valid_until = forms.DateField(label=_("Geldig tot en met"), widget=DateInput())
    method = forms.ChoiceField(
        label=_("Hoe is de toestemming gegeven?"),
        choices=ConsentMethod.choices,
        widget=forms.RadioSelect,
    )
    purpose_explained = forms.BooleanField(
        label=_("Ik heb de cliënt uitgelegd waarvoor de gegevens worden gedeeld"),
        error_messages={
            "required": _(
                "Leg de cliënt eerst uit waarvoor de gegevens worden gedeeld en vink dit dan "
                "aan. Zonder uitleg is de toestemming niet geldig."
            ),
        },
    )
    signed_form = forms.FileField(label=_("Ondertekend formulier (optioneel)"), required=False)
    supersedes = SupersedesChoiceField(
        label=_("Vervangt een eerdere toestemming"),
        queryset=Consent.objects.none(),
        required=False,
        empty_label=_("Nee, dit is een nieuwe toestemming"),
        help_text=_(
            "Bij verlengen of wijzigen: kies de toestemming die deze vervangt (zelfde ontvanger "
            "en doel). Die krijgt de status ‘vervangen’ en geldt niet meer; de nieuwe gaat "
            "vandaag in."
        ),
        error_messages={
            "invalid_choice": _(
                "Die toestemming kan niet worden vervangen: ze is ingetrokken, al vervangen of "
                "hoort niet bij deze cliënt."
            ),
        },
    )

    def __init__(self, *args, client, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.provider = provider
        self.max_months = settings.WERKPAD_CONSENT_MAX_MONTHS
        self.fields["recipient"].queryset = Organisation.objects.exclude(pk=provider.pk).order_by(
            "type", "name"
        )
        self.fields["categories"].queryset = DataCategory.objects.filter(
            code__in=sorted(policy.held_by(provider.type))
        )
        self.fields["supersedes"].queryset = replaceable_consents(client, provider)
        self.fields["purpose"].help_text = purpose_help()
        self.fields["valid_until"].help_text = _(
            "Verplicht, en hoogstens %(n)s maanden: gaat de toestemming in op de 4e, dan is "
            "de einddatum uiterlijk de 3e, %(n)s maanden later."
        ) % {"n": self.max_months}
        self.fields["signed_form"].help_text = signed_form_help()

    def clean_signed_form(self):
        return checked_signed_form(self.cleaned_data.get("signed_form"))

    def latest_end(self, start):
        """The last day a consent starting on ``start`` may run to ('tot en met'): twelve
        months from 4 December end on 3 December, not a day later."""
        end = add_months(start, self.max_months)
        # From 29 February: 28 February a year on is already the day before.
        return end if end.day < start.day else end - datetime.timedelta(days=1)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and start > add_months(timezone.localdate(), self.max_months):
            self.add_error(
                "valid_from",
                _("Een toestemming kan niet later dan over %(n)s maanden ingaan.")
                % {"n": self.max_months},
            )
        elif start and self.latest_end(start) < timezone.localdate():
            # Also a typing error in the year (0001), which no date message should echo.
            self.add_error(
                "valid_from",
                _(
                    "Vanaf deze datum zou de toestemming al verlopen zijn: ze geldt hoogstens "
                    "%(n)s maanden. Klopt het jaartal?"
                )
                % {"n": self.max_months},
            )
        elif start and end:
            if end < start:
                self.add_error("valid_until", _("De einddatum ligt vóór de begindatum."))
            elif end > self.latest_end(start):
                self.add_error(
                    "valid_until",
                    _(
                        "Een toestemming geldt hoogstens %(n)s maanden: kies uiterlijk "
                        "%(latest)s als einddatum."
                    )
                    % {
                        "n": self.max_months,
                        "latest": self.latest_end(start).strftime("%d-%m-%Y"),
                    },
                )
            elif end < timezone.localdate():
                self.add_error(
                    "valid_until",
                    _("De einddatum ligt in het verleden; deze toestemming zou nooit gelden."),
                )
        recipient, categories = cleaned.get("recipient"), cleaned.get("categories")
        if recipient is not None and categories and recipient.type in WORK_AND_INCOME:
            care_only = [c for c in categories if c.code in CARE_ONLY_CATEGORIES]
            if care_only:
                self.add_error(
                    "categories",
                    _(
                        "%(category)s kan nooit worden gedeeld met een gemeente of UWV "
                        "(%(recipient)s); alleen met een andere zorgorganisatie."
                    )
                    % {
                        "category": ", ".join(c.label for c in care_only),
                        "recipient": recipient,
                    },
                )
        self._check_purpose(cleaned)
        self._check_replacement(cleaned)
        return cleaned

    def _check_purpose(self, cleaned):
        """Refused: a purpose no one at the recipient could ever read under. Which roles an
        organisation holds follows from its kind (a user's role must fit it), so this never
        blocks sharing that would work; an organisation with several kinds of staff (a GGZ:
        behandelaars and trajectbegeleiders) fits the purposes of all of them."""
        recipient, purpose = cleaned.get("recipient"), cleaned.get("purpose")
        if recipient is None or not purpose:
            return
        if purpose in policy.usable_purposes(recipient.type):
            return
        message = " ".join(
            str(part)
            for part in [
                _("Er zou niets worden gedeeld."),
                shares_nothing(purpose, recipient),
                _("Kies een doel dat past, of een andere ontvanger."),
            ]
        )
        self.add_error("purpose", message)

    def _check_replacement(self, cleaned):
        """A replacement renews or changes the same sharing, and takes effect at once: the
        consent it replaces holds no longer from the moment it is recorded. Starting later
        would leave the recipient without access until then; another recipient or purpose
        is another consent (and the old one is withdrawn if the client wants that). A consent
        that has not begun may be replaced from today or any later day. An earlier start
        (_check_backdating) only continues what the old consent already allowed."""
        old, start = cleaned.get("supersedes"), cleaned.get("valid_from")
        if old is None:
            return
        recipient, purpose = cleaned.get("recipient"), cleaned.get("purpose")
        if recipient is not None and recipient.pk != old.recipient_id:
            self.add_error(
                "supersedes",
                _(
                    "Nr. %(pk)s geldt voor %(recipient)s. Een vervanging is voor dezelfde "
                    "ontvanger; leg voor %(new)s een nieuwe toestemming vast, en trek nr. "
                    "%(pk)s in als de cliënt niet meer met %(recipient)s wil delen."
                )
                % {"pk": old.pk, "recipient": old.recipient, "new": recipient},
            )
        elif purpose and purpose != old.purpose:
            self.add_error(
                "supersedes",
                _(
                    "Nr. %(pk)s is voor %(purpose)s. Een vervanging is voor hetzelfde doel; "
                    "leg voor een ander doel een nieuwe toestemming vast."
                )
                % {"pk": old.pk, "purpose": old.get_purpose_display()},
            )
        today = timezone.localdate()
        if start and start < today:
            self._check_backdating(old, start, cleaned.get("categories"), today)
        elif old.valid_from > today:
            # Not begun yet: it never held, so no one loses access in between. The client may
            # change it before it begins (narrow it, end it sooner) or let it begin today.
            return
        elif start and start > today:
            self.add_error(
                "valid_from",
                _(
                    "Een vervanging gaat vandaag in: nr. %(pk)s geldt niet meer zodra deze is "
                    "vastgelegd, en tot %(start)s zou %(recipient)s dan niets mogen inzien. "
                    "Kies vandaag als begindatum. Of verleng aansluitend: leg zonder ‘Vervangt’ "
                    "een nieuwe toestemming vast die ingaat na %(end)s; nr. %(pk)s loopt dan tot "
                    "en met die dag door."
                )
                % {
                    "pk": old.pk,
                    "start": start.strftime("%d-%m-%Y"),
                    "recipient": old.recipient,
                    "end": old.valid_until.strftime("%d-%m-%Y"),
                },
            )

    def _check_backdating(self, old, start, categories, today):
        """A replacement of ``old`` that starts before today, the day it is recorded (a
        paper form handed in late). The record says the client agreed to it from ``start``:
        true only when it continues what ``old`` already allowed then - no category ``old``
        did not share, and ``old`` ran on ``start`` and still runs today (no days in which
        nothing held are covered up). Otherwise the client agreed today, and it starts
        today."""
        if old.valid_from > today:
            message = _(
                "Nr. %(pk)s gaat pas in op %(old_start)s. Een vervanging ervan gaat vandaag of "
                "later in, niet eerder: de cliënt gaf de nieuwe toestemming vandaag."
            ) % {"pk": old.pk, "old_start": old.valid_from.strftime("%d-%m-%Y")}
        elif start < old.valid_from:
            message = _(
                "Een vervanging kan niet eerder ingaan dan de toestemming die ze vervangt: "
                "nr. %(pk)s geldt vanaf %(old_start)s. Kies de dag waarop de cliënt de "
                "nieuwe toestemming gaf."
            ) % {"pk": old.pk, "old_start": old.valid_from.strftime("%d-%m-%Y")}
        elif old.valid_until < today:
            message = _(
                "Nr. %(pk)s is al verlopen: ze gold tot en met %(end)s. Een vervanging van een "
                "toestemming die al is afgelopen gaat vandaag in: de cliënt gaf vandaag "
                "opnieuw toestemming, en na %(end)s gold er geen. Kies vandaag als "
                "begindatum."
            ) % {"pk": old.pk, "end": old.valid_until.strftime("%d-%m-%Y")}
        else:
            shared = set(old.categories.values_list("pk", flat=True))
            added = [c.label for c in categories or () if c.pk not in shared]
            if not added:
                return
            message = _(
                "Deze vervanging deelt ook %(added)s, waarvoor nr. %(pk)s geen toestemming gaf. "
                "Daarmee stemde de cliënt vandaag in, dus een vervanging die gegevens toevoegt "
                "gaat vandaag in. Kies vandaag als begindatum."
            ) % {"added": _listing(added, _("%(first)s en %(last)s")), "pk": old.pk}
        self.add_error("valid_from", message)


def signed_form_help():
    return _("Een PDF, JPEG of PNG van hoogstens %(max)s.") % {
        "max": filesizeformat(settings.WERKPAD_CONSENT_UPLOAD_MAX_BYTES)
    }


def checked_signed_form(upload):
    """A signed consent form as uploaded, checked: at most WERKPAD_CONSENT_UPLOAD_MAX_BYTES,
    a PDF, JPEG or PNG by its first bytes (never by its name), stored under a name of ours.
    None for no file."""
    if not upload:
        return None
    max_bytes = settings.WERKPAD_CONSENT_UPLOAD_MAX_BYTES
    if upload.size > max_bytes:
        raise forms.ValidationError(
            # Not the file's own size: just over the limit, both read "5,0 MB".
            _(
                "Het bestand is te groot: het mag hoogstens %(max)s zijn. Scan het "
                "formulier bijvoorbeeld opnieuw met een lagere resolutie."
            )
            % {"max": filesizeformat(max_bytes)}
        )
    upload.seek(0)
    kind = sniff(upload.read(8))
    upload.seek(0)
    if kind is None:
        raise forms.ValidationError(
            _(
                "Dit bestand is geen PDF, JPEG of PNG. Upload een scan of foto van het "
                "ondertekende formulier."
            )
        )
    if not whole(upload, kind):
        raise forms.ValidationError(
            _(
                "Dit bestand is niet volledig: het einde ontbreekt. Upload het opnieuw, of "
                "scan of fotografeer het ondertekende formulier opnieuw."
            )
        )
    # The stored name is ours, never the uploader's.
    upload.name = f"toestemming-{uuid.uuid4().hex}.{kind}"
    return upload


class SignedFormForm(forms.Form):
    """The signed form of a consent recorded without it: printed from the consent, signed by
    the client, scanned."""

    signed_form = forms.FileField(
        label=_("Ondertekend formulier"),
        error_messages={"required": _("Kies het bestand met het ondertekende formulier.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signed_form"].help_text = signed_form_help()

    def clean_signed_form(self):
        return checked_signed_form(self.cleaned_data.get("signed_form"))


class WithdrawalForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Hoe heeft de cliënt de toestemming ingetrokken?"),
        choices=WithdrawalMethod.choices,
        widget=forms.RadioSelect,
    )
    withdrawn_on = forms.DateField(
        label=_("Ingetrokken op"),
        widget=DateInput(),
        help_text=_("De intrekking geldt direct, vanaf het moment dat u haar vastlegt."),
    )
    reason = forms.CharField(
        label=_("Reden (optioneel)"),
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 3}),
        help_text=_("De cliënt hoeft geen reden te geven."),
    )

    def __init__(self, *args, consent, follow_ons=(), **kwargs):
        kwargs.setdefault("initial", {"withdrawn_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.consent = consent
        self.follow_ons = follow_ons

    def clean_withdrawn_on(self):
        withdrawn_on = happened(
            self.cleaned_data["withdrawn_on"],
            future=_("Deze datum ligt in de toekomst. Een intrekking geldt direct."),
        )
        recorded_on = timezone.localdate(self.consent.recorded_at)
        if withdrawn_on < recorded_on:
            raise forms.ValidationError(
                _(
                    "Deze datum ligt vóór %(date)s, de dag waarop de toestemming is "
                    "vastgelegd. Vul de dag in waarop de cliënt haar introk."
                )
                % {"date": recorded_on.strftime("%d-%m-%Y")}
            )
        return withdrawn_on

    def clean(self):
        cleaned = super().clean()
        problem = withdrawal_refused(self.consent, self.follow_ons)
        if problem:
            raise forms.ValidationError(problem)
        return cleaned


def withdrawal_refused(consent, follow_ons=()):
    """Why ``consent`` cannot be withdrawn (Dutch), or None. ``follow_ons``: its follow-ons
    that have not ended, by start (consent.views.follow_ons). Once it has expired, the
    sharing goes on under the first of them: that one the client withdraws instead."""
    state = consent.state()
    if state == ConsentState.INGETROKKEN:
        return _("Deze toestemming is al ingetrokken op %(date)s.") % {
            "date": consent.withdrawal.withdrawn_on.strftime("%d-%m-%Y")
        }
    if state == ConsentState.VERVANGEN:
        return _(
            "Deze toestemming is vervangen door toestemming nr. %(pk)s; trek die in als de "
            "cliënt niet meer wil delen."
        ) % {"pk": consent.superseded_by.pk}
    if state == ConsentState.VERLOPEN:
        if not follow_ons:
            return _("Deze toestemming is al verlopen; intrekken is niet meer nodig.")
        later = follow_ons[0]
        if later.valid_from > timezone.localdate():
            message = _(
                "Deze toestemming is al verlopen. Vervolgtoestemming nr. %(pk)s gaat in op "
                "%(date)s: trek die in als de cliënt ook die niet meer wil."
            )
        else:
            message = _(
                "Deze toestemming is al verlopen. Vervolgtoestemming nr. %(pk)s geldt sinds "
                "%(date)s: trek die in als de cliënt ook die niet meer wil."
            )
        return message % {"pk": later.pk, "date": date_format(later.valid_from, "j F Y")}
    return None


# --- AVG-inzage: the client's request -------------------------------------------------------

# A request received longer ago than this is a typing error in the date: the answer is due
# within a month (three at most, art. 12(3) AVG).
ACCESS_REQUEST_MAX_MONTHS = 12


class AccessRequestForm(forms.Form):
    """The client's request for access (art. 15 AVG), recorded before the AVG-inzage is
    made: no export of a whole file without a request behind it."""

    received_on = forms.DateField(
        label=_("Verzoek ontvangen op"),
        widget=DateInput(),
        help_text=_("De dag waarop de cliënt om inzage vroeg. U antwoordt binnen een maand."),
    )
    channel = forms.ChoiceField(
        label=_("Hoe kwam het verzoek binnen?"),
        choices=RequestChannel.choices,
        widget=forms.RadioSelect,
    )
    identity_check = forms.ChoiceField(
        label=_("Hoe hebt u de identiteit van de cliënt vastgesteld?"),
        choices=IdentityCheck.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Geef een inzage alleen aan de cliënt zelf (of een wettelijk vertegenwoordiger). "
            "Maak geen kopie van het ID-bewijs."
        ),
    )
    identity_note = forms.CharField(
        label=_("Toelichting op de identiteit"),
        required=False,
        max_length=300,
        help_text=_(
            "Verplicht als de identiteit op een andere manier is vastgesteld (‘Anders’): hoe "
            "weet u dat het verzoek van de cliënt komt?"
        ),
    )
    note = forms.CharField(
        label=_("Notitie bij het verzoek"),
        required=False,
        max_length=1000,
        widget=Textarea(attrs={"rows": 3}),
        help_text=_(
            "Verplicht als het verzoek op een andere manier binnenkwam (‘Anders’): hoe dan? "
            "De notitie staat, met de rest van het verzoek, op de eerste pagina van het rapport "
            "voor de cliënt."
        ),
    )

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        today = timezone.localdate()
        if received_on > today:
            raise forms.ValidationError(
                _("Deze datum ligt in de toekomst. Vul de dag in waarop het verzoek binnenkwam.")
            )
        if received_on < add_months(today, -ACCESS_REQUEST_MAX_MONTHS):
            raise forms.ValidationError(
                _(
                    "Deze datum ligt meer dan een jaar terug, terwijl een verzoek om inzage "
                    "binnen een maand wordt beantwoord. Klopt het jaartal?"
                )
            )
        return received_on

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("identity_check") == IdentityCheck.ANDERS and not cleaned.get(
            "identity_note"
        ):
            self.add_error(
                "identity_note",
                _(
                    "Beschrijf hoe u de identiteit van de cliënt hebt vastgesteld, bijvoorbeeld "
                    "‘persoonlijk bekend bij de medewerker die het verzoek aannam’."
                ),
            )
        if cleaned.get("channel") == RequestChannel.ANDERS and not cleaned.get("note"):
            self.add_error("note", _("Beschrijf in de notitie hoe het verzoek binnenkwam."))
        return cleaned


# --- Filters of the beheerder's pages -----------------------------------------------------


class OverviewFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoek op naam van de cliënt"), required=False, max_length=100)


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Naam of BSN van de cliënt"), required=False, max_length=100)


class AccessLogFilterForm(forms.Form):
    date_from = forms.DateField(label=_("Vanaf"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput())
    user = forms.CharField(label=_("Gebruiker (naam of e-mail)"), required=False, max_length=100)
    client = forms.CharField(label=_("Cliënt (naam)"), required=False, max_length=100)
    action = forms.ChoiceField(
        label=_("Handeling"), required=False, choices=[("", _("Alle"))] + list(Action.choices)
    )
    outcome = forms.ChoiceField(
        label=_("Uitkomst"), required=False, choices=[("", _("Alle"))] + list(Outcome.choices)
    )
    # Reading this log is logged too (one entry per client on the page): shown, each of
    # the beheerder's own views of the page would push the other entries off it.
    with_log_reviews = forms.BooleanField(
        label=_("Ook uw eigen inzage van dit inzagelog tonen"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("De einddatum ligt vóór de begindatum."))
        return cleaned
