"""Study admins read the audit log in the Django admin, filtered; nobody writes it by hand."""

from __future__ import annotations

import pytest

from labeling.audit.models import AuditAction, AuditEntry
from labeling.audit.services import AuditTarget, audit_record
from labeling.guide.services import guide_freeze
from tests.helpers import login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(study_admin) -> AuditEntry:
    freeze = guide_freeze(name="Round 1", by=study_admin)
    return AuditEntry.objects.get(target_type="guide.guidefreeze", target_id=str(freeze.pk))


@pytest.fixture
def root():
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_study_admins_read_the_log_with_filters(study_admin, entry):
    client = login(study_admin)
    for url in [
        "/admin/audit/auditentry/",
        "/admin/audit/auditentry/?action=guide.frozen&target_type=guide.guidefreeze",
        "/admin/audit/auditentry/?q=Round",
        f"/admin/audit/auditentry/{entry.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Round 1" in response.content.decode()


def test_study_admins_find_a_dropped_task_by_its_name_or_id(study_admin):
    task_id = "5f0c7c61-29a3-4a65-8d0c-2f5bde8f0a11"
    audit_record(
        actor=None,
        action=AuditAction.TASK_DROPPED,
        target=AuditTarget(type="celery.task", id=task_id, label="labeling.images.tasks.x"),
        details={"args": [7], "deliveries": 4},
    )
    client = login(study_admin)
    for url in [
        "/admin/audit/auditentry/?action=task.dropped&target_type=celery.task",
        "/admin/audit/auditentry/?q=labeling.images.tasks.x",
        f"/admin/audit/auditentry/?q={task_id}",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "labeling.images.tasks.x" in response.content.decode(), url


def test_nobody_adds_changes_or_deletes_entries_in_the_admin(study_admin, entry, root):
    for user in (study_admin, root):
        client = login(user)
        assert client.get("/admin/audit/auditentry/add/").status_code == 403
        change = f"/admin/audit/auditentry/{entry.pk}/change/"
        client.post(change, {"action": "round.closed", "target_label": "forged"})
        assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
        client.post(
            "/admin/audit/auditentry/",
            {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
        )
    entry.refresh_from_db()
    assert entry.target_label == "Round 1" and entry.action == "guide.frozen"


def test_annotators_and_researchers_do_not_see_the_log(annotator, researcher, study_admin):
    audit_record(actor=study_admin, action=AuditAction.ROUND_CREATED, target=study_admin)
    for user in (annotator, researcher):
        response = login(user).get("/admin/audit/auditentry/")
        assert response.status_code in (302, 403)
