"""Shapes of the guide API. Every entry and note carries `html`: its text rendered and sanitized."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import StringField
from api.schema import ErrorSerializer
from labeling.guide.documents import text_normalize
from labeling.guide.models import DistinctionNote, GuideEntry, GuideFreeze, GuideRevision
from labeling.guide.rendering import markdown_render
from labeling.taxonomy.models import ClassGroup
from labeling.taxonomy.text import WNID

# --- Query parameters: each view validates them with these and documents them from them -------

SEARCH_HELP = (
    "a class's name or synonym (typos forgiven), a wnid or its start (n0209), or words of the text"
)


class GuideEntryListQuery(serializers.Serializer):
    group = serializers.ChoiceField(choices=ClassGroup.choices, required=False)
    search = serializers.CharField(
        required=False, max_length=200, help_text=f"{SEARCH_HELP}; results best first"
    )


class DistinctionNoteListQuery(serializers.Serializer):
    wnid = serializers.RegexField(
        rf"^{WNID}$", required=False, help_text="only the notes about this class"
    )
    search = serializers.CharField(
        required=False, max_length=200, help_text=f"the title, {SEARCH_HELP}"
    )


class GuideExportQuery(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["json", "markdown", "md"], default="json", help_text="md is markdown"
    )


class GuideImportQuery(serializers.Serializer):
    replace = serializers.BooleanField(
        default=False,
        help_text="with a posted JSON document: empty the entries and delete the notes it lacks",
    )


class FreezeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GuideFrozenSerializer(ErrorSerializer):
    """409: the guide is frozen; nothing changed."""

    freeze = FreezeRefSerializer()


class ImportRejectedSerializer(ErrorSerializer):
    """400: the file was rejected as a whole, with every problem found (or, for a request that
    sent no guide at all, the fields at fault)."""

    problems = serializers.ListField(child=serializers.CharField(), required=False)


def _html(serializer: serializers.Serializer, text: str) -> str:
    # A list view puts the class names of the whole page in the context: one query, not one each.
    return markdown_render(text, class_names=serializer.context.get("class_names"))


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class ClassRefSerializer(serializers.Serializer):
    wnid = serializers.CharField()
    name = serializers.CharField(source="display_name")
    class_index = serializers.IntegerField()


class GuideEntrySerializer(serializers.ModelSerializer):
    wnid = serializers.CharField(source="synset.wnid")
    class_index = serializers.IntegerField(source="synset.class_index")
    name = serializers.CharField(source="synset.display_name")
    group = serializers.CharField(source="synset.group")
    html = serializers.SerializerMethodField()
    revision = serializers.IntegerField(allow_null=True, default=None)
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = GuideEntry
        fields = [
            "wnid",
            "class_index",
            "name",
            "group",
            "text",
            "html",
            "revision",
            "updated_at",
            "updated_by",
        ]

    def get_html(self, entry: GuideEntry) -> str:
        return _html(self, entry.text)

    def get_updated_by(self, entry: GuideEntry) -> str | None:
        return _username(entry.updated_by)


class GuideEntryWriteSerializer(serializers.Serializer):
    text = StringField(allow_blank=True, trim_whitespace=False)
    comment = StringField(required=False, allow_blank=True, default="", max_length=300)

    def validate_text(self, value: str) -> str:
        return text_normalize(value)


class DistinctionNoteSerializer(serializers.ModelSerializer):
    wnids = serializers.SerializerMethodField()
    classes = ClassRefSerializer(source="synsets", many=True)
    html = serializers.SerializerMethodField()
    revision = serializers.IntegerField(allow_null=True, default=None)
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = DistinctionNote
        fields = [
            "id",
            "title",
            "wnids",
            "classes",
            "text",
            "html",
            "revision",
            "updated_at",
            "updated_by",
        ]

    def get_wnids(self, note: DistinctionNote) -> list[str]:
        return [synset.wnid for synset in note.synsets.all()]

    def get_html(self, note: DistinctionNote) -> str:
        return _html(self, note.text)

    def get_updated_by(self, note: DistinctionNote) -> str | None:
        return _username(note.updated_by)


class DistinctionNoteWriteSerializer(serializers.Serializer):
    """The shape of a note; the service checks the title, the text and the classes."""

    title = StringField(allow_blank=True)
    text = StringField(allow_blank=True, trim_whitespace=False)
    wnids = serializers.ListField(
        child=serializers.RegexField(
            rf"^{WNID}$", error_messages={"invalid": "Not a wnid (n + 8 digits)."}
        ),
        help_text="the classes the note tells apart (at least two)",
    )
    comment = StringField(required=False, allow_blank=True, default="", max_length=300)

    def validate_text(self, value: str) -> str:
        return text_normalize(value)


class GuideRevisionSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = GuideRevision
        fields = ["number", "author", "created_at", "comment", "text"]

    def get_author(self, revision: GuideRevision) -> str | None:
        return _username(revision.author)


class NoteRevisionSerializer(GuideRevisionSerializer):
    class Meta(GuideRevisionSerializer.Meta):
        fields = ["number", "author", "created_at", "comment", "title", "text"]


class GuideFreezeSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    released_by = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = GuideFreeze
        fields = [
            "id",
            "name",
            "reason",
            "active",
            "created_at",
            "created_by",
            "released_at",
            "released_by",
        ]

    def get_created_by(self, freeze: GuideFreeze) -> str | None:
        return _username(freeze.created_by)

    def get_released_by(self, freeze: GuideFreeze) -> str | None:
        return _username(freeze.released_by)


class GuideFreezeDetailSerializer(GuideFreezeSerializer):
    class Meta(GuideFreezeSerializer.Meta):
        fields = [*GuideFreezeSerializer.Meta.fields, "snapshot"]


class GuideFreezeCreateSerializer(serializers.Serializer):
    name = StringField(max_length=200)
    reason = StringField(required=False, allow_blank=True, default="")


class GuideImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=["json", "markdown"], required=False)
    replace = serializers.BooleanField(required=False, default=False)
