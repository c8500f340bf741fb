"""Pages of the labeling guide: read it, edit it with a live preview, compare revisions, freeze it.

Every role reads; annotators and admins edit (labelers keep the guide during training); only
admins freeze it for an evaluation round. While it is frozen the edit pages show why, not a form.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import Role, signed_in, user_roles
from labeling.conflicts import StateConflict
from labeling.guide.forms import (
    DistinctionNoteForm,
    GuideEntryForm,
    GuideFreezeForm,
    GuideReleaseForm,
    form_add_service_errors,
)
from labeling.guide.models import GuideRevision
from labeling.guide.rendering import class_names_for, markdown_render, markdown_to_safe_html
from labeling.guide.selectors import (
    distinction_note_get,
    distinction_note_history,
    distinction_notes,
    guide_active_freeze,
    guide_classes_without_entry,
    guide_entries,
    guide_entry_detail,
    guide_entry_history,
    guide_for_class,
    guide_freeze_get,
    guide_freezes,
    guide_revision_diff,
)
from labeling.guide.services import (
    GuideFrozen,
    distinction_note_save,
    guide_entry_save,
    guide_freeze,
    guide_release,
    guide_text_validate,
)
from labeling.taxonomy.models import ClassGroup
from labeling.taxonomy.selectors import class_get_or_404

READERS = (Role.ANNOTATOR, Role.ADMIN, Role.RESEARCHER)
EDITORS = (Role.ANNOTATOR, Role.ADMIN)


def _can_edit(request: HttpRequest) -> bool:
    return bool(user_roles(request.user) & set(EDITORS))


def _note_or_404(pk: int):
    note = distinction_note_get(note_id=pk)
    if note is None:
        raise Http404("No such distinction note.")
    return note


SEARCH_SHOWN = 50  # entries a search lists at most; the page says how many it leaves out
UNWRITTEN_SHOWN = 20  # classes without an entry a search offers to write


def _first(items: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` items and how many there are in all."""
    shown = list(items[:limit])
    return shown, (len(shown) if len(shown) < limit else items.count())


@require_safe
@role_required(*READERS)
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    group = request.GET.get("group", "")
    if group not in ClassGroup.values:
        group = ""
    can_edit = _can_edit(request)
    # The list needs no entry's text (up to 100,000 characters each).
    entries = guide_entries(search=query or None, group=group or None).defer("text")
    if query:
        shown, total = _first(entries, SEARCH_SHOWN)
    else:
        shown = list(entries)
        total = len(shown)
    unwritten, unwritten_total = (
        _first(guide_classes_without_entry(search=query), UNWRITTEN_SHOWN)
        if query and can_edit
        else ([], 0)
    )
    notes = list(distinction_notes(search=query or None).defer("text"))
    return render(
        request,
        "guide/index.html",
        {
            "query": query,
            "group": group,
            "groups": ClassGroup.choices,
            "entries": shown,
            "entries_total": total,
            "notes": notes,
            "unwritten": unwritten,
            "unwritten_total": unwritten_total,
            "can_edit": can_edit,
            "freeze": guide_active_freeze(),
        },
    )


# --- Entries --------------------------------------------------------------------------------


@require_safe
@role_required(*READERS)
def entry_detail(request: HttpRequest, wnid: str) -> HttpResponse:
    synset = class_get_or_404(wnid=wnid)
    return render(
        request,
        "guide/entry_detail.html",
        {
            **guide_for_class(synset=synset),
            "synset": synset,
            "can_edit": _can_edit(request),
            "freeze": guide_active_freeze(),
        },
    )


@role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, wnid: str) -> HttpResponse:
    synset = class_get_or_404(wnid=wnid)
    entry = guide_entry_detail(synset=synset)
    current = (entry.revision or 0) if entry else 0
    context = {"synset": synset, "entry": entry, "freeze": guide_active_freeze()}
    if context["freeze"] is not None:
        return _frozen_page(request, "guide/entry_edit.html", context)
    if request.method == "POST":
        form = GuideEntryForm(request.POST)
        if form.is_valid() and _no_conflict(request, form, current, entry):
            try:
                guide_entry_save(
                    synset=synset,
                    text=form.cleaned_data["text"],
                    author=signed_in(request.user),
                    comment=form.cleaned_data["comment"],
                )
            except GuideFrozen as error:  # frozen between the check above and the save
                return _frozen_page(
                    request, "guide/entry_edit.html", {**context, "freeze": error.freeze}
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, f"Saved the guide entry for {synset.display_name}.")
                return redirect("guide:entry", wnid=synset.wnid)
    else:
        form = GuideEntryForm(
            initial={"text": entry.text if entry else "", "base_revision": current}
        )
    return render(request, "guide/entry_edit.html", {**context, **_editor_context(form)})


@require_safe
@role_required(*READERS)
def entry_history(request: HttpRequest, wnid: str) -> HttpResponse:
    synset = class_get_or_404(wnid=wnid)
    return _history(
        request,
        revisions=guide_entry_history(synset=synset),
        subject=synset.display_name,
        back_url=reverse("guide:entry", args=[synset.wnid]),
        is_note=False,
    )


# --- Distinction notes ----------------------------------------------------------------------


@require_safe
@role_required(*READERS)
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note_or_404(pk)
    note.html = markdown_render(note.text)
    return render(
        request,
        "guide/note_detail.html",
        {"note": note, "can_edit": _can_edit(request), "freeze": guide_active_freeze()},
    )


@role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def note_new(request: HttpRequest) -> HttpResponse:
    return _note_form(request, note=None)


@role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _note_form(request, note=_note_or_404(pk))


def _note_form(request: HttpRequest, *, note) -> HttpResponse:
    context = {"note": note, "freeze": guide_active_freeze()}
    if context["freeze"] is not None:
        return _frozen_page(request, "guide/note_form.html", context)
    current = (note.revision or 0) if note else 0
    if request.method == "POST":
        form = DistinctionNoteForm(request.POST)
        if form.is_valid() and _no_conflict(request, form, current, note):
            try:
                saved = distinction_note_save(
                    note=note,
                    title=form.cleaned_data["title"],
                    text=form.cleaned_data["text"],
                    synsets=form.cleaned_data["wnids"],
                    author=signed_in(request.user),
                    comment=form.cleaned_data["comment"],
                )
            except GuideFrozen as error:
                return _frozen_page(
                    request, "guide/note_form.html", {**context, "freeze": error.freeze}
                )
            except ValidationError as error:
                form_add_service_errors(form, error, fields={"synsets": "wnids"})
            else:
                messages.success(request, f"Saved the note “{saved.title}”.")
                return redirect("guide:note", pk=saved.pk)
    elif note is not None:
        form = DistinctionNoteForm(
            initial={
                "title": note.title,
                "wnids": ", ".join(s.wnid for s in note.synsets.all()),
                "text": note.text,
                "base_revision": current,
            }
        )
    else:
        # "New note about this class" links pass the class along.
        form = DistinctionNoteForm(
            initial={"wnids": request.GET.get("wnids", ""), "base_revision": 0}
        )
    return render(request, "guide/note_form.html", {**context, **_editor_context(form)})


@require_safe
@role_required(*READERS)
def note_history(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note_or_404(pk)
    return _history(
        request,
        revisions=distinction_note_history(note=note),
        subject=note.title,
        back_url=reverse("guide:note", args=[note.pk]),
        is_note=True,
    )


# --- Shared pieces --------------------------------------------------------------------------


def _editor_context(form) -> dict:
    # The preview starts rendered, so it is right before any typing (and without JavaScript);
    # a text the guide refuses is not rendered (the form shows why).
    text = form["text"].value() or ""
    try:
        guide_text_validate(text=text)
    except ValidationError:
        return {"form": form, "preview_html": ""}
    return {"form": form, "preview_html": markdown_render(text)}


def _frozen_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    # 409 for a POST, so a script or a test sees the save did not happen; a GET just shows why.
    status = 409 if request.method == "POST" else 200
    return render(request, template, {**context, "form": None}, status=status)


def _no_conflict(request: HttpRequest, form, current: int, obj) -> bool:
    """False (and a message) if someone saved a newer revision since the form was opened. The
    form then starts from that revision, so saving again knowingly overwrites it."""
    base = form.cleaned_data.get("base_revision")
    if base is None or base == current:
        return True
    who = obj.updated_by.get_username() if obj is not None and obj.updated_by else "someone"
    form.data = form.data.copy()
    form.data["base_revision"] = str(current)
    form.conflict = {"base": base, "current": current, "who": who}
    messages.warning(
        request,
        f"{who} saved revision {current} while you were editing (you started from revision "
        f"{base}). Your text is below: compare, then save again to replace theirs.",
    )
    return False


def _history(
    request: HttpRequest, *, revisions, subject: str, back_url: str, is_note: bool
) -> HttpResponse:
    revisions = list(revisions)  # newest first
    by_number = {revision.number: revision for revision in revisions}

    def pick(name: str) -> GuideRevision | None:
        value = request.GET.get(name)
        if value in (None, ""):
            return None
        if not value.isdigit() or int(value) not in by_number:
            raise Http404(f"No revision {value}.")
        return by_number[int(value)]

    older, newer, shown = pick("a"), pick("b"), pick("view")
    diff = None
    if older is not None and newer is not None:
        if older.number > newer.number:
            older, newer = newer, older
        diff = guide_revision_diff(older=older, newer=newer)
    if shown is not None:
        shown.html = markdown_render(shown.text)
    default_b = revisions[0].number if revisions else None
    default_a = revisions[1].number if len(revisions) > 1 else default_b
    return render(
        request,
        "guide/history.html",
        {
            "subject": subject,
            "back_url": back_url,
            "is_note": is_note,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "diff": diff,
            "shown": shown,
            "a": older.number if older else default_a,
            "b": newer.number if newer else default_b,
            "freeze": guide_active_freeze(),
        },
    )


@role_required(*EDITORS)
@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """The editor's live preview: the same safe rendering a saved text gets."""
    text = request.POST.get("text", "")
    try:
        guide_text_validate(text=text)
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=400)
    # Not cached: every keystroke's text would push saved revisions out of the cache.
    return JsonResponse({"html": markdown_to_safe_html(text, class_names=class_names_for([text]))})


# --- Freezing -------------------------------------------------------------------------------


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def freeze(request: HttpRequest) -> HttpResponse:
    """Freeze the guide for an evaluation round, or release the active freeze."""
    form = GuideFreezeForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "release":
            release = GuideReleaseForm(request.POST)
            if not release.is_valid():
                messages.error(request, "No freeze to release: the freeze id must be a number.")
                status = 400
            else:
                target = guide_freeze_get(freeze_id=release.cleaned_data["freeze_id"])
                if target is None:
                    raise Http404("No such freeze.")
                try:
                    guide_release(freeze=target, by=signed_in(request.user))
                except StateConflict as error:  # released meanwhile (a stale page)
                    messages.error(request, " ".join(error.messages))
                    status = 409
                else:
                    messages.success(
                        request, f"Released “{target.name}”: the guide can change again."
                    )
                    return redirect("guide:freeze")
        elif action == "freeze":
            form = GuideFreezeForm(request.POST)
            if form.is_valid():
                try:
                    frozen = guide_freeze(
                        name=form.cleaned_data["name"],
                        reason=form.cleaned_data["reason"],
                        by=signed_in(request.user),
                    )
                except GuideFrozen as error:
                    messages.error(request, str(error))
                    status = 409
                except ValidationError as error:
                    form_add_service_errors(form, error)
                    status = 400
                else:
                    messages.success(request, f"Froze the guide as “{frozen.name}”.")
                    return redirect("guide:freeze")
            else:
                status = 400
        else:
            messages.error(request, "Unknown action: freeze or release the guide.")
            status = 400
    return render(
        request,
        "guide/freeze.html",
        {"form": form, "freeze": guide_active_freeze(), "freezes": guide_freezes()[:50]},
        status=status,
    )
