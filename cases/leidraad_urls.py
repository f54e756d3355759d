from django.urls import path

from . import leidraad_views as views

SESSION = "casussen/<int:pk>/gespreksleidraad/<int:sid>/"

urlpatterns = [
    path("casussen/<int:pk>/gespreksleidraad/", views.session_list, name="leidraad_list"),
    path(
        "casussen/<int:pk>/gespreksleidraad/starten/",
        views.session_start,
        name="leidraad_start",
    ),
    path(SESSION, views.session_detail, name="leidraad_detail"),
    path(SESSION + "stap-<int:step>/", views.session_step, name="leidraad_step"),
    path(SESSION + "correctie/", views.session_correction, name="leidraad_correction"),
    path(SESSION + "samenvatting/", views.session_summary, name="leidraad_summary"),
    path(SESSION + "samenvatting/pdf/", views.summary_report, name="leidraad_summary_report"),
    path(SESSION + "voorbereiding/", views.preparation_sheet, name="leidraad_preparation"),
    path(
        "gespreksleidraad/voorbereiding/",
        views.preparation_sheet,
        name="leidraad_preparation_blank",
    ),
    path("beheer/gespreksleidraad/", views.beheer, name="leidraad_beheer"),
    path(
        "beheer/gespreksleidraad/versie-<int:number>.json",
        views.beheer_download,
        name="leidraad_download",
    ),
]
