from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type"]
    list_filter = ["type"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "organisation", "role", "is_active"]
    list_filter = ["organisation", "role", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
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
