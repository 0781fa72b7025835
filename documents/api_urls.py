from django.urls import path

from documents import apis

urlpatterns = [
    path(
        "cases/<str:ref>/documents/",
        apis.CaseDocumentsApi.as_view(),
        name="api-case-documents",
    ),
    path(
        "cases/<str:ref>/documents/<str:number>/file/",
        apis.CaseDocumentFileApi.as_view(),
        name="api-case-document-file",
    ),
    path(
        "cases/<str:ref>/documents/<str:number>/confirmation/code/",
        apis.ConfirmationCodeApi.as_view(),
        name="api-document-confirmation-code",
    ),
    path(
        "cases/<str:ref>/documents/<str:number>/confirmation/",
        apis.ConfirmApi.as_view(),
        name="api-document-confirm",
    ),
    path(
        "documents/<str:number>/verify",
        apis.DocumentVerifyApi.as_view(),
        name="api-document-verify",
    ),
    path(
        "documents/<str:number>/verify/",
        apis.DocumentVerifySlashApi.as_view(),
        name="api-document-verify-slash",
    ),
    path("verify/", apis.VerifyUploadApi.as_view(), name="api-verify"),
]
