"""REST API of the question banks, under /api/:

- ``question-banks/``: list (keyset pages, newest first), create; ``question-banks/{id}/``: retrieve;
- ``question-banks/{id}/questions/``: list (filters ``type``, ``tag``, ``difficulty``, ``q``, ``inactive``),
  create; ``…/questions/{qid}/``: retrieve, update (PUT/PATCH);
- ``question-banks/{id}/import/``: multipart ``file`` (and optional ``format``) → 202 ``{"job": id}``;
  ``question-import-jobs/{id}/``: the job's state, progress and error report;
- ``question-banks/{id}/export/?format=xlsx|csv|json``: the bank as a file, audited.

Reads go through ``questions.selectors`` (outside the caller's scope: 404); writes through the services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.encoding import escape_uri_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.core.api import KeysetPagination
from mofan.org.api_import import XlsxRenderer
from mofan.org.models import Unit
from mofan.questions import selectors, services
from mofan.questions.exporters import FORMATS, export_bank
from mofan.questions.jobs import import_job_start, job_progress
from mofan.questions.models import ImportFormat, ImportJob, Question, QuestionBank, QuestionType


class NewestFirstPagination(KeysetPagination):
    descending = True


class BankSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    question_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = QuestionBank
        fields = ["id", "name", "unit", "unit_name", "description", "is_active", "question_count", "created_at"]
        read_only_fields = ["is_active", "created_at"]
        validators: list[Any] = []  # the service says "a bank of this name" in the user's words


class QuestionSerializer(serializers.ModelSerializer):
    qtype = serializers.ChoiceField(choices=QuestionType.choices)
    options = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False)
    answers = serializers.ListField(child=serializers.JSONField(), required=False,
                                    help_text="Texts, never letters: fill takes one list per blank.")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, write_only=True)

    class Meta:
        model = Question
        fields = ["id", "qtype", "stem", "options", "answers", "tags", "difficulty", "source", "explanation",
                  "is_active", "created_at", "updated_at"]
        read_only_fields = ["is_active", "created_at", "updated_at"]

    def to_representation(self, instance: Question) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["tags"] = [t.name for t in instance.tags.all()]
        return data


class ImportJobSerializer(serializers.ModelSerializer):
    bank: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    stage = serializers.SerializerMethodField()
    done = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "bank", "file_name", "fmt", "state", "stage", "done", "total", "created_count",
                  "error_total", "errors", "created_at", "started_at", "finished_at"]

    def get_stage(self, job: ImportJob) -> str:
        return job_progress(job).stage

    def get_done(self, job: ImportJob) -> int:
        return job_progress(job).done

    def get_total(self, job: ImportJob) -> int:
        return job_progress(job).total


class QuestionImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="An xlsx, CSV or JSON file of questions.")
    format = serializers.ChoiceField(choices=ImportFormat.choices, required=False, allow_blank=True,
                                     help_text="Defaults to the file's extension.")


class _FileRenderer(BaseRenderer):
    """Lets ``?format=csv`` pass DRF's content negotiation; the view returns the bytes itself."""

    media_type = "text/csv"
    format = "csv"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


@extend_schema(tags=["questions"])
class BankViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Question banks within the caller's QUESTION_MANAGE scope."""

    serializer_class = BankSerializer
    queryset = QuestionBank.objects.none()
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[QuestionBank]:
        if getattr(self, "swagger_fake_view", False):
            return QuestionBank.objects.none()
        return selectors.bank_list(actor=self.request.user)

    def get_object(self) -> QuestionBank:
        return selectors.bank_get(actor=self.request.user, pk=self.kwargs["pk"])

    def create(self, request: Request) -> Response:
        serializer = BankSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # a unit outside the caller's scope: the service refuses (403, audited)
        bank = services.bank_create(actor=request.user, unit=data["unit"], name=data["name"],
                                    description=data.get("description", ""))
        return Response(BankSerializer(bank).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Import questions into the bank (all or nothing, in the background)",
                   request={"multipart/form-data": QuestionImportUploadSerializer},
                   responses={202: ImportJobSerializer, 400: OpenApiResponse(description="No file or a bad one.")})
    @action(detail=True, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request, pk: str) -> Response:
        bank = self.get_object()
        upload = QuestionImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        job = import_job_start(actor=request.user, bank=bank, upload=upload.validated_data["file"],
                               fmt=upload.validated_data.get("format") or "")
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Export the bank's questions (the import format)",
        parameters=[OpenApiParameter("format", str, enum=list(FORMATS), required=True)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer, _FileRenderer])
    def export(self, request: Request, pk: str) -> HttpResponse | Response:
        bank = self.get_object()
        fmt = request.query_params.get("format", "")
        if fmt not in FORMATS:
            return Response({"format": ["Choose format=xlsx, csv or json."]}, status=status.HTTP_400_BAD_REQUEST)
        file = export_bank(actor=request.user, bank=bank, fmt=fmt)
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(file.filename)}"
        return response


@extend_schema(tags=["questions"], parameters=[OpenApiParameter("bank_pk", int, OpenApiParameter.PATH)])
class QuestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The questions of one bank."""

    serializer_class = QuestionSerializer
    queryset = Question.objects.none()
    pagination_class = KeysetPagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def _bank(self) -> QuestionBank:
        return selectors.bank_get(actor=self.request.user, pk=self.kwargs["bank_pk"])

    def get_queryset(self) -> QuerySet[Question]:
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        return selectors.question_list(actor=self.request.user, bank=self._bank(),
                                       filters=selectors.QuestionFilters.from_params(self.request.query_params))

    def get_object(self) -> Question:
        return selectors.question_get(actor=self.request.user, bank=self._bank(), pk=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("type", str, enum=QuestionType.values), OpenApiParameter("tag", str),
        OpenApiParameter("difficulty", int), OpenApiParameter("q", str, description="Words in the stem."),
        OpenApiParameter("inactive", bool, description="Include deactivated questions."),
    ])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _fields(self, data: dict[str, Any], question: Question | None = None) -> dict[str, Any]:
        base: dict[str, Any] = {}
        if question is not None:
            base = {"qtype": question.qtype, "stem": question.stem, "options": question.options,
                    "answers": question.answers, "tags": [t.name for t in question.tags.all()],
                    "difficulty": question.difficulty, "source": question.source,
                    "explanation": question.explanation}
        base.update(data)
        return base

    def create(self, request: Request, bank_pk: str) -> Response:
        bank = self._bank()
        serializer = QuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = services.question_create(actor=request.user, bank=bank, **self._fields(serializer.validated_data))
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, bank_pk: str, pk: str, partial: bool = False) -> Response:
        question = self.get_object()
        serializer = QuestionSerializer(question, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        question = services.question_update(actor=request.user, question=question,
                                            **self._fields(serializer.validated_data, question))
        return Response(QuestionSerializer(question).data)

    def partial_update(self, request: Request, bank_pk: str, pk: str) -> Response:
        return self.update(request, bank_pk, pk, partial=True)


@extend_schema(tags=["questions"])
class ImportJobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An import job: poll it until ``state`` is done or failed."""

    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.none()

    def get_object(self) -> ImportJob:
        return selectors.import_job_get(actor=self.request.user, pk=self.kwargs["pk"])
