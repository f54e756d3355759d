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
