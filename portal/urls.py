from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cases import views as case_views

from . import report_views, views

app_name = "portal"
handler403 = "portal.views.permission_denied"
handler500 = "portal.views.server_error"
# allauth answers too many tries in a row (its rate limits) with this.
handler429 = "portal.views.too_many_requests"

# The Django admin signs in through allauth like everyone else: its own login form had no
# limit on wrong passwords and no second factor.
admin.site.login = secure_admin_login(admin.site.login)

portal_patterns = [
    path("", case_views.worklist, name="home"),
    path("beheer/gebruikers/", views.user_list, name="user_list"),
    path("beheer/gebruikers/nieuw/", views.user_create, name="user_create"),
    path("beheer/gebruikers/<int:pk>/", views.user_edit, name="user_edit"),
    path("beheer/gebruikers/<int:pk>/actief/", views.user_set_active, name="user_set_active"),
    path("beheer/gebruikers/<int:pk>/mfa-reset/", views.user_reset_mfa, name="user_reset_mfa"),
    path("account/", views.account, name="account"),
    path("gezondheid/", views.health, name="health"),
    path("rapporten/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("rapporten/<int:pk>/download/", report_views.report_download, name="report_download"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("", include("cases.urls")),
    path("", include("consent.urls")),
    path("", include("ips.urls")),
    # The e-mail address is the sign-in name a beheerder set when making the account: nobody
    # swaps it for another address themselves, so allauth's e-mail management is not offered.
    path("accounts/email/", views.not_offered),
    path("accounts/confirm-email/", views.not_offered),
    path("accounts/confirm-email/<str:key>/", views.not_offered),
    path("accounts/", include("allauth.urls")),
    # The admin changes a password through allauth too: with its rules, messages and
    # sign-out of other sessions (the admin's own page had none of them).
    path(
        "django-admin/password_change/",
        RedirectView.as_view(pattern_name="account_change_password"),
    ),
    path("django-admin/", admin.site.urls),
]
