"""Admin actions leave an audit entry (who, what, which record, when), written in the same
transaction as the action: a refused or rolled-back action leaves none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from labeling.accounts.roles import Role
from labeling.accounts.services import user_create_or_update
from labeling.audit.models import AuditAction, AuditEntry
from labeling.audit.services import audit_record
from labeling.guide.services import guide_freeze, guide_release
from labeling.rounds.models import Round, RoundKind
from labeling.rounds.services import round_close, round_create, round_open
from tests.accounts.test_admin import change_form
from tests.helpers import login
from tests.images.factories import make_images

pytestmark = pytest.mark.django_db


def entries() -> list[tuple[str, str, str, str]]:
    """The entries but role changes (making the test's personas gives them their roles)."""
    return [
        (entry.actor_name, entry.action, entry.target_type, entry.target_label)
        for entry in AuditEntry.objects.exclude(action=AuditAction.ROLES_CHANGED).order_by("id")
    ]


def entries_since(last: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=last).order_by("id"))


def last_entry_id() -> int:
    return AuditEntry.objects.order_by("id").values_list("id", flat=True).last() or 0


@pytest.fixture
def images(imagenet_classes):
    return list(make_images(["ILSVRC2012_val_00000001.JPEG"]).values())


def test_creating_opening_and_closing_a_round_are_recorded(study_admin, images):
    round = round_create(
        name="Evaluation 1",
        kind=RoundKind.EVALUATION,
        image_ids=[image.pk for image in images],
        created_by=study_admin,
    )
    round_open(round=round, by=study_admin)
    round_open(round=round, by=study_admin)  # already open: nothing happens, nothing recorded
    round_close(round=round)  # a command: no actor

    assert entries() == [
        ("adam", "round.created", "rounds.round", "Evaluation 1"),
        ("adam", "round.opened", "rounds.round", "Evaluation 1"),
        ("", "round.closed", "rounds.round", "Evaluation 1"),
    ]
    created = AuditEntry.objects.get(action=AuditAction.ROUND_CREATED)
    assert created.target_id == str(round.pk) and created.actor == study_admin
    assert created.details == {"kind": "evaluation", "images": 1, "labelers": 0}


def test_a_refused_move_records_nothing(study_admin):
    draft = round_create(name="Empty", kind=RoundKind.TRAINING, created_by=study_admin)
    with pytest.raises(ValidationError):
        round_open(round=draft, by=study_admin)  # no images
    assert [entry[1] for entry in entries()] == ["round.created"]


def test_the_admins_open_and_close_actions_record_who_did_it(study_admin, images):
    draft = round_create(
        name="Draft", kind=RoundKind.EVALUATION, image_ids=[image.pk for image in images]
    )
    client = login(study_admin)
    for action in ("open_rounds", "close_rounds"):
        client.post("/admin/rounds/round/", {"action": action, "_selected_action": [draft.pk]})
    assert Round.objects.get(pk=draft.pk).state == "closed"
    assert entries()[1:] == [
        ("adam", "round.opened", "rounds.round", "Draft"),
        ("adam", "round.closed", "rounds.round", "Draft"),
    ]


def test_freezing_and_releasing_the_guide_are_recorded(study_admin):
    freeze = guide_freeze(name="Round 1", by=study_admin, reason="final test")
    guide_release(freeze=freeze, by=study_admin)
    assert entries() == [
        ("adam", "guide.frozen", "guide.guidefreeze", "Round 1"),
        ("adam", "guide.released", "guide.guidefreeze", "Round 1"),
    ]
    frozen = AuditEntry.objects.filter(target_type="guide.guidefreeze", target_id=str(freeze.pk))
    assert frozen.count() == 2


def test_a_role_change_in_the_admin_is_recorded_with_what_changed(study_admin, annotator):
    researcher = Group.objects.get(name=Role.RESEARCHER.value)
    annotator_group = Group.objects.get(name=Role.ANNOTATOR.value)
    url = f"/admin/auth/user/{annotator.pk}/change/"
    client = login(study_admin)
    before = last_entry_id()

    client.post(url, change_form(annotator, groups=[annotator_group.pk, researcher.pk]))
    client.post(url, change_form(annotator, first_name="Anna"))  # no role change: no entry

    (entry,) = entries_since(before)
    assert (entry.actor, entry.action, entry.target_label) == (
        study_admin,
        "user.roles_changed",
        "anna",
    )
    assert entry.details == {
        "added": ["researcher"],
        "removed": [],
        "roles": ["annotator", "researcher"],
    }


def test_roles_set_by_a_command_are_recorded_without_an_actor(db):
    before = last_entry_id()
    user_create_or_update(username="bert", password="x" * 12, roles=[Role.ANNOTATOR])
    user_create_or_update(username="bert", password="y" * 12, roles=[Role.ANNOTATOR])
    (entry,) = entries_since(before)
    assert (entry.actor_name, entry.details["added"]) == ("", ["annotator"])


def test_audit_record_takes_any_thing_dot_verb_action(study_admin):
    entry = audit_record(
        actor=study_admin, action="adjudication.decided", target=study_admin, details={"n": 1}
    )
    assert entry.action == "adjudication.decided" and entry.target_type == "auth.user"
