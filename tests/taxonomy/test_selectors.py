"""A class is looked up one way everywhere: by wnid, and only ImageNet classes count."""

from __future__ import annotations

import pytest
from django.http import Http404

from labeling.taxonomy.models import Synset
from labeling.taxonomy.selectors import class_get_or_404, classes_by_wnid, synset_get
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree() -> dict[str, Synset]:
    return {
        "norfolk": make_class("norfolk"),
        "laptop": make_class("laptop"),
        "terrier": make_ancestor(),
    }


def test_only_synsets_with_a_class_index_are_classes(tree):
    assert set(Synset.objects.classes()) == {tree["norfolk"], tree["laptop"]}
    assert not Synset.objects.filter(wnid=tree["terrier"].wnid).classes().exists()


def test_a_class_is_found_by_its_wnid(tree):
    assert class_get_or_404(wnid="n02094114") == tree["norfolk"]


@pytest.mark.parametrize("wnid", ["n02092468", "n99999999", "terrier"])
def test_an_ancestor_an_unknown_wnid_or_text_is_no_class(tree, wnid):
    with pytest.raises(Http404, match=f"No ImageNet class {wnid}."):
        class_get_or_404(wnid=wnid)


def test_an_ancestor_is_still_a_synset(tree):
    assert synset_get(wnid="n02092468") == tree["terrier"]
    assert synset_get(wnid="n99999999") is None


def test_classes_by_wnid_gives_every_class_or_the_classes_among_those_asked(tree):
    assert classes_by_wnid() == {"n02094114": tree["norfolk"], "n03642806": tree["laptop"]}
    asked = ["n03642806", "n02092468", "n99999999"]
    assert classes_by_wnid(wnids=asked) == {"n03642806": tree["laptop"]}
