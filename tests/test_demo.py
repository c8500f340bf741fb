"""`make_demo` builds a realistic study that reveals no labels, and running it twice is a no-op."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.demo import DEMO_CLASSES, demo_picture
from labeling.guide.models import DistinctionNote, GuideEntry, GuideRevision
from labeling.images.models import Image, ImageSource, ReferenceImage
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.taxonomy.models import Synset
from tests.helpers import stored_name

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_and_isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The demo sets four passwords per run; the real hasher would dominate the test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def taxonomy():
    """The full class tree, loaded the way a deployment loads it."""
    call_command("load_taxonomy", stdout=io.StringIO())


def make_demo() -> str:
    out = io.StringIO()
    call_command("make_demo", stdout=out)
    return out.getvalue()


def state() -> dict:
    """Everything the demo creates, in a comparable form."""
    return {
        "images": sorted(
            Image.objects.values_list("public_id", "source__slug", "original_name", "sha256")
        ),
        "references": sorted(
            ReferenceImage.objects.values_list("synset__wnid", "position", "sha256")
        ),
        "users": sorted(get_user_model().objects.values_list("pk", "username", "is_superuser")),
        "guide": sorted(GuideEntry.objects.values_list("synset__wnid", "text")),
        "notes": sorted(DistinctionNote.objects.values_list("title", "text")),
        "revisions": GuideRevision.objects.count(),
        "models": sorted(ClassifierModel.objects.values_list("name", "metadata")),
        "predictions": sorted(
            ModelPrediction.objects.values_list("model__name", "image__public_id", "synset__wnid")
        ),
        "synsets": Synset.objects.count(),
    }


def test_running_make_demo_twice_leaves_the_same_study(taxonomy):
    first_output = make_demo()
    first = state()
    second_output = make_demo()
    assert state() == first
    assert "120 images, 160 reference images" in first_output
    assert "0 images, 0 reference images, 0 thumbnails, 0 predictions" in second_output


def test_the_demo_study_has_images_references_guide_and_predictions_for_twenty_classes():
    output = make_demo()  # no taxonomy yet: the demo loads it itself
    assert Synset.objects.filter(class_index__isnull=False).count() == 1000
    assert "No classes yet: loading the taxonomy." in output
    assert "1860 synsets (1000 classes)" in output
    labels = set(Image.objects.values_list("original_label_id", flat=True))
    assert len(labels) == len(DEMO_CLASSES) >= 20
    assert {"n02094114", "n02094258", "n02012849", "n03126707"} <= labels  # terriers, both cranes
    groups = set(Synset.objects.filter(wnid__in=labels).values_list("group", flat=True))
    assert groups == {"dog", "organism", "object"}
    assert "imagenetv2-matched-frequency" in output and "reference images:   160" in output

    # Three images per class from each source, named as in the real datasets.
    for slug, name_pattern in [
        ("imagenet-val", r"^ILSVRC2012_val_[0-9]{8}\.JPEG$"),
        ("imagenetv2-matched-frequency", r"^[0-9a-f]{40}$"),
    ]:
        source = ImageSource.objects.get(slug=slug)
        for wnid in labels:
            images = Image.objects.filter(source=source, original_label_id=wnid)
            assert images.count() == 3
            assert images.filter(original_name__regex=name_pattern).count() == 3
            assert all(320 <= i.width <= 500 and 320 <= i.height <= 500 for i in images)
    assert not Image.objects.filter(thumbnail="").exists()

    # Eight reference images per class, each with a thumbnail and its size.
    for wnid in labels:
        references = ReferenceImage.objects.filter(synset__wnid=wnid)
        assert references.count() == 8
        assert all(r.thumbnail and r.thumbnail_width and r.thumbnail_height for r in references)

    # The guide tells Norfolk from Norwich terriers by the ears.
    norfolk = GuideEntry.objects.get(synset__wnid="n02094114")
    assert (
        "drop" in norfolk.text
        and norfolk.updated_by is not None
        and norfolk.updated_by.username == "annotator1"
    )
    assert "prick" in GuideEntry.objects.get(synset__wnid="n02094258").text
    note = DistinctionNote.objects.get(synsets__wnid="n02094114")
    assert set(note.synsets.values_list("wnid", flat=True)) == {"n02094114", "n02094258"}

    # Every model predicts every image: mostly, but not always, the original label.
    image_count = Image.objects.count()
    for model in ClassifierModel.objects.all():
        predictions = ModelPrediction.objects.filter(model=model, rank=1).select_related(
            "image", "synset"
        )
        assert predictions.count() == image_count
        correct = sum(p.synset.wnid == p.image.original_label_id for p in predictions)
        assert 0.6 * image_count < correct < image_count
    assert ClassifierModel.objects.count() == 3
    assert ClassifierModel.objects.get(name="FixResNeXt101_32x48d_v2").metadata["extra_data"]


def test_demo_files_reveal_no_label_and_the_printed_logins_work(taxonomy):
    output = make_demo()
    for image in Image.objects.select_related("original_label", "source"):
        forbidden = [
            image.original_label.wnid,
            image.original_label.name.lower(),
            image.source.slug,
            "imagenet",
            image.original_name.lower().rsplit(".", 1)[0],
        ]
        for field in (image.file, image.thumbnail):
            name = stored_name(field)
            assert not any(word in name.lower() for word in forbidden), name
        assert image.public_id in stored_name(image.file)

    for username, password, role in [
        ("annotator1", "annotator1-demo", "annotator"),
        ("annotator2", "annotator2-demo", "annotator"),
        ("admin", "admin-demo", "admin"),
        ("researcher", "researcher-demo", "researcher"),
    ]:
        assert f"{username:<12} {password:<18} {role}" in output
        user = authenticate(username=username, password=password)
        assert user is not None and user.groups.filter(name=role).exists()
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser


def test_demo_pictures_are_deterministic_and_differ_between_names():
    first = demo_picture(seed="imagenet-val/ILSVRC2012_val_00000391.JPEG")
    assert first == demo_picture(seed="imagenet-val/ILSVRC2012_val_00000391.JPEG")
    assert first != demo_picture(seed="imagenet-val/ILSVRC2012_val_00000612.JPEG")
    assert first[:3] == b"\xff\xd8\xff"  # a JPEG


def test_make_demo_leaves_a_frozen_guide_untouched(taxonomy):
    from labeling.guide.services import guide_freeze

    make_demo()
    GuideEntry.objects.update(text="edited before the freeze")
    guide_freeze(name="Evaluation", by=None)
    output = make_demo()
    assert "The guide is frozen (Evaluation)" in output
    assert set(GuideEntry.objects.values_list("text", flat=True)) == {"edited before the freeze"}


def test_make_demo_with_a_broken_taxonomy_fixture_fails_with_one_readable_line(settings, tmp_path):
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "taxonomy.json").write_text("{", encoding="utf-8")
    settings.BASE_DIR = tmp_path
    with pytest.raises(CommandError, match=r"is not valid JSON: .*; nothing was written$"):
        make_demo()
    assert not Synset.objects.exists()
