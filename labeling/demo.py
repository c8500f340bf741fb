"""A realistic, self-contained demo study: classes, images, references, guide, models and users.

Everything is deterministic, so building twice leaves the same state: pictures are drawn from a
seed (the image's name), the services deduplicate by SHA-256 and name, and the rest is
get-or-create. The images to label are abstract patterns: nothing in them tells their class.
The file names and labels are real ImageNet validation / ImageNetV2 MatchedFrequency ones.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageOps

from labeling.accounts.roles import Role
from labeling.accounts.services import user_create_or_update
from labeling.guide.models import DistinctionNote
from labeling.guide.selectors import guide_active_freeze
from labeling.guide.services import distinction_note_save, guide_entry_save
from labeling.images.models import Image, ImageSource, ReferenceImage
from labeling.images.services import (
    DuplicateImage,
    DuplicateReference,
    image_create,
    image_thumbnail_create,
    reference_image_create,
    reference_thumbnail_create,
)
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from labeling.rounds.demo import demo_rounds_create
from labeling.taxonomy.fixture import TaxonomyError, taxonomy_fixture_path, taxonomy_read
from labeling.taxonomy.models import Synset
from labeling.taxonomy.selectors import classes_by_wnid
from labeling.taxonomy.services import taxonomy_load, taxonomy_load_text

VAL_SOURCE = "imagenet-val"
V2_SOURCE = "imagenetv2-matched-frequency"
REFERENCES_PER_CLASS = 8

# (wnid, the class a model confuses it with, 3 ImageNet val file names, 3 ImageNetV2 ids). The
# names and labels are real: imagenet-validation-original.json and imagenetv2-b-33.json.
DEMO_CLASSES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    # dogs, with the classic confusable pairs
    (
        "n02094114",  # Norfolk terrier
        "n02094258",
        (
            "ILSVRC2012_val_00000391.JPEG",
            "ILSVRC2012_val_00001379.JPEG",
            "ILSVRC2012_val_00001555.JPEG",
        ),
        (
            "024c53fd8983f39ba674e416ea275a197dbc5b8c",
            "1554178bae1ad2cafb7144f6fb7248e5271cc1c3",
            "166bcacfd43a420eb3ae93f5a1bb36019ef10e2d",
        ),
    ),
    (
        "n02094258",  # Norwich terrier
        "n02094114",
        (
            "ILSVRC2012_val_00000612.JPEG",
            "ILSVRC2012_val_00000875.JPEG",
            "ILSVRC2012_val_00000922.JPEG",
        ),
        (
            "2d0bd6303e7838ba3e48bbb5dea4d73a0f46e267",
            "3236ca546ce64f65bb22318cbe61e420710492fa",
            "77a400927adbe6f865759b7936ddfe168026eecc",
        ),
    ),
    (
        "n02094433",  # Yorkshire terrier
        "n02097658",
        (
            "ILSVRC2012_val_00000696.JPEG",
            "ILSVRC2012_val_00000949.JPEG",
            "ILSVRC2012_val_00001597.JPEG",
        ),
        (
            "52d8611d06cdbb7af7ab21edcaba7a807a355647",
            "5384c8228d37bf2a18a9e1765e227f096c854827",
            "7a70e19ac92488a842dc3366fa2f0eaa16699f4a",
        ),
    ),
    (
        "n02097658",  # silky terrier
        "n02094433",
        (
            "ILSVRC2012_val_00000105.JPEG",
            "ILSVRC2012_val_00000799.JPEG",
            "ILSVRC2012_val_00002222.JPEG",
        ),
        (
            "2de9b90786de7a91fe01e475d2e4880f2fb8eb29",
            "351d9e7bccd0b0691ccf88a0f22c3d30eb836edb",
            "5413c6fb14632f8978accfb3b90b282e451b2549",
        ),
    ),
    (
        "n02109961",  # Eskimo dog
        "n02110185",
        (
            "ILSVRC2012_val_00000178.JPEG",
            "ILSVRC2012_val_00002004.JPEG",
            "ILSVRC2012_val_00002066.JPEG",
        ),
        (
            "04a02455ccf64e1202ba0b4eb5dfac30466e09f3",
            "067a60f7fe6d30e7453cd57327d086c9aab94063",
            "06f195165c726dae43a8820662832d524a63ba62",
        ),
    ),
    (
        "n02110185",  # Siberian husky
        "n02109961",
        (
            "ILSVRC2012_val_00000269.JPEG",
            "ILSVRC2012_val_00000993.JPEG",
            "ILSVRC2012_val_00001314.JPEG",
        ),
        (
            "035c9e7a1a9938d02c3893a6b29d2b9f780f9350",
            "04dfb3d75cdc3e75b82d26be014457ea536793a4",
            "1b5a31129d40e3882ffc95f546b131e1a349ca87",
        ),
    ),
    # other organisms
    (
        "n02012849",  # crane (the bird)
        "n02002556",
        (
            "ILSVRC2012_val_00000389.JPEG",
            "ILSVRC2012_val_00000648.JPEG",
            "ILSVRC2012_val_00001716.JPEG",
        ),
        (
            "0096f41d831a1c4b83f30b9b09c62d2a3282c230",
            "043b0354bac9a48f9729924d68e4289ad79b8bd9",
            "045b3155c0ae4a9cc0bc178239e0bdff732980b7",
        ),
    ),
    (
        "n02002556",  # white stork
        "n02012849",
        (
            "ILSVRC2012_val_00000690.JPEG",
            "ILSVRC2012_val_00001277.JPEG",
            "ILSVRC2012_val_00002901.JPEG",
        ),
        (
            "1bf0f96d7db41a40cf33cff00899037d175217a8",
            "1bfcf600aeb674878516bb3e64f8d7ae6d8934f0",
            "1f49035aa70c96be913a111f44336a90906a73aa",
        ),
    ),
    (
        "n02123045",  # tabby
        "n02123159",
        (
            "ILSVRC2012_val_00001341.JPEG",
            "ILSVRC2012_val_00002823.JPEG",
            "ILSVRC2012_val_00004422.JPEG",
        ),
        (
            "376424d10c4482c36de24c0e75f38fefd20378c5",
            "387f6814c4c8c8c34c53198db3337104acea0bd3",
            "458f2b063c4c3aabec266bb68d4a1ed709e5822f",
        ),
    ),
    (
        "n02123159",  # tiger cat
        "n02123045",
        (
            "ILSVRC2012_val_00000796.JPEG",
            "ILSVRC2012_val_00002472.JPEG",
            "ILSVRC2012_val_00003042.JPEG",
        ),
        (
            "1fa47d6459f9366353a1096448f249c19887ff0c",
            "440e1d2ffedac8fadf76efb94a2462a89689a7d4",
            "4815abd9ecbff52934f3ed8fcc22ee2d4fcbb1c5",
        ),
    ),
    # objects
    (
        "n03126707",  # crane (the machine)
        "n03384352",
        (
            "ILSVRC2012_val_00000020.JPEG",
            "ILSVRC2012_val_00000485.JPEG",
            "ILSVRC2012_val_00000637.JPEG",
        ),
        (
            "1f4392d778f0a67b69b4ea0072412bd1c5da7244",
            "819f6aea77beee385b76e3be319ec577b434b11b",
            "9a08ffb78dcc31f1bc3940cc2945b8022a2bfd2c",
        ),
    ),
    (
        "n03384352",  # forklift
        "n03126707",
        (
            "ILSVRC2012_val_00001579.JPEG",
            "ILSVRC2012_val_00002612.JPEG",
            "ILSVRC2012_val_00003059.JPEG",
        ),
        (
            "0aad4c592c8b975ea9002ea9e10685eb2ecc2dad",
            "24719b9b91a750ddffd03c069d0381971229d0bb",
            "2d86386e71057dd5576fb7afefae828a346eaea1",
        ),
    ),
    (
        "n03642806",  # laptop
        "n03832673",
        (
            "ILSVRC2012_val_00000151.JPEG",
            "ILSVRC2012_val_00000660.JPEG",
            "ILSVRC2012_val_00001713.JPEG",
        ),
        (
            "0925ed60ba37a728faa69e7b148ca4ff00209c20",
            "0d7899ec37493b1fc5b83f23bc861353710d80f7",
            "2a0e2e75aa4ba3ac160995b5e447a7fc324d276e",
        ),
    ),
    (
        "n03832673",  # notebook (computer)
        "n03642806",
        (
            "ILSVRC2012_val_00000677.JPEG",
            "ILSVRC2012_val_00000827.JPEG",
            "ILSVRC2012_val_00002175.JPEG",
        ),
        (
            "1ea85c6f83593f6031bf45bf780148aa9ddba33d",
            "38cab2aab2104f207d542a7d8e5e8a2e5f6c1533",
            "49c3017abd956c2a93fd66839117396a4e1ddd21",
        ),
    ),
    (
        "n03180011",  # desktop computer
        "n03782006",
        (
            "ILSVRC2012_val_00001246.JPEG",
            "ILSVRC2012_val_00001757.JPEG",
            "ILSVRC2012_val_00002626.JPEG",
        ),
        (
            "2bef19d258221029f270480e8b4dac31d4be9b12",
            "6ec5e5fa6ca2cffc2f5abea9234f2346c8f7a06a",
            "7a2f170751fb124b1fcbeac70daab2d693995117",
        ),
    ),
    (
        "n03782006",  # monitor
        "n04152593",
        (
            "ILSVRC2012_val_00000119.JPEG",
            "ILSVRC2012_val_00002089.JPEG",
            "ILSVRC2012_val_00002107.JPEG",
        ),
        (
            "12159289cb7f5f50efbe1b66aff88308cb1ff2dd",
            "21a1f8f96c2cf854e242c127d5d7e783805e454a",
            "6ab213cd60c9e0b0b1bfecf11cc4a4b789c4ae02",
        ),
    ),
    (
        "n04152593",  # screen
        "n03782006",
        (
            "ILSVRC2012_val_00001269.JPEG",
            "ILSVRC2012_val_00001526.JPEG",
            "ILSVRC2012_val_00001571.JPEG",
        ),
        (
            "306aec9a908332fbb042bca774cd006e31e94f23",
            "566eb1bf4759bf11d6d179958786adf8008084a2",
            "5e419e817777683dbbc64ac6257eca1f4c8fb2ab",
        ),
    ),
    (
        "n04355933",  # sunglass (the burning lens)
        "n04356056",
        (
            "ILSVRC2012_val_00000413.JPEG",
            "ILSVRC2012_val_00000704.JPEG",
            "ILSVRC2012_val_00001719.JPEG",
        ),
        (
            "08721e5333cefefdc5bdc0e1a19b91deb14fc104",
            "2ecccb7cbf7a018ea1d1aaf0f6f1e6b37117987d",
            "498fdc234ffe21b855ccded3f3debe1d8033d5bd",
        ),
    ),
    (
        "n04356056",  # sunglasses
        "n04355933",
        (
            "ILSVRC2012_val_00000815.JPEG",
            "ILSVRC2012_val_00003608.JPEG",
            "ILSVRC2012_val_00004692.JPEG",
        ),
        (
            "1f4ea7bea4c59716bb3178576ee100adac3b82df",
            "346645886af43d9a4cbaa652c39d79931d2c98f1",
            "69145751800f0a9e14df72feaf47e6b1178c4abe",
        ),
    ),
    (
        "n07742313",  # Granny Smith
        "n07720875",  # bell pepper: green, round, glossy
        (
            "ILSVRC2012_val_00000023.JPEG",
            "ILSVRC2012_val_00000727.JPEG",
            "ILSVRC2012_val_00003581.JPEG",
        ),
        (
            "06a8f2aeca664769762ce45ffc5bae28ff092209",
            "13fc56a714f93112dbc59050d3f39389359b89f6",
            "498cc800dc4c7f33cb82f75cb5b27d19063b2ac1",
        ),
    ),
]

# name, metadata, share of images (in percent) on which it picks the confusable class
DEMO_MODELS: list[tuple[str, dict, int]] = [
    ("resnet50", {"year": 2015, "top1": 76.1}, 24),
    ("efficientnet-b7", {"year": 2019, "top1": 84.4}, 16),
    ("FixResNeXt101_32x48d_v2", {"year": 2020, "top1": 86.4, "extra_data": True}, 12),
]

# username, password, roles
DEMO_USERS: list[tuple[str, str, list[Role]]] = [
    ("annotator1", "annotator1-demo", [Role.ANNOTATOR]),
    ("annotator2", "annotator2-demo", [Role.ANNOTATOR]),
    ("admin", "admin-demo", [Role.ADMIN]),
    ("researcher", "researcher-demo", [Role.RESEARCHER]),
]
DEMO_SUPERUSER = "admin"  # so the Django admin shows every model
DEMO_AUTHOR = "annotator1"

DEMO_GUIDE: dict[str, str] = {
    "n02094114": (
        "**Norfolk terrier**: *drop* ears — folded forward, tips pointing down, V-shaped.\n\n"
        "Otherwise nearly identical to the Norwich terrier (small, wiry red, wheaten, "
        "black-and-tan or grizzle coat). If the ears are not visible, consider both classes."
    ),
    "n02094258": (
        "**Norwich terrier**: *prick* ears — erect, pointed, standing up.\n\n"
        "The ears are the only reliable difference from the Norfolk terrier."
    ),
    "n02094433": (
        "**Yorkshire terrier**: tan head, steel-blue body; coat long, straight and silky, often "
        "reaching the ground in show dogs. Smaller and more compact than the silky terrier."
    ),
    "n02097658": (
        "**Silky terrier**: blue-and-tan like the Yorkshire terrier, but longer in the body, "
        "with a shorter coat that does not reach the ground and a wedge-shaped head."
    ),
    "n02012849": (
        "**crane** (the bird): long legs and neck, flies with the neck stretched out. Not the "
        "machine (n03126707)."
    ),
    "n03126707": (
        "**crane** (the machine): lifts loads with a hoist on a boom or jib. Not the bird "
        "(n02012849)."
    ),
    "n04355933": (
        "**sunglass**: a convex lens used to focus the sun's rays (a burning glass). In practice "
        "ImageNet's images of this class are mostly sunglasses: check the note."
    ),
}

DEMO_NOTES: list[tuple[str, str, list[str]]] = [
    (
        "Norfolk vs Norwich terrier: look at the ears",
        "Norfolk terriers have **drop** ears (folded, tips down); Norwich terriers have **prick** "
        "ears (erect, pointed). Coat, colour and size do not separate them. If no ear is visible "
        "the image is ambiguous: accept both.",
        ["n02094114", "n02094258"],
    ),
    (
        "laptop vs notebook",
        "ImageNet's *notebook* class is 'notebook computer', i.e. a laptop: the two classes are "
        "the same thing. Accept both for any portable computer.",
        ["n03642806", "n03832673"],
    ),
    (
        "sunglass vs sunglasses",
        "*sunglasses* are spectacles with dark lenses; *sunglass* is a burning lens, but its "
        "ImageNet images mostly show sunglasses too. Treat the two as interchangeable unless the "
        "image clearly shows a single lens.",
        ["n04355933", "n04356056"],
    ),
]


@dataclass
class DemoSummary:
    classes: int
    images_by_source: dict[str, int]
    reference_images: int
    guide_entries: int
    distinction_notes: int
    models: int
    predictions: int
    logins: list[tuple[str, str, str]]  # username, password, roles
    created: dict[str, int] = field(default_factory=dict)  # what this run added

    @property
    def images(self) -> int:
        return sum(self.images_by_source.values())


def demo_picture(*, seed: str, hue: float | None = None) -> bytes:
    """A deterministic abstract JPEG (gradient and shapes) drawn from `seed`; no text, no label."""
    rng = random.Random(seed)
    width, height = rng.randrange(320, 501), rng.randrange(320, 501)
    base_hue = rng.random() if hue is None else hue

    def color(spread: float, alpha: int | None = None) -> tuple[int, ...]:
        h = (base_hue + rng.uniform(-spread, spread)) % 1.0
        rgb = colorsys.hsv_to_rgb(h, rng.uniform(0.25, 0.9), rng.uniform(0.3, 1.0))
        values = tuple(int(c * 255) for c in rgb)
        return values if alpha is None else (*values, alpha)

    gradient = rng.choice([PILImage.linear_gradient("L"), PILImage.radial_gradient("L")])
    gradient = gradient.transpose(rng.choice(list(PILImage.Transpose)))
    gradient = gradient.resize((width, height), PILImage.Resampling.BILINEAR)
    picture = ImageOps.colorize(gradient, color(0.5), color(0.5)).convert("RGBA")
    overlay = PILImage.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for _ in range(rng.randint(6, 14)):
        x0, y0 = rng.randrange(-40, width), rng.randrange(-40, height)
        x1, y1 = x0 + rng.randrange(30, width // 2), y0 + rng.randrange(30, height // 2)
        fill = color(0.3, rng.randrange(70, 210))
        kind = rng.choice(["ellipse", "rectangle", "polygon", "line"])
        if kind == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        elif kind == "rectangle":
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        elif kind == "polygon":
            points = [(rng.randrange(x0, x1), rng.randrange(y0, y1)) for _ in range(5)]
            draw.polygon(points, fill=fill)
        else:
            draw.line((x0, y0, x1, y1), fill=fill, width=rng.randrange(3, 16))
    picture = PILImage.alpha_composite(picture, overlay).convert("RGB")
    picture = picture.filter(ImageFilter.SMOOTH)  # soften the drawn edges a little
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _fraction(*parts: str) -> float:
    """A number in [0, 1) fixed by the parts: a deterministic stand-in for randomness."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def demo_build(*, stdout: io.TextIOBase | None = None) -> DemoSummary:
    """Create (or complete) the demo study. Running it again changes nothing.

    One function per phase, each idempotent; a new part of the demo is one more call here.
    """
    say = stdout.write if stdout is not None else (lambda text: None)
    created: dict[str, int] = {"images": 0, "reference_images": 0, "thumbnails": 0}
    _demo_taxonomy(say=say)
    synsets = _demo_classes()
    users, logins = _demo_users()
    images = _demo_images(synsets=synsets, created=created)
    references = _demo_references(synsets=synsets, created=created)
    _demo_thumbnails(images=images, references=references, created=created)
    demo_rounds_create()
    _demo_guide(synsets=synsets, author=users[DEMO_AUTHOR], say=say)
    models = _demo_predictions(synsets=synsets, images=images, created=created)
    summary = _demo_summary(
        images=images, references=references, models=models, logins=logins, created=created
    )
    say(demo_summary_text(summary))
    return summary


def _demo_taxonomy(*, say: Callable[[str], object]) -> None:
    """Load the committed taxonomy unless classes are loaded already."""
    if Synset.objects.classes().exists():
        return
    say("No classes yet: loading the taxonomy.\n")
    path = taxonomy_fixture_path()
    try:
        counts = taxonomy_load(document=taxonomy_read(path=path))
    except TaxonomyError as error:
        raise RuntimeError(f"{error}; nothing was written") from None
    say(f"loaded {path}: {taxonomy_load_text(counts=counts)}\n")


def _demo_classes() -> dict[str, Synset]:
    """The demo's classes and their confusable partners, by wnid."""
    wnids = {wnid for wnid, *_ in DEMO_CLASSES} | {other for _, other, *_ in DEMO_CLASSES}
    synsets = classes_by_wnid(wnids=wnids)
    missing = sorted(wnids - synsets.keys())
    if missing:
        raise RuntimeError(f"the taxonomy lacks the demo classes {', '.join(missing)}")
    return synsets


def _demo_users() -> tuple[dict[str, User], list[tuple[str, str, str]]]:
    """The demo users by username, and their logins (username, password, roles)."""
    users = {}
    logins = []
    for username, password, roles in DEMO_USERS:
        user = user_create_or_update(username=username, password=password, roles=roles)
        if username == DEMO_SUPERUSER and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        users[username] = user
        logins.append((username, password, ", ".join(role.value for role in roles)))
    return users, logins


def _demo_images(*, synsets: dict[str, Synset], created: dict[str, int]) -> list[Image]:
    """Images to label: abstract pictures seeded by the name only, so they reveal no class."""
    sources = {slug: ImageSource.objects.get(slug=slug) for slug in (VAL_SOURCE, V2_SOURCE)}
    images: list[Image] = []
    for wnid, _, val_names, v2_names in DEMO_CLASSES:
        for slug, names in ((VAL_SOURCE, val_names), (V2_SOURCE, v2_names)):
            for name in names:
                image = Image.objects.filter(source=sources[slug], original_name=name).first()
                if image is None:
                    try:
                        image = image_create(
                            source=sources[slug],
                            original_name=name,
                            original_label=synsets[wnid],
                            data=demo_picture(seed=f"{slug}/{name}"),
                            file_name=f"{name}.jpg",
                        )
                        created["images"] += 1
                    except DuplicateImage as exc:  # same picture stored by another path
                        image = exc.existing
                images.append(image)
    return images


def _demo_references(
    *, synsets: dict[str, Synset], created: dict[str, int]
) -> list[ReferenceImage]:
    """Reference galleries: patterns in the class's own hues, as a stand-in for training photos."""
    references: list[ReferenceImage] = []
    for wnid, *_ in DEMO_CLASSES:
        synset = synsets[wnid]
        hue = _fraction("hue", wnid)
        for position in range(1, REFERENCES_PER_CLASS + 1):
            reference = ReferenceImage.objects.filter(synset=synset, position=position).first()
            if reference is None:
                try:
                    reference = reference_image_create(
                        synset=synset,
                        original_name=f"{wnid}_{position:05d}.JPEG",
                        data=demo_picture(seed=f"reference/{wnid}/{position}", hue=hue),
                        position=position,
                    )
                    created["reference_images"] += 1
                except DuplicateReference as exc:
                    reference = exc.existing
            references.append(reference)
    return references


def _demo_thumbnails(
    *, images: list[Image], references: list[ReferenceImage], created: dict[str, int]
) -> None:
    """Make the thumbnails still missing.

    The on_commit tasks made them in eager mode; with a worker they may still be queued.
    """
    for image in images:
        if not image.thumbnail:
            image.refresh_from_db(fields=["thumbnail"])
        if not image.thumbnail:
            image_thumbnail_create(image=image)
            created["thumbnails"] += 1
    for reference in references:
        if not reference.thumbnail:
            reference.refresh_from_db(fields=["thumbnail", "thumbnail_width", "thumbnail_height"])
        if not reference.thumbnail:
            reference_thumbnail_create(reference=reference)
            created["thumbnails"] += 1


def _demo_guide(*, synsets: dict[str, Synset], author: User, say: Callable[[str], object]) -> None:
    """The guide entries and distinction notes, unless the guide is frozen."""
    freeze = guide_active_freeze()
    if freeze is not None:
        # A frozen guide belongs to a running evaluation: leave it exactly as it is.
        say(f"The guide is frozen ({freeze.name}): demo guide entries left unchanged.\n")
        return
    for wnid, text in DEMO_GUIDE.items():
        guide_entry_save(synset=synsets[wnid], text=text, author=author, comment="demo guide")
    for title, text, note_wnids in DEMO_NOTES:
        distinction_note_save(
            note=DistinctionNote.objects.filter(title=title).first(),
            title=title,
            text=text,
            synsets=[synsets[w] for w in note_wnids],
            author=author,
            comment="demo guide",
        )


def _demo_predictions(
    *, synsets: dict[str, Synset], images: list[Image], created: dict[str, int]
) -> list[ClassifierModel]:
    """Each model's top-1 prediction on every image: mostly the label, sometimes its partner."""
    confusable = {wnid: other for wnid, other, *_ in DEMO_CLASSES}
    models = []
    rows = []
    for name, metadata, error_percent in DEMO_MODELS:
        model = classifier_model_get_or_create(name=name, metadata=metadata)
        models.append(model)
        for image in images:
            label = image.original_label_id  # a wnid: the foreign key points at Synset.wnid
            wrong = _fraction(name, image.original_name) * 100 < error_percent
            predicted = confusable[label] if wrong else label
            score = round(0.35 + 0.6 * _fraction("score", name, image.original_name), 4)
            rows.append((model.pk, image.pk, synsets[predicted].pk, 1, score))
    created["predictions"] = predictions_bulk_create(rows=rows)
    return models


def _demo_summary(
    *,
    images: list[Image],
    references: list[ReferenceImage],
    models: list[ClassifierModel],
    logins: list[tuple[str, str, str]],
    created: dict[str, int],
) -> DemoSummary:
    """What the demo holds now (counted in the database), and what this run added."""
    image_ids = [image.pk for image in images]
    return DemoSummary(
        classes=len(DEMO_CLASSES),
        images_by_source={
            slug: Image.objects.filter(pk__in=image_ids, source__slug=slug).count()
            for slug in (VAL_SOURCE, V2_SOURCE)
        },
        reference_images=ReferenceImage.objects.filter(pk__in=[r.pk for r in references]).count(),
        guide_entries=len(DEMO_GUIDE),
        distinction_notes=DistinctionNote.objects.filter(
            title__in=[title for title, *_ in DEMO_NOTES]
        ).count(),
        models=len(models),
        predictions=ModelPrediction.objects.filter(
            model__in=models, image_id__in=image_ids
        ).count(),
        logins=logins,
        created=created,
    )


def demo_summary_text(summary: DemoSummary) -> str:
    lines = [
        "Demo study ready.",
        f"  classes:            {summary.classes}",
        *(
            f"  images ({slug}): {count}"
            for slug, count in sorted(summary.images_by_source.items())
        ),
        f"  reference images:   {summary.reference_images}",
        f"  guide entries:      {summary.guide_entries}, distinction notes: "
        f"{summary.distinction_notes}",
        f"  models:             {summary.models}, top-1 predictions: {summary.predictions}",
        "  added by this run:  "
        + ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in summary.created.items()),
        "",
        "Logins (demo passwords: never use them on a server others can reach):",
        f"  {'username':<12} {'password':<18} role",
    ]
    lines += [f"  {user:<12} {password:<18} {roles}" for user, password, roles in summary.logins]
    lines.append(f"  ('{DEMO_SUPERUSER}' is also a superuser, for the Django admin at /admin/)")
    return "\n".join(lines) + "\n"
