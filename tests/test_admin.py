"""Admins find their way through every record in the Django admin: each list can be searched and
filtered, and each list page opens."""

from __future__ import annotations

import pytest
from django.contrib import admin

from tests.helpers import login

# Django's own bookkeeping models, not the study's records.
NOT_STUDY_RECORDS = {"auth.group"}


def study_model_admins():
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if label not in NOT_STUDY_RECORDS:
            yield label, model, model_admin


@pytest.mark.parametrize(
    ("label", "model_admin"),
    [(label, model_admin) for label, _, model_admin in study_model_admins()],
    ids=[label for label, _, _ in study_model_admins()],
)
def test_every_admin_list_has_search_and_filters(label, model_admin):
    assert model_admin.search_fields, f"{label} has no search"
    assert model_admin.list_filter, f"{label} has no filters"


def test_every_admin_list_page_opens_for_a_study_admin(study_admin):
    client = login(study_admin)
    for label, model, _ in study_model_admins():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url, {"q": "terrier"})
        assert response.status_code == 200, url
