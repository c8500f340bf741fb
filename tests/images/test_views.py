"""Image files reach the browser only through role-checked views, and give nothing away."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from labeling.accounts.roles import Role, user_roles
from labeling.images.models import Image, ReferenceImage
from labeling.images.selectors import image_visible_to
from labeling.images.services import (
    image_create,
    reference_image_create,
    reference_thumbnail_create,
)
from labeling.rounds.models import RoundKind
from labeling.rounds.services import round_close, round_open
from tests.helpers import login, make_user, stored_name
from tests.images.factories import make_image, picture, probe_picture, val_source
from tests.rounds.factories import make_round
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db

ROLES = ["annotator", "study_admin", "researcher"]
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
IMG: dict[str, Any] = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"}


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def reference_data() -> bytes:
    return picture(400, 300, seed=3)


@pytest.fixture
def reference(reference_data) -> ReferenceImage:
    return reference_image_create(
        synset=make_class("norfolk"), original_name="n02094114_1234.JPEG", data=reference_data
    )


@pytest.fixture
def image() -> Image:
    return make_image(seed=5, label=make_class("norwich"), name="ILSVRC2012_val_00038768.JPEG")


def client_for(request, persona: str) -> Client:
    return login(request.getfixturevalue(persona))


# --- Reference images ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ROLES)
def test_every_role_gets_the_reference_image_with_caching_headers(
    request, persona, reference, reference_data
):
    response = client_for(request, persona).get(f"/files/references/{reference.pk}/", headers=IMG)
    assert response.status_code == 200
    assert response.streaming  # streamed from storage, not read into memory
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response["ETag"] == f'"{hashlib.sha256(reference_data).hexdigest()}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert body(response) == reference_data


def test_a_missing_reference_thumbnail_is_made_on_demand(annotator, reference, settings):
    settings.THUMBNAIL_SIZE = 128
    assert not ReferenceImage.objects.get(pk=reference.pk).thumbnail  # no worker ran in this test
    url = reverse("images:reference-thumbnail", args=[reference.pk])
    assert url == f"/files/references/{reference.pk}/thumb/"

    response = login(annotator).get(url, headers=IMG)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"] == f'"{reference.sha256}-thumb"'
    assert response["Cache-Control"] == "private, max-age=86400"
    with PILImage.open(io.BytesIO(body(response))) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (128, 96)
    stored = ReferenceImage.objects.get(pk=reference.pk)
    assert stored.thumbnail and (stored.thumbnail_width, stored.thumbnail_height) == (128, 96)


def test_an_existing_thumbnail_is_served_as_is(researcher, reference):
    reference_thumbnail_create(reference=reference)
    name = stored_name(ReferenceImage.objects.get(pk=reference.pk).thumbnail)
    response = login(researcher).get(f"/files/references/{reference.pk}/thumb/", headers=IMG)
    with default_storage.open(name, "rb") as handle:
        assert body(response) == handle.read()
    assert ReferenceImage.objects.get(pk=reference.pk).thumbnail.name == name


def test_a_thumbnail_lost_from_storage_is_made_again(annotator, reference):
    reference_thumbnail_create(reference=reference)
    stored = ReferenceImage.objects.get(pk=reference.pk)
    default_storage.delete(stored_name(stored.thumbnail))
    response = login(annotator).get(f"/files/references/{reference.pk}/thumb/", headers=IMG)
    assert response.status_code == 200 and body(response)[:2] == b"\xff\xd8"


def test_a_png_reference_is_served_as_png(annotator):
    data = picture(50, 40, seed=9, format="PNG")
    reference = reference_image_create(
        synset=make_class("laptop"), original_name="r.png", data=data
    )
    response = login(annotator).get(f"/files/references/{reference.pk}/", headers=IMG)
    assert response["Content-Type"] == "image/png"
    assert body(response) == data


def test_a_matching_etag_gets_304(annotator, reference):
    client = login(annotator)
    etag = client.get(f"/files/references/{reference.pk}/")["ETag"]
    response = client.get(f"/files/references/{reference.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "private, max-age=86400"


def test_outsiders_get_403_for_references(outsider, reference):
    client = login(outsider)
    for url in [f"/files/references/{reference.pk}/", f"/files/references/{reference.pk}/thumb/"]:
        response = client.get(url, headers=IMG)
        assert response.status_code == 403
        assert not ReferenceImage.objects.get(pk=reference.pk).thumbnail  # nothing made for them


def test_anonymous_users_are_sent_to_log_in_or_refused(reference):
    url = f"/files/references/{reference.pk}/"
    page = Client().get(url, headers=HTML)
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("login")) and "next=" in page["Location"]
    assert Client().get(url, headers=IMG).status_code == 403
    assert Client().get(url).status_code == 403


def test_unknown_references_are_404_and_writes_are_refused(annotator, reference):
    client = login(annotator)
    assert client.get("/files/references/987654/").status_code == 404
    assert client.get("/files/references/987654/thumb/").status_code == 404
    assert client.post(f"/files/references/{reference.pk}/").status_code == 405
    assert client.head(f"/files/references/{reference.pk}/").status_code == 200


# --- Images to label -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["study_admin", "researcher"])
def test_admins_and_researchers_see_any_image(request, persona, image):
    client = client_for(request, persona)
    response = client.get(f"/files/images/{image.public_id}/", headers=IMG)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"] == f'"{image.sha256}"'
    with default_storage.open(image.file.name, "rb") as handle:
        assert body(response) == handle.read()

    thumb = client.get(f"/files/images/{image.public_id}/thumb/", headers=IMG)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert Image.objects.get(pk=image.pk).thumbnail  # made on demand


def test_annotators_see_no_image_until_rounds_assign_them_some(annotator, image):
    client = login(annotator)
    for url in [f"/files/images/{image.public_id}/", f"/files/images/{image.public_id}/thumb/"]:
        assert client.get(url, headers=IMG).status_code == 403


def test_an_annotator_sees_an_image_only_while_an_open_round_of_theirs_holds_it(annotator, image):
    other = make_user("bert", Role.ANNOTATOR)
    draft = make_round([image], [annotator], open=False)
    assert not image_visible_to(user=annotator, image=image)
    round_open(round=draft)
    assert image_visible_to(user=annotator, image=image)
    assert not image_visible_to(user=other, image=image)  # not their round
    for url in [f"/files/images/{image.public_id}/", f"/files/images/{image.public_id}/thumb/"]:
        assert login(annotator).get(url, headers=IMG).status_code == 200
        assert login(other).get(url, headers=IMG).status_code == 403
    round_close(round=draft)
    assert not image_visible_to(user=annotator, image=image)
    assert login(annotator).get(f"/files/images/{image.public_id}/", headers=IMG).status_code == 403


def test_after_a_training_round_closes_its_labelers_still_see_its_images(annotator, image):
    # For the group review; the pool rule keeps them out of evaluation rounds.
    other = make_user("bert", Role.ANNOTATOR)
    training = make_round([image], [annotator], kind=RoundKind.TRAINING)
    round_close(round=training)
    assert image_visible_to(user=annotator, image=image)
    assert not image_visible_to(user=other, image=image)
    assert login(annotator).get(f"/files/images/{image.public_id}/", headers=IMG).status_code == 200


def test_image_visible_to_is_one_query_for_an_annotator(
    annotator, image, django_assert_num_queries
):
    make_round([image], [annotator])
    user_roles(annotator)  # the role lookup is cached on the user for the request
    with django_assert_num_queries(1):
        assert image_visible_to(user=annotator, image=image)


def test_annotators_get_a_metadata_free_copy_under_a_random_etag(annotator):
    data = probe_picture("n02094258 ILSVRC2012_val_00038768.JPEG")
    image = image_create(
        source=val_source(),
        original_name="ILSVRC2012_val_00038768.JPEG",
        original_label=make_class("norwich"),
        data=data,
    )
    make_round([image], [annotator])
    client = login(annotator)
    etags = set()
    for url in [f"/files/images/{image.public_id}/", f"/files/images/{image.public_id}/thumb/"]:
        response = client.get(url, headers=IMG)
        assert response.status_code == 200
        served = body(response)
        assert b"n02094258" not in served and b"ILSVRC2012" not in served
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"] == "inline"
        etag = response["ETag"].strip('"')
        assert image.sha256 not in etag and hashlib.sha256(served).hexdigest() not in etag
        etags.add(etag)
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"], headers=IMG)
        assert again.status_code == 304  # cache-friendly: the ETag is stable
    assert len(etags) == 2
    # Admins still get the file exactly as imported.
    original = login(make_user("ada", Role.ADMIN)).get(
        f"/files/images/{image.public_id}/", headers=IMG
    )
    assert body(original) == data and original["ETag"] == f'"{image.sha256}"'


def test_outsiders_and_anonymous_users_see_no_image(outsider, image):
    url = f"/files/images/{image.public_id}/"
    assert login(outsider).get(url, headers=IMG).status_code == 403
    assert Client().get(url, headers=IMG).status_code == 403
    assert Client().get(url, headers=HTML).status_code == 302


def test_unknown_public_ids_are_404(study_admin):
    client = login(study_admin)
    assert client.get("/files/images/nosuchimage2345/").status_code == 404
    assert client.get("/files/images/nosuchimage2345/thumb/").status_code == 404


def test_image_visibility_per_role(annotator, study_admin, researcher, outsider, image):
    assert image_visible_to(user=study_admin, image=image)
    assert image_visible_to(user=researcher, image=image)
    assert not image_visible_to(user=annotator, image=image)
    assert not image_visible_to(user=outsider, image=image)


def test_nothing_in_the_url_or_headers_reveals_the_class_source_or_file_name(study_admin, image):
    client = login(study_admin)
    secrets = [
        image.original_name,
        "ILSVRC2012",
        "00038768",
        image.original_label.wnid,
        image.original_label.name.lower(),
        image.source.slug,
        "imagenet",
        "val",
    ]
    for name in ["images:image-file", "images:image-thumbnail"]:
        url = reverse(name, args=[image.public_id])
        assert url in (
            f"/files/images/{image.public_id}/",
            f"/files/images/{image.public_id}/thumb/",
        )
        response = client.get(url, headers=IMG)
        assert response.status_code == 200
        assert response["Content-Disposition"] == "inline"  # no filename=
        headers = " ".join(f"{key}: {value}" for key, value in response.items()).lower()
        for secret in secrets:
            assert secret.lower() not in url.lower()
            assert secret.lower() not in headers, secret


# --- Served by the web server (X-Accel-Redirect) ------------------------------------------------

PREFIX = "/protected-files/"


@pytest.fixture
def through_nginx(settings):
    settings.FILES_X_ACCEL_REDIRECT_PREFIX = PREFIX


def test_with_a_prefix_the_view_hands_the_file_to_the_web_server(through_nginx, image, study_admin):
    response = login(study_admin).get(f"/files/images/{image.public_id}/", **IMG)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"{PREFIX}{image.file.name}"
    assert response.content == b""  # not a byte through Python
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"] == f'"{image.sha256}"'
    assert response["Content-Disposition"] == "inline"


def test_with_a_prefix_an_annotator_is_still_refused_an_image_not_in_their_round(
    through_nginx, image, annotator
):
    client = login(annotator)
    for url in (f"/files/images/{image.public_id}/", f"/files/images/{image.public_id}/thumb/"):
        response = client.get(url, **IMG)
        assert response.status_code == 403
        assert "X-Accel-Redirect" not in response


def test_with_a_prefix_an_annotator_is_handed_the_copy_never_the_file(
    through_nginx, image, annotator
):
    make_round([image], [annotator])
    client = login(annotator)

    full = client.get(f"/files/images/{image.public_id}/", **IMG)
    thumb = client.get(f"/files/images/{image.public_id}/thumb/", **IMG)

    copy = image.annotator_copy
    assert full["X-Accel-Redirect"] == f"{PREFIX}{copy.file.name}"
    assert thumb["X-Accel-Redirect"] == f"{PREFIX}{copy.thumbnail.name}"
    assert full["ETag"] == f'"{copy.token}"' and image.sha256 not in str(full.headers)


def test_with_a_prefix_a_cached_file_is_a_304_without_a_redirect(through_nginx, image, researcher):
    client = login(researcher)
    response = client.get(
        f"/files/images/{image.public_id}/", HTTP_IF_NONE_MATCH=f'"{image.sha256}"', **IMG
    )
    assert response.status_code == 304 and "X-Accel-Redirect" not in response


def test_with_a_prefix_reference_files_are_handed_over_too(through_nginx, reference, annotator):
    response = login(annotator).get(f"/files/references/{reference.pk}/", **IMG)
    assert response["X-Accel-Redirect"] == f"{PREFIX}{reference.file.name}"
