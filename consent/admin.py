"""Django admin for consent/: category labels are editable data; consent records and the
access log are evidence, so the admin only shows them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AccessLogEntry, Consent, ConsentWithdrawal, DataCategory


@admin.register(DataCategory)
class DataCategoryAdmin(admin.ModelAdmin):
    """Codes are fixed (the access policy refers to them); labels and explanations are not."""

    list_display = ["label", "code", "position"]
    fields = ["code", "label", "description", "position"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete, whatever the user's permissions."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WithdrawalInline(admin.StackedInline):
    model = ConsentWithdrawal
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClientNumberMixin:
    """The platform admin works outside the access policy: it shows the client's number,
    never the name (names are shown, and logged, in the portal)."""

    @admin.display(description=_("cliëntnummer"))
    def client_number(self, obj):
        return obj.client_id


@admin.register(Consent)
class ConsentAdmin(ClientNumberMixin, ReadOnlyAdmin):
    list_display = [
        "pk",
        "client_number",
        "provider",
        "recipient",
        "purpose",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["purpose", "provider", "recipient"]
    list_select_related = ["provider", "recipient"]
    fields = [
        "client_number",
        "provider",
        "recipient",
        "purpose",
        "categories",
        "valid_from",
        "valid_until",
        "method",
        "purpose_explained",
        "supersedes",
        "recorded_by",
        "recorded_at",
    ]
    readonly_fields = ["client_number"]
    inlines = [WithdrawalInline]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ClientNumberMixin, ReadOnlyAdmin):
    list_display = [
        "timestamp",
        "user",
        "role",
        "client_number",
        "action",
        "category",
        "basis",
        "outcome",
    ]
    list_filter = ["action", "outcome", "basis", "category"]
    list_select_related = ["user"]
    date_hierarchy = "timestamp"
    exclude = ["client"]
    readonly_fields = ["client_number"]
