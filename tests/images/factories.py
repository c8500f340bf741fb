"""Test data made in memory: classes created directly, and small images drawn with Pillow."""

from __future__ import annotations

import io

from PIL import Image as PILImage
from PIL import ImageDraw

from labeling.images.models import Image, ImageSource
from labeling.images.services import image_create
from labeling.taxonomy.models import ClassGroup, Synset

# wnid, class index, name, group: enough real classes for tests that do not need the full tree.
CLASSES = {
    "norfolk": ("n02094114", 185, "Norfolk terrier", ClassGroup.DOG),
    "norwich": ("n02094258", 186, "Norwich terrier", ClassGroup.DOG),
    "crane_bird": ("n02012849", 134, "crane", ClassGroup.ORGANISM),
    "crane_machine": ("n03126707", 517, "crane", ClassGroup.OBJECT),
    "laptop": ("n03642806", 620, "laptop", ClassGroup.OBJECT),
}


def make_class(key: str) -> Synset:
    wnid, index, name, group = CLASSES[key]
    synset, _ = Synset.objects.get_or_create(
        wnid=wnid,
        defaults={
            "nltk_name": f"{name.lower().replace(' ', '_')}.n.01",
            "name": name,
            "display_name": name,
            "class_index": index,
            "group": group,
        },
    )
    return synset


def make_ancestor() -> Synset:
    synset, _ = Synset.objects.get_or_create(
        wnid="n02092468",
        defaults={"nltk_name": "terrier.n.01", "name": "terrier", "display_name": "terrier"},
    )
    return synset


def picture(
    width: int = 640,
    height: int = 480,
    *,
    seed: int = 0,
    format: str = "JPEG",
    mode: str = "RGB",
    exif_orientation: int | None = None,
) -> bytes:
    """A small picture whose content (and so SHA-256) depends on `seed`."""
    im = PILImage.new(mode, (width, height), _color(seed, mode))
    draw = ImageDraw.Draw(im)
    draw.rectangle((seed % width, 10, width - 1, height // 2), fill=_color(seed + 7, mode))
    out = io.BytesIO()
    kwargs = {}
    if exif_orientation is not None:
        exif = PILImage.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    im.save(out, format=format, **kwargs)
    return out.getvalue()


def _color(seed: int, mode: str):
    rgb = ((seed * 53) % 256, (seed * 97) % 256, (seed * 31 + 80) % 256)
    if mode == "RGBA":
        return (*rgb, 128)
    if mode == "L":
        return rgb[0]
    if mode == "CMYK":
        return (*rgb, 0)
    return rgb


def val_source() -> ImageSource:
    return ImageSource.objects.get(slug="imagenet-val")


def v2_source() -> ImageSource:
    return ImageSource.objects.get(slug="imagenetv2-matched-frequency")


def make_image(*, seed: int = 0, label: Synset | None = None, name: str | None = None) -> Image:
    return image_create(
        source=val_source(),
        original_name=name or f"ILSVRC2012_val_{seed:08d}.JPEG",
        original_label=label or make_class("norfolk"),
        data=picture(seed=seed),
        file_name=name or f"ILSVRC2012_val_{seed:08d}.JPEG",
    )
