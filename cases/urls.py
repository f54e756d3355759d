from django.urls import include, path

from . import views

app_name = "cases"

urlpatterns = [
    path("clienten/nieuw/", views.client_create, name="client_create"),
    path("clienten/<int:client_pk>/casus-openen/", views.case_open, name="case_open"),
    path("casussen/<int:pk>/", views.case_detail, name="detail"),
    path("casussen/<int:pk>/tijdlijn/", views.timeline, name="timeline"),
    path("casussen/<int:pk>/werksituatie/", views.work_situation, name="work_situation"),
    path("casussen/<int:pk>/werk-besproken/", views.work_discussed, name="work_discussed"),
    path("casussen/<int:pk>/notitie/", views.note_create, name="note_create"),
    path("casussen/<int:pk>/doelen/", views.goal_create, name="goal_create"),
    path("casussen/<int:pk>/doelen/<int:goal_pk>/status/", views.goal_status, name="goal_status"),
    path("casussen/<int:pk>/afspraken/", views.agreement_create, name="agreement_create"),
    path(
        "casussen/<int:pk>/afspraken/<int:agreement_pk>/gedaan/",
        views.agreement_done,
        name="agreement_done",
    ),
    path("casussen/<int:pk>/uitnodigen/", views.invite, name="invite"),
    path("casussen/<int:pk>/verwijzen/", views.refer, name="refer"),
    path("casussen/<int:pk>/team-verlaten/", views.leave, name="leave"),
    path("casussen/<int:pk>/sluiten/", views.close, name="close"),
    path("casussen/<int:pk>/driegesprek/", views.driegesprek_plan, name="driegesprek_plan"),
    path(
        "casussen/<int:pk>/driegesprek/<int:meeting_pk>/",
        views.driegesprek_record,
        name="driegesprek_record",
    ),
    path("casussen/<int:pk>/voortgangsrapportage/", views.progress_report, name="progress_report"),
    path("uitnodigingen/<int:invitation_pk>/", views.respond, name="respond"),
    path("beheer/casussen-zonder-regie/", views.without_lead, name="without_lead"),
    path("beheer/casussen-zonder-regie/<int:pk>/", views.assign_lead, name="assign_lead"),
    path("", include("cases.leidraad_urls")),
    path("", include("cases.conversation_urls")),
]
