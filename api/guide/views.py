"""The labeling guide over the API: entries, distinction notes, history, import/export, freezes.

Anyone with a role reads; annotators and admins edit; only admins import, freeze and release.
While the guide is frozen every edit answers 409 with the freeze's name.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import bad_request
from api.guide import serializers as s
from api.parsers import JSONParser
from api.schema import NO_SUCH_PAGE, ErrorSerializer, error_responses
from labeling.accounts.permissions import HasAnyRole, IsStudyAdminOrReadOnly
from labeling.accounts.roles import Role, signed_in, user_roles
from labeling.guide.documents import (
    GuideImportError,
    document_parse,
    format_for_filename,
)
from labeling.guide.rendering import class_names_for
from labeling.guide.selectors import (
    distinction_note_get,
    distinction_note_history,
    distinction_notes,
    guide_active_freeze,
    guide_entries,
    guide_entry_detail,
    guide_entry_history,
    guide_freeze_get,
    guide_freezes,
)
from labeling.guide.services import (
    GuideFrozen,
    distinction_note_save,
    guide_entry_save,
    guide_export,
    guide_freeze,
    guide_import,
    guide_release,
)
from labeling.taxonomy.selectors import class_get_or_404

EDITORS = {Role.ANNOTATOR, Role.ADMIN}
SERVICE_FIELDS = {"synsets": "wnids"}  # the services' field names that the API calls otherwise


class CanEditGuide(BasePermission):
    """Every role reads; annotators and admins write (they keep the guide during training)."""

    message = "Only annotators and admins may change the guide."

    def has_permission(self, request, view) -> bool:
        roles = user_roles(request.user)
        if not roles:
            self.message = "You need the annotator, admin or researcher role."
            return False
        return request.method in SAFE_METHODS or bool(roles & EDITORS)


def frozen_response(error: GuideFrozen) -> Response:
    freeze = error.freeze
    return Response(
        {"detail": str(error), "freeze": {"id": freeze.pk, "name": freeze.name}},
        status=status.HTTP_409_CONFLICT,
    )


class GuideAPIMixin(APIView):
    """Guide errors as JSON: a freeze is a conflict (409), a rejected file lists its problems."""

    permission_classes: Sequence[type[BasePermission]] = [CanEditGuide]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, GuideFrozen):
            return frozen_response(exc)
        if isinstance(exc, GuideImportError):
            return bad_request(
                "The guide file was rejected; nothing was written.", problems=exc.problems
            )
        if isinstance(exc, DjangoValidationError) and hasattr(exc, "error_dict"):
            # The service names a note's classes `synsets`; the API takes them as `wnids`.
            exc = DjangoValidationError(
                {SERVICE_FIELDS.get(key, key): value for key, value in exc.error_dict.items()}
            )
        return super().handle_exception(exc)


# The 4xx answers the views document: 401 and 403 (no login, no role) everywhere, 415 wherever a
# body is read, a 404 for a page past the end of a list.
AUTH = error_responses(401, 403)
NOT_JSON = error_responses(415)
BAD = {400: OpenApiResponse(ErrorSerializer, description="refused, with the reasons")}
MISSING = {404: OpenApiResponse(ErrorSerializer, description="no such class, note or freeze")}
FROZEN = {409: OpenApiResponse(s.GuideFrozenSerializer, description="the guide is frozen")}
ALREADY_RELEASED = {
    409: OpenApiResponse(ErrorSerializer, description="the freeze was already released")
}

# Request bodies as a client sends them: documentation, and the values schemathesis's coverage
# phase holds the other fields at while it varies one (tests/api/test_fuzz.py).
ENTRY_EXAMPLE = OpenApiExample(
    "An entry",
    value={"text": "Olive-green fish with small scales; often held by an angler.", "comment": ""},
    request_only=True,
)
NOTE_EXAMPLE = OpenApiExample(
    "A note",
    value={
        "title": "Tench or goldfish: colour and fins",
        "text": "A goldfish is orange with a long tail fin; a tench is olive-green.",
        "wnids": ["n01440764", "n01443537"],  # tench, goldfish
        "comment": "from training batch 3",
    },
    request_only=True,
)
NOTE_CHANGE_EXAMPLE = OpenApiExample(
    "A new text", value={"text": "A tench has small red eyes."}, request_only=True
)
FREEZE_EXAMPLE = OpenApiExample(
    "A freeze",
    value={"name": "Evaluation round 2", "reason": "the guide as the labelers saw it"},
    request_only=True,
)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    """The request's query parameters, checked by the serializer its view documents them with
    (a 400 listing what is wrong otherwise)."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _paginated_with_html(view: generics.GenericAPIView, queryset, serializer_class) -> Response:
    page = view.paginate_queryset(queryset)
    items = page if page is not None else list(queryset)
    context = {
        **view.get_serializer_context(),
        "class_names": class_names_for(i.text for i in items),
    }
    data = serializer_class(items, many=True, context=context).data
    return view.get_paginated_response(data) if page is not None else Response(data)


# --- Entries --------------------------------------------------------------------------------


class GuideEntryListView(GuideAPIMixin, generics.ListAPIView):
    """Classes with a guide entry, in class order; with `search`, best match first."""

    serializer_class = s.GuideEntrySerializer

    @extend_schema(
        parameters=[s.GuideEntryListQuery],
        responses={200: s.GuideEntrySerializer(many=True), **BAD, **AUTH, **NO_SUCH_PAGE},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        query = _query(s.GuideEntryListQuery, request)
        entries = guide_entries(group=query.get("group"), search=query.get("search"))
        return _paginated_with_html(self, entries, s.GuideEntrySerializer)


class GuideEntryDetailView(GuideAPIMixin, APIView):
    """One class's entry. PUT sets its text (a changed text adds a revision)."""

    @extend_schema(responses={200: s.GuideEntrySerializer, **AUTH, **MISSING})
    def get(self, request: Request, wnid: str) -> Response:
        entry = guide_entry_detail(synset=class_get_or_404(wnid=wnid))
        if entry is None:
            return Response(
                {"detail": f"{wnid} has no guide entry yet."}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(s.GuideEntrySerializer(entry).data)

    @extend_schema(
        request=s.GuideEntryWriteSerializer,
        examples=[ENTRY_EXAMPLE],
        responses={
            200: s.GuideEntrySerializer,
            201: s.GuideEntrySerializer,
            **BAD,
            **AUTH,
            **MISSING,
            **FROZEN,
            **NOT_JSON,
        },
    )
    def put(self, request: Request, wnid: str) -> Response:
        synset = class_get_or_404(wnid=wnid)
        data = s.GuideEntryWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        existed = guide_entry_detail(synset=synset) is not None
        guide_entry_save(
            synset=synset,
            text=data.validated_data["text"],
            author=signed_in(request.user),
            comment=data.validated_data["comment"],
        )
        entry = guide_entry_detail(synset=synset)
        return Response(
            s.GuideEntrySerializer(entry).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        responses={200: s.GuideRevisionSerializer(many=True), **AUTH, **NO_SUCH_PAGE, **MISSING}
    )
)
class GuideEntryRevisionListView(GuideAPIMixin, generics.ListAPIView):
    """The entry's revisions, newest first."""

    serializer_class = s.GuideRevisionSerializer

    def get_queryset(self):
        return guide_entry_history(synset=class_get_or_404(wnid=self.kwargs["wnid"]))


# --- Distinction notes ----------------------------------------------------------------------


class DistinctionNoteListView(GuideAPIMixin, generics.ListCreateAPIView):
    """Notes on telling confusable classes apart, by title. POST adds one."""

    serializer_class = s.DistinctionNoteSerializer

    @extend_schema(
        parameters=[s.DistinctionNoteListQuery],
        responses={200: s.DistinctionNoteSerializer(many=True), **BAD, **AUTH, **NO_SUCH_PAGE},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        query = _query(s.DistinctionNoteListQuery, request)
        notes = distinction_notes(wnid=query.get("wnid"), search=query.get("search"))
        return _paginated_with_html(self, notes, s.DistinctionNoteSerializer)

    @extend_schema(
        request=s.DistinctionNoteWriteSerializer,
        responses={201: s.DistinctionNoteSerializer, **BAD, **AUTH, **FROZEN, **NOT_JSON},
        examples=[NOTE_EXAMPLE],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        data = s.DistinctionNoteWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = distinction_note_save(
            title=data.validated_data["title"],
            text=data.validated_data["text"],
            synsets=data.validated_data["wnids"],
            author=signed_in(request.user),
            comment=data.validated_data["comment"],
        )
        note = distinction_note_get(note_id=saved.pk)
        return Response(s.DistinctionNoteSerializer(note).data, status=status.HTTP_201_CREATED)


NOTE_WRITTEN = {200: s.DistinctionNoteSerializer, **BAD, **AUTH, **MISSING, **FROZEN, **NOT_JSON}


class DistinctionNoteDetailView(GuideAPIMixin, APIView):
    """One note. PUT replaces title, text and classes; PATCH changes only the fields it sends."""

    def _note(self, pk: int):
        note = distinction_note_get(note_id=pk)
        if note is None:
            raise NotFound("No such distinction note.")
        return note

    @extend_schema(responses={200: s.DistinctionNoteSerializer, **AUTH, **MISSING})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.DistinctionNoteSerializer(self._note(pk)).data)

    @extend_schema(
        request=s.DistinctionNoteWriteSerializer, examples=[NOTE_EXAMPLE], responses=NOTE_WRITTEN
    )
    def put(self, request: Request, pk: int, partial: bool = False) -> Response:
        note = self._note(pk)
        data = s.DistinctionNoteWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        distinction_note_save(
            note=note,
            title=values.get("title", note.title),
            text=values.get("text", note.text),
            synsets=values.get("wnids", list(note.synsets.all())),
            author=signed_in(request.user),
            comment=values.get("comment", ""),
        )
        return Response(s.DistinctionNoteSerializer(self._note(pk)).data)

    @extend_schema(
        request=s.DistinctionNoteWriteSerializer,
        examples=[NOTE_CHANGE_EXAMPLE],
        responses=NOTE_WRITTEN,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self.put(request, pk, partial=True)


@extend_schema_view(
    get=extend_schema(
        responses={200: s.NoteRevisionSerializer(many=True), **AUTH, **NO_SUCH_PAGE, **MISSING}
    )
)
class DistinctionNoteRevisionListView(GuideAPIMixin, generics.ListAPIView):
    """The note's revisions, newest first."""

    serializer_class = s.NoteRevisionSerializer

    def get_queryset(self):
        note = distinction_note_get(note_id=self.kwargs["pk"])
        if note is None:
            raise NotFound("No such distinction note.")
        return distinction_note_history(note=note)


# --- The whole guide ------------------------------------------------------------------------


class _IgnoreFormatParameter(BaseContentNegotiation):
    """`?format=` names the file format here, not DRF's renderer override: always answer JSON
    (the file itself is a plain HttpResponse; only errors go through the renderer)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class GuideExportView(GuideAPIMixin, APIView):
    """The whole guide as one file to download."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _IgnoreFormatParameter

    @extend_schema(
        parameters=[s.GuideExportQuery],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/markdown"): str,
            (400, "application/json"): BAD[400],
            **AUTH,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        fmt = _query(s.GuideExportQuery, request)["format"]
        if fmt == "md":
            fmt = "markdown"
        extension, content_type = {
            "json": ("json", "application/json"),
            "markdown": ("md", "text/markdown"),
        }[fmt]
        response = HttpResponse(
            guide_export(fmt=fmt), content_type=f"{content_type}; charset=utf-8"
        )
        filename = f"labeling-guide-{timezone.now():%Y%m%d-%H%M}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class GuideImportView(GuideAPIMixin, APIView):
    """Admins only. Either upload `file` (multipart, with optional `format` and `replace`) or post
    the JSON document itself (`?replace=true` to replace). A rejected file lists every problem."""

    permission_classes = [HasAnyRole, IsStudyAdminOrReadOnly]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[s.GuideImportQuery],
        request=s.GuideImportSerializer,
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(
                s.ImportRejectedSerializer, description="the file was rejected as a whole"
            ),
            **AUTH,
            **FROZEN,
            **NOT_JSON,
        },
    )
    def post(self, request: Request) -> Response:
        if "file" in request.FILES:
            form = s.GuideImportSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            upload = form.validated_data["file"]
            fmt = form.validated_data.get("format") or format_for_filename(upload.name or "")
            if fmt is None:  # no telling extension: a JSON document starts with "{"
                head = upload.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
                fmt = "json" if head.startswith(b"{") else "markdown"
                upload.seek(0)
            document = document_parse(content=upload.read(), fmt=fmt)
            replace = form.validated_data["replace"]
        elif isinstance(request.data, dict) and "entries" in request.data:
            document = dict(request.data)
            replace = _query(s.GuideImportQuery, request)["replace"]
        else:
            return bad_request("Upload the guide as `file`, or post the JSON document itself.")
        summary = guide_import(document=document, author=signed_in(request.user), replace=replace)
        return Response({"detail": f"Imported: {summary}.", "summary": summary.as_dict()})


# --- Freezes --------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(responses={200: s.GuideFreezeSerializer(many=True), **AUTH, **NO_SUCH_PAGE})
)
class GuideFreezeListView(GuideAPIMixin, generics.ListCreateAPIView):
    """Every role sees the freezes and which one is `active`; admins freeze the guide."""

    permission_classes = [HasAnyRole, IsStudyAdminOrReadOnly]
    serializer_class = s.GuideFreezeSerializer

    def get_queryset(self):
        return guide_freezes()

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        active = guide_active_freeze()
        response.data["active"] = s.GuideFreezeSerializer(active).data if active else None
        return response

    @extend_schema(
        request=s.GuideFreezeCreateSerializer,
        examples=[FREEZE_EXAMPLE],
        responses={201: s.GuideFreezeDetailSerializer, **BAD, **AUTH, **FROZEN, **NOT_JSON},
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        data = s.GuideFreezeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        freeze = guide_freeze(
            name=data.validated_data["name"],
            reason=data.validated_data["reason"],
            by=signed_in(request.user),
        )
        return Response(s.GuideFreezeDetailSerializer(freeze).data, status=status.HTTP_201_CREATED)


class GuideFreezeDetailView(GuideAPIMixin, APIView):
    """One freeze with its snapshot: the texts and revision numbers it froze."""

    permission_classes = [HasAnyRole, IsStudyAdminOrReadOnly]

    @extend_schema(responses={200: s.GuideFreezeDetailSerializer, **AUTH, **MISSING})
    def get(self, request: Request, pk: int) -> Response:
        freeze = guide_freeze_get(freeze_id=pk)
        if freeze is None:
            return Response({"detail": "No such freeze."}, status=status.HTTP_404_NOT_FOUND)
        return Response(s.GuideFreezeDetailSerializer(freeze).data)


class GuideFreezeReleaseView(GuideAPIMixin, APIView):
    """Admins end a freeze; a freeze already released is a conflict (409), nothing changes."""

    permission_classes = [HasAnyRole, IsStudyAdminOrReadOnly]

    @extend_schema(
        request=None,
        responses={200: s.GuideFreezeSerializer, **AUTH, **MISSING, **ALREADY_RELEASED},
    )
    def post(self, request: Request, pk: int) -> Response:
        freeze = guide_freeze_get(freeze_id=pk)
        if freeze is None:
            return Response({"detail": "No such freeze."}, status=status.HTTP_404_NOT_FOUND)
        freeze = guide_release(freeze=freeze, by=signed_in(request.user))
        return Response(s.GuideFreezeSerializer(freeze).data)
