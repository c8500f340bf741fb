"""Admin for image sources, images and reference images.

New images and reference images go through the services (checks, SHA-256, storage path, thumbnail);
the admin's add forms take an upload and call them. Files themselves are never edited here, and
shown only through the role-checked file views under /files/ (MEDIA_URL is never served).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from labeling.images.models import Image, ImageSource, ReferenceImage
from labeling.images.selectors import (
    image_clashes_find,
    reference_clashes_find,
    reference_count_for_class,
)
from labeling.images.services import (
    ImageInfo,
    ImageRejected,
    image_clear_problematic,
    image_create,
    image_inspect,
    image_mark_problematic,
    image_thumbnail_create,
    reference_image_create,
    reference_thumbnail_create,
)
from labeling.taxonomy.models import Synset


@admin.register(ImageSource)
class ImageSourceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "dataset", "image_count"]
    list_filter = ["dataset"]
    search_fields = ["slug", "name", "description"]

    @admin.display(description="images")
    def image_count(self, obj: ImageSource) -> int:
        return obj.images.count()


class UploadForm(forms.ModelForm):
    """An add form with a file upload, which `clean` reads and inspects once."""

    inspected: ImageInfo
    data_bytes: bytes

    def read_upload(self) -> bytes | None:
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        data = upload.read()
        try:
            self.inspected = image_inspect(data=data)
        except ImageRejected as exc:
            self.add_error("upload", exc.reason)
            return None
        self.data_bytes = data
        return data


class ImageAddForm(UploadForm):
    upload = forms.FileField(help_text="JPEG, PNG, WebP… checked and stored under an opaque name")

    class Meta:
        model = Image
        fields = ["source", "original_name", "original_label"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        data = self.read_upload()
        label = cleaned.get("original_label")
        if label is not None and label.class_index is None:
            self.add_error("original_label", "Choose one of the 1000 ImageNet classes.")
        if data is not None:
            existing = Image.objects.filter(sha256=self.inspected.sha256).first()
            if existing is not None:
                self.add_error("upload", f"This file is already stored as {existing.public_id}.")
            for clash in image_clashes_find(sha256s=[self.inspected.sha256]).values():
                self.add_error("upload", f"Not stored: {clash}.")
        source, name = cleaned.get("source"), (cleaned.get("original_name") or "").strip()
        if source is not None and Image.objects.filter(source=source, original_name=name).exists():
            self.add_error("original_name", f"{source} already has an image with this name.")
        return cleaned

    def _post_clean(self):
        # The model's own validation would demand sha256, size and file: the service sets them.
        pass


class PictureMixin:
    """Size and picture of an image or a reference image: a small thumbnail in the list, a larger
    one on the change page, each linking the full file, all through the file views under /files/
    (a FileField shown as it is would link MEDIA_URL, which is never served)."""

    file_url_name: str
    thumbnail_url_name: str
    LIST_SIZE = 64
    PAGE_SIZE = 256

    def file_view_args(self, obj) -> list:
        raise NotImplementedError

    @admin.display(description="size")
    def size(self, obj) -> str:
        return f"{obj.width} x {obj.height}"

    @admin.display(description="picture")
    def thumbnail_column(self, obj) -> SafeString:
        return self._picture(obj, box=self.LIST_SIZE)

    @admin.display(description="picture")
    def picture(self, obj) -> SafeString:
        return self._picture(obj, box=self.PAGE_SIZE)

    @admin.display(description="file")
    def file_link(self, obj) -> SafeString:
        return format_html(
            '<a href="{}">full size, {} x {}</a> <span class="help">stored as {}</span>',
            reverse(self.file_url_name, args=self.file_view_args(obj)),
            obj.width,
            obj.height,
            obj.file.name,
        )

    def _picture(self, obj, *, box: int) -> SafeString:
        # The thumbnail view makes a missing thumbnail on the spot; width and height keep the
        # list from jumping while pictures load.
        scale = min(1.0, box / max(obj.width, obj.height))
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" width="{}" height="{}" loading="lazy"></a>',
            reverse(self.file_url_name, args=self.file_view_args(obj)),
            reverse(self.thumbnail_url_name, args=self.file_view_args(obj)),
            f"picture of {obj}",
            max(1, round(obj.width * scale)),
            max(1, round(obj.height * scale)),
        )


@admin.register(Image)
class ImageAdmin(PictureMixin, admin.ModelAdmin):
    file_url_name = "images:image-file"
    thumbnail_url_name = "images:image-thumbnail"
    list_display = [
        "public_id",
        "thumbnail_column",
        "source",
        "original_name",
        "original_label",
        "size",
        "problematic",
    ]
    list_filter = ["source", "problematic", "original_label__group"]
    search_fields = [
        "original_name",
        "public_id",
        "sha256",
        "original_label__wnid",
        "original_label__name",
    ]
    autocomplete_fields = ["original_label"]
    list_select_related = ["source", "original_label"]
    readonly_fields = [
        "public_id",
        "picture",
        "sha256",
        "width",
        "height",
        "file_link",
        "created_at",
    ]
    fields = [
        "public_id",
        "picture",
        "source",
        "original_name",
        "original_label",
        "problematic",
        "problematic_reason",
        "width",
        "height",
        "sha256",
        "file_link",
        "created_at",
    ]
    actions = ["mark_problematic", "clear_problematic", "make_thumbnails"]
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImageAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["source", "original_name", "original_label", "upload"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            if obj.problematic and not obj.problematic_reason.strip():
                obj.problematic_reason = f"marked in the admin by {request.user.get_username()}"
            if not obj.problematic:
                obj.problematic_reason = ""
            super().save_model(request, obj, form, change)
            return
        # The form checked for duplicates; only a concurrent upload of the same file can still
        # make this raise.
        created = image_create(
            source=form.cleaned_data["source"],
            original_name=form.cleaned_data["original_name"],
            original_label=form.cleaned_data["original_label"],
            data=form.data_bytes,
            file_name=form.cleaned_data["upload"].name,
        )
        # The admin goes on with `obj` (log entry, redirect): make it the stored row.
        obj.__dict__.update(created.__dict__)

    def file_view_args(self, obj: Image) -> list:
        return [obj.public_id]

    @admin.action(description="Mark selected images problematic (excluded from scoring)")
    def mark_problematic(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        reason = f"marked in the admin by {request.user.get_username()}"
        count = 0
        for image in queryset.filter(problematic=False):
            image_mark_problematic(image=image, reason=reason)
            count += 1
        self.message_user(request, f"Marked {count} image(s) problematic.", messages.SUCCESS)

    @admin.action(description="Clear 'problematic' on selected images")
    def clear_problematic(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        count = 0
        for image in queryset.filter(problematic=True):
            image_clear_problematic(image=image)
            count += 1
        self.message_user(request, f"Cleared {count} image(s).", messages.SUCCESS)

    @admin.action(description="Make missing thumbnails now")
    def make_thumbnails(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        count = 0
        for image in queryset.filter(thumbnail=""):
            image_thumbnail_create(image=image)
            count += 1
        self.message_user(request, f"Made {count} thumbnail(s).", messages.SUCCESS)


class ReferenceAddForm(UploadForm):
    upload = forms.FileField(help_text="a training image of this class")
    position = forms.IntegerField(
        required=False, min_value=0, help_text="leave empty to add at the end of the gallery"
    )
    original_name = forms.CharField(required=False, max_length=255)

    class Meta:
        model = ReferenceImage
        fields = ["synset", "position", "original_name"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        data = self.read_upload()
        synset: Synset | None = cleaned.get("synset")
        if synset is None:
            return cleaned
        if synset.class_index is None:
            self.add_error("synset", "Choose one of the 1000 ImageNet classes.")
            return cleaned
        limit = self._limit()
        if reference_count_for_class(synset=synset) >= limit:
            self.add_error("synset", f"This class already has the most ({limit}) reference images.")
        position = cleaned.get("position")
        if position is not None and synset.reference_images.filter(position=position).exists():
            self.add_error("position", "Another reference image has this position.")
        if (
            data is not None
            and synset.reference_images.filter(sha256=self.inspected.sha256).exists()
        ):
            self.add_error("upload", "This class already has this file as a reference image.")
        if data is not None:
            for clash in reference_clashes_find(sha256s=[self.inspected.sha256]).values():
                self.add_error("upload", f"Not stored: {clash}.")
        return cleaned

    @staticmethod
    def _limit() -> int:
        from django.conf import settings

        return settings.REFERENCE_IMAGES_PER_CLASS

    def _post_clean(self):
        pass


@admin.register(ReferenceImage)
class ReferenceImageAdmin(PictureMixin, admin.ModelAdmin):
    file_url_name = "images:reference-file"
    thumbnail_url_name = "images:reference-thumbnail"
    list_display = [
        "__str__",
        "thumbnail_column",
        "synset",
        "position",
        "original_name",
        "size",
    ]
    list_filter = ["synset__group"]
    search_fields = ["synset__wnid", "synset__name", "original_name", "sha256"]
    autocomplete_fields = ["synset"]
    list_select_related = ["synset"]
    ordering = ["synset__class_index", "position"]
    readonly_fields = [
        "picture",
        "sha256",
        "width",
        "height",
        "file_link",
        "thumbnail_width",
        "thumbnail_height",
        "created_at",
    ]
    actions = ["make_thumbnails"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReferenceAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["synset", "position", "original_name", "upload"]
        return ["synset", "position", "original_name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["synset", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = reference_image_create(
            synset=form.cleaned_data["synset"],
            original_name=form.cleaned_data.get("original_name")
            or form.cleaned_data["upload"].name,
            data=form.data_bytes,
            position=form.cleaned_data.get("position"),
        )
        obj.__dict__.update(created.__dict__)

    def file_view_args(self, obj: ReferenceImage) -> list:
        return [obj.pk]

    @admin.action(description="Make missing thumbnails now")
    def make_thumbnails(self, request: HttpRequest, queryset: QuerySet[ReferenceImage]) -> None:
        count = 0
        for reference in queryset.filter(thumbnail=""):
            reference_thumbnail_create(reference=reference)
            count += 1
        self.message_user(request, f"Made {count} thumbnail(s).", messages.SUCCESS)
