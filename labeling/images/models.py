"""Images to label, where they came from, and the per-class reference images."""

from __future__ import annotations

import secrets

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from labeling.taxonomy.models import Synset

PUBLIC_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes, safe in paths and URLs


def new_public_id() -> str:
    """An opaque id that says nothing about the image's class, source or file name (80 bits)."""
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(16))


class DatasetKind(models.TextChoices):
    """What scoring compares: the original ImageNet validation set against ImageNetV2."""

    IMAGENET_VAL = "imagenet-val", "ImageNet validation"
    IMAGENETV2 = "imagenetv2", "ImageNetV2"
    OTHER = "other", "other"


BUILTIN_SOURCES = [
    ("imagenet-val", "ImageNet validation set (ILSVRC2012)", DatasetKind.IMAGENET_VAL),
    ("imagenetv2-matched-frequency", "ImageNetV2 MatchedFrequency", DatasetKind.IMAGENETV2),
    ("imagenetv2-threshold0.7", "ImageNetV2 Threshold0.7", DatasetKind.IMAGENETV2),
    ("imagenetv2-top-images", "ImageNetV2 TopImages", DatasetKind.IMAGENETV2),
]


class ImageSource(models.Model):
    slug = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9._-]*$", "Use lower-case letters, digits, '.', '_' and '-'."
            )
        ],
    )
    name = models.CharField(max_length=200)
    dataset = models.CharField(max_length=20, choices=DatasetKind.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slug__regex=r"^[a-z0-9][a-z0-9._-]*$"), name="source_slug_format"
            )
        ]

    def __str__(self) -> str:
        return self.slug


def image_upload_to(instance: Image, filename: str) -> str:
    # Named by the opaque id only: the stored path must not reveal class or source folder.
    return f"images/{instance.public_id[:2]}/{instance.public_id}{_suffix(filename)}"


def image_thumbnail_upload_to(instance: Image, filename: str) -> str:
    return f"thumbs/{instance.public_id[:2]}/{instance.public_id}.jpg"


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot != -1 and len(filename) - dot <= 6 else ""


class Image(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    source = models.ForeignKey(ImageSource, on_delete=models.PROTECT, related_name="images")
    original_name = models.CharField(
        max_length=255,
        help_text="ImageNet val file name (ILSVRC2012_val_00038768.JPEG) or ImageNetV2 SHA-1 id",
    )
    original_label = models.ForeignKey(
        Synset, on_delete=models.PROTECT, related_name="labeled_images", to_field="wnid"
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=image_upload_to, max_length=255)
    thumbnail = models.FileField(upload_to=image_thumbnail_upload_to, max_length=255, blank=True)
    problematic = models.BooleanField(default=False)
    problematic_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "original_name"], name="image_unique_name"),
            models.CheckConstraint(condition=Q(width__gt=0, height__gt=0), name="image_size_pos"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="image_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(problematic=True) | Q(problematic_reason=""),
                name="image_reason_only_if_problematic",
            ),
        ]
        indexes = [models.Index(fields=["original_name"], name="image_original_name_idx")]

    def __str__(self) -> str:
        return self.public_id


def reference_upload_to(instance: ReferenceImage, filename: str) -> str:
    return f"references/{instance.synset.wnid}/{instance.sha256[:16]}{_suffix(filename)}"


def reference_thumbnail_upload_to(instance: ReferenceImage, filename: str) -> str:
    return f"references/{instance.synset.wnid}/thumbs/{instance.sha256[:16]}.jpg"


class ReferenceImage(models.Model):
    """One of up to N training images shown beside the image being labeled, for one class."""

    synset = models.ForeignKey(Synset, on_delete=models.CASCADE, related_name="reference_images")
    position = models.PositiveSmallIntegerField(help_text="order in the class's gallery")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file = models.FileField(upload_to=reference_upload_to, max_length=255)
    thumbnail = models.FileField(
        upload_to=reference_thumbnail_upload_to, max_length=255, blank=True
    )
    thumbnail_width = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["synset", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["synset", "position"], name="reference_unique_position"
            ),
            models.UniqueConstraint(fields=["synset", "sha256"], name="reference_unique_file"),
            models.CheckConstraint(
                condition=Q(width__gt=0, height__gt=0), name="reference_size_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.synset.wnid} #{self.position}"


def annotator_copy_upload_to(instance: AnnotatorCopy, filename: str) -> str:
    return f"copies/{instance.token[:2]}/{instance.token}.jpg"


def annotator_copy_thumbnail_upload_to(instance: AnnotatorCopy, filename: str) -> str:
    return f"copies/{instance.token[:2]}/{instance.token}-thumb.jpg"


def new_copy_token() -> str:
    return secrets.token_hex(16)


class AnnotatorCopy(models.Model):
    """What annotators are served instead of an image's file: its pixels re-encoded, upright, with
    no metadata, comments or trailing bytes, and a thumbnail made from those pixels.

    `token` is random and is the files' ETag, so nothing an annotator's browser caches can be
    matched against the public dataset's files (unlike the original's SHA-256).
    """

    image = models.OneToOneField(Image, on_delete=models.CASCADE, related_name="annotator_copy")
    token = models.CharField(max_length=32, unique=True, default=new_copy_token, editable=False)
    version = models.PositiveSmallIntegerField(help_text="of the re-encoding recipe")
    file = models.FileField(upload_to=annotator_copy_upload_to, max_length=255)
    thumbnail = models.FileField(upload_to=annotator_copy_thumbnail_upload_to, max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(token__regex=r"^[0-9a-f]{32}$"), name="annotator_copy_token_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"copy of {self.image_id}"
