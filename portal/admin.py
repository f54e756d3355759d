from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .forms import NOT_SAVED_RELOAD
from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type"]
    list_filter = ["type"]
    search_fields = ["name"]


class UserChangeForm(BaseUserChangeForm):
    """Carries the version of the account it was opened on: sent after a change made since
    (a beheerder deactivating someone who left, say), it is refused instead of putting the
    old values back without a word. Checked with the row locked (the admin's change view is
    one transaction), so a beheerder's save cannot slip in between."""

    # Not "version": a model field the form may not name (User.version is not editable).
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opened_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("opened_version")
        if opened is None:  # missing or garbled: a stale cached form, tampering
            raise forms.ValidationError(NOT_SAVED_RELOAD)
        stored = User.objects.select_for_update().values_list("version", flat=True)
        if stored.get(pk=self.instance.pk) != opened:
            raise forms.ValidationError(
                _(
                    "Niet opgeslagen: dit account is gewijzigd nadat u dit formulier opende, "
                    "in een ander venster of door een beheerder. Open het account opnieuw en "
                    "breng uw wijziging opnieuw aan."
                )
            )
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "organisation", "role", "is_active"]
    list_filter = ["organisation", "role", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "opened_version"]}),
        (_("Persoon"), {"fields": ["first_name", "last_name"]}),
        (_("Organisatie"), {"fields": ["organisation", "role"]}),
        (_("Rechten"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "password1", "password2", "organisation", "role"]}),
    ]

    def save_model(self, request, obj, form, change):
        changed = change and form.has_changed()
        if changed:
            # As the beheer pages do (portal.views._save_user, user_set_active): a beheerder's
            # edit form opened before this change is refused, not saved over it.
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if changed:
            obj.refresh_from_db(fields=["version"])  # the number, not the F() expression
