from django.urls import path

from . import report_views, views

app_name = "consent"

urlpatterns = [
    path("casussen/<int:pk>/toestemming/nieuw/", views.create_for_case, name="create_for_case"),
    path("toestemmingen/<int:pk>/", views.detail, name="detail"),
    path("toestemmingen/<int:pk>/afdrukken/", views.print_view, name="print"),
    path("toestemmingen/<int:pk>/formulier/", views.form_download, name="form_download"),
    path("toestemmingen/<int:pk>/formulier/toevoegen/", views.form_add, name="form_add"),
    path("toestemmingen/<int:pk>/intrekken/", views.withdraw, name="withdraw"),
    path("toestemmingen/<int:pk>/pdf/", report_views.consent_report, name="consent_report"),
    path(
        "clienten/<int:client_pk>/toestemmingen/pdf/",
        report_views.client_consents_report,
        name="client_consents_report",
    ),
    path("beheer/toestemmingen/", views.overview, name="overview"),
    path("beheer/toestemmingen/nieuw/", views.beheer_create, name="beheer_create"),
    path("beheer/inzagelog/", views.access_log, name="access_log"),
    path("beheer/avg-inzage/", report_views.avg_inzage, name="avg_inzage"),
    path(
        "beheer/avg-inzage/<int:client_pk>/",
        report_views.avg_inzage_request,
        name="avg_inzage_request",
    ),
    path("wie-ziet-wat/", views.help_page, name="help"),
]
