from django.urls import path

from . import conversation_views as views

CONVERSATION = "casussen/<int:pk>/gesprekken/<int:cid>/"

urlpatterns = [
    path("casussen/<int:pk>/gesprekken/", views.conversation_list, name="conversation_list"),
    path(
        "casussen/<int:pk>/gesprekken/nieuw/",
        views.conversation_create,
        name="conversation_create",
    ),
    path(CONVERSATION, views.conversation_detail, name="conversation_detail"),
    path(CONVERSATION + "wijzigen/", views.conversation_edit, name="conversation_edit"),
    path(CONVERSATION + "correctie/", views.conversation_correct, name="conversation_correct"),
    path("mijn-gespreksvoering/", views.miti_trend, name="miti_trend"),
]
