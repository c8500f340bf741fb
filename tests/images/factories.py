"""Test images: small pictures drawn with Pillow and images stored through the service."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

from PIL import Image as PILImage
from PIL import ImageDraw

from labeling.images.models import Image, ImageSource, ReferenceImage
from labeling.images.services import image_create, reference_image_create
from labeling.taxonomy.models import Synset
from tests.taxonomy.factories import make_class


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


def make_references(synset: Synset, positions: Iterable[int]) -> list[ReferenceImage]:
    """Reference images of the class at these gallery positions (302 by 200 at position 2, …)."""
    return [
        reference_image_create(
            synset=synset,
            original_name=f"{synset.wnid}_{position}.JPEG",
            data=picture(300 + position, 200, seed=position),
            position=position,
        )
        for position in positions
    ]


def make_images(names: Iterable[str], *, label: str = "n01440764") -> dict[str, Image]:
    """Image rows named as the study names them, by name, with no files behind them: for tests of
    annotations, rounds and scores, which never read the pixels. The source follows the name
    (an ILSVRC2012_val_ file name is ImageNet val, anything else ImageNetV2)."""
    names = list(names)
    val = val_source()
    v2 = v2_source()
    Image.objects.bulk_create(
        [
            Image(
                source=val if name.startswith("ILSVRC2012_val_") else v2,
                original_name=name,
                original_label_id=label,
                width=500,
                height=375,
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                file=f"images/test/{n}.jpg",
            )
            for n, name in enumerate(names)
        ]
    )
    return {image.original_name: image for image in Image.objects.filter(original_name__in=names)}


def probe_picture(secret: str, *, width: int = 320, height: int = 240) -> bytes:
    """A JPEG that hides `secret` wherever a file can carry text: the EXIF ImageDescription,
    Artist and UserComment, a COM segment, XMP, and bytes appended after the image's end. It is
    also stored rotated (EXIF orientation 6), so that serving it upright takes a transpose."""
    im = PILImage.new("RGB", (width, height), (40, 90, 160))
    ImageDraw.Draw(im).rectangle((0, 0, width // 3, height // 3), fill=(250, 200, 0))
    exif = PILImage.Exif()
    exif[0x010E] = f"ImageDescription {secret}"
    exif[0x013B] = f"Artist {secret}"
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + secret.encode()
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        f'22-rdf-syntax-ns#"><rdf:Description>{secret}</rdf:Description></rdf:RDF></x:xmpmeta>'
    ).encode()
    out = io.BytesIO()
    im.save(out, format="JPEG", exif=exif.tobytes(), comment=f"COM {secret}".encode(), xmp=xmp)
    return out.getvalue() + f"TRAILING {secret}".encode()


def picture_with_broken_exif(width: int = 64, height: int = 48, *, seed: int = 0) -> bytes:
    """A JPEG that decodes fine but whose EXIF block is cut short: Pillow warns when reading it."""
    exif = PILImage.Exif()
    exif[0x010E] = "a description long enough to be cut " * 4
    block = exif.tobytes()
    im = PILImage.open(io.BytesIO(picture(width, height, seed=seed)))
    out = io.BytesIO()
    im.save(out, format="JPEG", exif=block[: len(block) - 30])
    return out.getvalue()


def make_probe_pair(
    *, label: Synset, name: str, second_label: Synset, second_name: str, seed: int = 77
) -> tuple[Image, Image]:
    """A probe image whose file hides its wnid, name and class (see probe_picture), stored
    under a path naming them, and a plain second image: for the leak tests."""
    probe = image_create(
        source=val_source(),
        original_name=name,
        original_label=label,
        data=probe_picture(f"{label.wnid} {name} {label.display_name}"),
        file_name=f"{label.wnid}/{name}",
    )
    second = image_create(
        source=val_source(),
        original_name=second_name,
        original_label=second_label,
        data=picture(seed=seed),
    )
    return probe, second
