from django.urls import path

from mediation import apis

urlpatterns = [
    path("cases/<str:ref>/transcript/", apis.TranscriptApi.as_view(), name="api-case-transcript"),
    path("cases/<str:ref>/mediation/", apis.MediationStateApi.as_view(), name="api-mediation"),
    path(
        "cases/<str:ref>/mediation/messages/",
        apis.MediationMessagesApi.as_view(),
        name="api-mediation-messages",
    ),
    path(
        "cases/<str:ref>/mediation/files/",
        apis.MediationFilesApi.as_view(),
        name="api-mediation-files",
    ),
    path(
        "cases/<str:ref>/mediation/files/<int:file_id>/",
        apis.MediationFileApi.as_view(),
        name="api-mediation-file",
    ),
    path(
        "cases/<str:ref>/mediation/read/",
        apis.MediationReadApi.as_view(),
        name="api-mediation-read",
    ),
    path(
        "cases/<str:ref>/mediation/sessions/",
        apis.SessionsApi.as_view(),
        name="api-mediation-sessions",
    ),
    *[
        path(
            f"cases/<str:ref>/mediation/parties/<str:party>/{act}/",
            apis.PartyApi.as_view(act=act),
            name=f"api-mediation-party-{act}",
        )
        for act in ("mute", "unmute", "caucus", "joint")
    ],
    path(
        "cases/<str:ref>/mediation/proposals/",
        apis.ProposalsApi.as_view(),
        name="api-mediation-proposals",
    ),
    path(
        "cases/<str:ref>/mediation/proposals/<int:proposal_id>/accept/",
        apis.ProposalAcceptApi.as_view(),
        name="api-mediation-proposal-accept",
    ),
    path(
        "cases/<str:ref>/mediation/terminate/",
        apis.TerminateApi.as_view(),
        name="api-mediation-terminate",
    ),
    path("mediation/console/", apis.ConsoleApi.as_view(), name="api-mediation-console"),
]
