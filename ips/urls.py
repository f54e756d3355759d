from django.urls import path

from . import views

app_name = "ips"

case_prefix = "casussen/<int:pk>/ips/"
trajectory_prefix = case_prefix + "<int:trajectory_pk>/"

urlpatterns = [
    path(case_prefix, views.trajectory, name="trajectory"),
    path(trajectory_prefix + "fase/", views.phase_change, name="phase_change"),
    path(trajectory_prefix + "beroepsprofiel/", views.profile_edit, name="profile_edit"),
    path(trajectory_prefix + "werkgeverscontact/", views.contact_create, name="contact_create"),
    path(trajectory_prefix + "baan/", views.placement_create, name="placement_create"),
    path(
        trajectory_prefix + "baan/<int:placement_pk>/einde/",
        views.placement_end,
        name="placement_end",
    ),
    path(trajectory_prefix + "nazorg/", views.follow_along_create, name="follow_along_create"),
    path("ips/caseload/", views.caseload, name="caseload"),
    path("ips/werkgeverscontacten/", views.my_contacts, name="contacts"),
    path("ips/resultaten/", views.results, name="results"),
    path("ips/resultaten/pdf/", views.results_report, name="results_report"),
    path("beheer/ips-teams/", views.teams, name="teams"),
    path("beheer/ips-teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("beheer/ips-teams/<int:pk>/verwijderen/", views.team_delete, name="team_delete"),
    path("beheer/ips-teams/trajectbegeleider/<int:pk>/", views.team_member, name="team_member"),
    path("beheer/ips-teams/overdragen/<int:pk>/", views.transfer, name="transfer"),
    path("ips/modelgetrouwheid/", views.fidelity_list, name="fidelity_list"),
    path("ips/modelgetrouwheid/<int:pk>/", views.fidelity_detail, name="fidelity_detail"),
    path("ips/modelgetrouwheid/<int:pk>/afronden/", views.fidelity_finish, name="fidelity_finish"),
    path("ips/modelgetrouwheid/<int:pk>/pdf/", views.fidelity_report, name="fidelity_report"),
]
