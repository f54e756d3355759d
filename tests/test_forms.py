"""How every form shows its errors: the ones that belong to no field once, in one alert box
above the fields; a field's own error next to that field."""

from django import forms

from .html_checks import assert_errors_tied_to_fields


class MeetingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    place = forms.CharField(label="Plaats")

    def clean(self):
        raise forms.ValidationError("Deze afspraak is intussen gewijzigd.")


def test_errors_of_no_field_are_shown_once_in_an_alert_above_the_fields():
    html = str(MeetingForm({"version": "x", "place": ""}))
    assert html.count("Deze afspraak is intussen gewijzigd.") == 1
    alert = html.index('<div class="form-errors" role="alert">')
    assert alert < html.index("Deze afspraak is intussen gewijzigd.") < html.index('for="id_place"')
    # A hidden field cannot show its own error, so it joins the alert box.
    assert html.count("(Verborgen veld version) Voer een geheel getal in.") == 1
    assert 'class="errorlist nonfield"' not in html
    # The visible field's error sits with the field.
    assert html.index('for="id_place"') < html.index("Dit veld is verplicht.")


def test_a_form_without_errors_has_no_alert():
    assert "form-errors" not in str(MeetingForm())


def test_a_fields_error_is_tied_to_the_field():
    page = assert_errors_tied_to_fields(str(MeetingForm({"version": "1", "place": ""})))
    place = next(attrs for attrs in page.fields if attrs["name"] == "place")
    assert place["aria-invalid"] == "true"
    assert "id_place_error" in place["aria-describedby"].split()


def test_values_in_words_keep_an_amounts_cents_and_drop_an_hours_zero():
    """portal.words: the change history and the AVG-inzage (a wage of € 14,00 read '14')."""
    from decimal import Decimal

    from ips.models import Placement
    from portal.words import in_words

    job = Placement(hourly_wage=Decimal("14.00"), hours_per_week=Decimal("16.0"))
    field = Placement._meta.get_field
    assert in_words(job, field("hourly_wage")) == "14,00"
    assert in_words(job, field("hours_per_week")) == "16"
    job.hours_per_week = Decimal("16.5")
    assert in_words(job, field("hours_per_week")) == "16,5"
