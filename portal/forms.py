from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import ROLES_BY_ORGANISATION_TYPE, Role
from .models import User


class OrganisationUserForm(forms.ModelForm):
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

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Er bestaat al een account met dit e-mailadres."))
        return email
