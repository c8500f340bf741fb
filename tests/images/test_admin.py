"""Admins manage images in the Django admin: upload through the services, mark problematic."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from labeling.images.models import Image, ReferenceImage
from labeling.images.services import reference_image_create
from tests.helpers import login, make_user
from tests.images.factories import make_image, picture, val_source
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    return login(user)


def test_image_admin_pages_list_search_and_filter(superuser_client):
    image = make_image()
    reference = reference_image_create(
        synset=make_class("norfolk"), original_name="r", data=picture(seed=1)
    )
    for url in [
        "/admin/images/imagesource/?q=imagenet",
        "/admin/images/image/?q=n02094114&original_label__group__exact=dog&problematic__exact=0",
        f"/admin/images/image/?q={image.sha256}",
        f"/admin/images/image/{image.pk}/change/",
        "/admin/images/image/add/",
        "/admin/images/referenceimage/?q=Norfolk&synset__group__exact=dog",
        f"/admin/images/referenceimage/{reference.pk}/change/",
        "/admin/images/referenceimage/add/",
    ]:
        response = superuser_client.get(url)
        assert response.status_code == 200, url


def test_the_admin_actions_mark_and_clear_problematic_images(superuser_client):
    images = [make_image(seed=seed) for seed in range(2)]
    ids = [image.pk for image in images]
    superuser_client.post(
        "/admin/images/image/", {"action": "mark_problematic", "_selected_action": ids}
    )
    marked = Image.objects.filter(pk__in=ids)
    assert all(i.problematic and "root" in i.problematic_reason for i in marked)
    superuser_client.post(
        "/admin/images/image/", {"action": "clear_problematic", "_selected_action": ids[:1]}
    )
    assert list(Image.objects.filter(problematic=True).values_list("pk", flat=True)) == ids[1:]


def test_an_image_uploaded_in_the_admin_goes_through_the_checks(superuser_client):
    data = {
        "source": val_source().pk,
        "original_name": "ILSVRC2012_val_00000391.JPEG",
        "original_label": make_class("norfolk").wnid,
    }
    response = superuser_client.post(
        "/admin/images/image/add/",
        {**data, "upload": SimpleUploadedFile("x.JPEG", picture(seed=1)[:400])},
    )
    assert response.status_code == 200 and b"damaged or incomplete" in response.content
    response = superuser_client.post(
        "/admin/images/image/add/", {**data, "upload": SimpleUploadedFile("x.JPEG", picture())}
    )
    assert response.status_code == 302, response.content
    image = Image.objects.get()
    assert image.original_label_id == "n02094114" and image.width == 640
    response = superuser_client.post(
        "/admin/images/image/add/",
        {**data, "original_name": "other", "upload": SimpleUploadedFile("y.jpg", picture())},
    )
    assert b"already stored as" in response.content
    assert Image.objects.count() == 1


def test_a_reference_image_uploaded_in_the_admin_respects_the_limit(superuser_client, settings):
    settings.REFERENCE_IMAGES_PER_CLASS = 1
    norfolk = make_class("norfolk")
    response = superuser_client.post(
        "/admin/images/referenceimage/add/",
        {"synset": norfolk.pk, "upload": SimpleUploadedFile("n02094114_1.JPEG", picture())},
    )
    assert response.status_code == 302, response.content
    reference = ReferenceImage.objects.get()
    assert (reference.position, reference.original_name) == (1, "n02094114_1.JPEG")
    response = superuser_client.post(
        "/admin/images/referenceimage/add/",
        {"synset": norfolk.pk, "upload": SimpleUploadedFile("b.JPEG", picture(seed=2))},
    )
    assert b"already has the most (1) reference images" in response.content


def test_the_admin_shows_pictures_through_the_role_checked_file_views(study_admin):
    """A study admin (not a superuser) sees each picture and opens its file: links go to /files/,
    never to the media URL, which is not served."""
    client = login(study_admin)
    image = make_image()
    reference = reference_image_create(
        synset=make_class("norfolk"), original_name="r", data=picture(seed=1)
    )
    pages = {
        "/admin/images/image/": f"/files/images/{image.public_id}/thumb/",
        f"/admin/images/image/{image.pk}/change/": f"/files/images/{image.public_id}/",
        "/admin/images/referenceimage/": f"/files/references/{reference.pk}/thumb/",
        f"/admin/images/referenceimage/{reference.pk}/change/": (
            f"/files/references/{reference.pk}/"
        ),
    }
    for page, expected in pages.items():
        content = client.get(page).content.decode()
        assert "media-not-served" not in content, page
        assert f'"{expected}"' in content, page
        links = set(re.findall(r'(?:href|src)="(/files/[^"]+)"', content))
        assert links, page
        for link in links:
            response = client.get(link)
            assert response.status_code == 200, link
            assert response["Content-Type"].startswith("image/"), link
    change = client.get(f"/admin/images/image/{image.pk}/change/").content.decode()
    assert re.search(rf'<img src="/files/images/{image.public_id}/thumb/"[^>]*width=', change)


def test_the_admin_refuses_a_file_that_would_be_both_an_image_to_label_and_a_reference(
    superuser_client,
):
    image = make_image(seed=3)
    norfolk = make_class("norfolk")
    response = superuser_client.post(
        "/admin/images/referenceimage/add/",
        {"synset": norfolk.pk, "upload": SimpleUploadedFile("r.JPEG", picture(seed=3))},
    )
    assert response.status_code == 200
    assert f"the same file is stored as image {image.public_id}".encode() in response.content
    assert ReferenceImage.objects.count() == 0

    reference_image_create(synset=norfolk, original_name="n02094114_7.JPEG", data=picture(seed=4))
    response = superuser_client.post(
        "/admin/images/image/add/",
        {
            "source": val_source().pk,
            "original_name": "ILSVRC2012_val_00000004.JPEG",
            "original_label": norfolk.wnid,
            "upload": SimpleUploadedFile("x.JPEG", picture(seed=4)),
        },
    )
    assert response.status_code == 200
    assert b"reference image #1 of n02094114 (n02094114_7.JPEG)" in response.content
    assert Image.objects.count() == 1
