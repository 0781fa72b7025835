"""Document API: a case's documents and their files, the parties' confirmations, and
public verification (by number, or by uploading the PDF)."""

from __future__ import annotations

import logging

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from cases.selectors import Action, access_case
from documents import selectors
from documents.services import confirm
from documents.services.verify import (
    Result,
    Verdict,
    check_verify_rate,
    verify_number,
    verify_pdf,
)
from odr.api import error_body
from odr.errors import DomainError, NotFound, TooLarge
from odr.http import client_ip
from odr.idempotency import idempotent

logger = logging.getLogger(__name__)

REF = OpenApiParameter("ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="LY-2026-000123")
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="LY-2026-000123-MA1-7KQ2XD"
)


class DocumentConfirmationOut(serializers.Serializer):
    party = serializers.CharField()
    confirmed_at = serializers.DateTimeField()


class DocumentOut(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    dated = serializers.DateField()
    created_at = serializers.DateTimeField()
    signed_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField(allow_null=True)
    content_sha256 = serializers.CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    signer = serializers.CharField(allow_null=True)
    timestamped = serializers.BooleanField()
    supersedes = serializers.CharField(allow_null=True)
    superseded_by = serializers.CharField(allow_null=True)
    needs_confirmation = serializers.BooleanField()
    confirmations = DocumentConfirmationOut(many=True)
    awaiting_my_confirmation = serializers.BooleanField()
    download_url = serializers.CharField(allow_null=True)
    verify_url = serializers.CharField()


def document_out(row: selectors.DocumentRow, request: Request) -> dict:
    document = row.document
    successor = selectors.successor(document)
    download = None
    if row.downloadable:
        download = request.build_absolute_uri(
            reverse(
                "api-case-document-file",
                kwargs={"ref": document.case.reference, "number": document.number},
            )
        )
    return {
        "number": document.number,
        "kind": document.kind,
        "kind_label": str(document.get_kind_display()),
        "title": document.spec.title(
            language=get_language() or "zh-hans", ruleset=document.case.ruleset
        ),
        "version": document.version,
        "status": document.status,
        "status_label": str(document.get_status_display()),
        "dated": document.dated,
        "created_at": document.created_at,
        "signed_at": document.signed_at,
        "sha256": document.sha256 or None,
        "content_sha256": document.content_sha256 or None,
        "size": document.size,
        "signer": document.signer_subject or None,
        "timestamped": document.timestamped,
        "supersedes": document.supersedes.number if document.supersedes_id else None,
        "superseded_by": successor.number if successor else None,
        "needs_confirmation": document.needs_confirmation,
        "confirmations": [
            {"party": party, "confirmed_at": when} for party, when in sorted(row.confirmed.items())
        ],
        "awaiting_my_confirmation": row.awaiting_my_confirmation,
        "download_url": download,
        "verify_url": request.build_absolute_uri(
            reverse("documents:verify-number", kwargs={"number": document.number})
        ),
    }


class CaseDocumentsApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: DocumentOut(many=True), 403: ERROR, 404: ERROR},
        summary="The case's documents, every version",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        rows = selectors.document_rows(case=case, user=request.user)
        return Response(DocumentOut([document_out(r, request) for r in rows], many=True).data)


class CaseDocumentFileApi(APIView):
    @extend_schema(
        parameters=[REF, NUMBER],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR},
        summary="Download a document (the signed PDF, or the draft awaiting confirmation)",
    )
    def get(self, request: Request, ref: str, number: str):
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        document = selectors.case_document(case=case, number=number)
        handle = selectors.document_file(document=document)
        suffix = "" if document.sha256 else "-draft"
        try:
            stream = handle.open("rb")
        except Exception:  # the storage lost it or is out of reach: a clear 404, logged
            logger.error("documents: the file of %s cannot be read", document.number, exc_info=True)
            raise NotFound(
                _("The file of this document cannot be read just now. Please try again later."),
                code="file_unavailable",
            ) from None
        response = FileResponse(
            stream,
            as_attachment=True,
            filename=f"{document.number}{suffix}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ConfirmationCodeApi(APIView):
    @extend_schema(
        parameters=[REF, NUMBER],
        request=None,
        responses={
            202: inline_serializer(
                "DocumentConfirmationCodeSent",
                {"sent": serializers.BooleanField(), "expires_at": serializers.DateTimeField()},
            ),
            400: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
            429: ERROR,
        },
        summary="Send me an SMS code to confirm this agreement",
    )
    @idempotent
    def post(self, request: Request, ref: str, number: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        document = selectors.case_document(case=case, number=number)
        challenge = confirm.confirmation_request(
            document=document, user=request.user, ip=client_ip(request)
        )
        return Response(
            {"sent": True, "expires_at": challenge.expires_at}, status=status.HTTP_202_ACCEPTED
        )


class DocumentConfirmIn(serializers.Serializer):
    code = serializers.CharField(max_length=12)
    sha256 = serializers.CharField(
        max_length=64, help_text="content_sha256 of the draft you read (from the list)"
    )


class ConfirmApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        parameters=[REF, NUMBER],
        request=DocumentConfirmIn,
        responses={200: DocumentOut, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        summary="Confirm this agreement with the SMS code",
    )
    @idempotent
    def post(self, request: Request, ref: str, number: str) -> Response:
        data = DocumentConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        document = selectors.case_document(case=case, number=number)
        confirm.document_confirm(
            document=document,
            user=request.user,
            code=data.validated_data["code"],
            content_sha256=data.validated_data["sha256"],
            ip=client_ip(request),
        )
        rows = selectors.document_rows(case=case, user=request.user)
        row = next(r for r in rows if r.document.pk == document.pk)
        return Response(DocumentOut(document_out(row, request)).data)


VERDICT = inline_serializer(
    "DocumentVerification",
    {
        "verdict": serializers.ChoiceField(
            choices=[v for k, v in vars(Verdict).items() if not k.startswith("_")]
        ),
        "ok": serializers.BooleanField(),
        "message": serializers.CharField(),
        "sha256": serializers.CharField(),
        "document": serializers.DictField(allow_null=True),
        "signature": serializers.DictField(allow_null=True),
    },
)


def result_json(result: Result) -> dict:
    return {
        "verdict": result.verdict,
        "ok": result.ok,
        "message": result.message,
        "sha256": result.sha256 or None,
        "document": result.details or None,
        "signature": result.signature.as_dict() if result.signature else None,
    }


class DocumentVerifyApi(APIView):
    """Public: anyone holding a document number may check it."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[NUMBER],
        responses={200: VERDICT, 404: ERROR, 429: ERROR},
        summary="Verify a document by its number",
    )
    def get(self, request: Request, number: str) -> Response:
        check_verify_rate(ip=client_ip(request), weight=1)
        result = verify_number(number=number, language=get_language() or "zh-hans")
        if result.verdict == Verdict.NOT_FOUND:
            return Response(error_body("not_found", result.message), status=404)
        return Response(result_json(result))


@extend_schema_view(get=extend_schema(exclude=True))
class DocumentVerifySlashApi(DocumentVerifyApi):
    """The same with a trailing slash, as the other endpoints have; not in the schema twice."""


class VerifyUploadApi(APIView):
    """Public: upload a PDF (multipart field ``file``) and get the verdict."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "DocumentVerifyUpload", {"file": serializers.FileField()}
            )
        },
        responses={200: VERDICT, 400: ERROR, 413: ERROR, 429: ERROR},
        summary="Verify a PDF file",
    )
    def post(self, request: Request) -> Response:
        from django.conf import settings

        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError(
                _("Upload the PDF in the field “file”."), fields={"file": [_("Required.")]}
            )
        if upload.size > settings.DOCUMENTS_VERIFY_MAX_BYTES:
            raise TooLarge(
                _("The file is larger than %(mb)d MB.")
                % {"mb": settings.DOCUMENTS_VERIFY_MAX_BYTES // (1024 * 1024)}
            )
        check_verify_rate(ip=client_ip(request), weight=3)
        result = verify_pdf(data=upload.read(), language=get_language() or "zh-hans")
        return Response(result_json(result))
