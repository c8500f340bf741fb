"""Forms of the guide pages. They check the shape of the input only: the services hold the rules
and raise ValidationError, which `form_add_service_errors` puts on the form's fields."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from labeling.guide.documents import text_normalize
from labeling.guide.services import TEXT_MAX, TITLE_MAX
from labeling.taxonomy.text import WNID_RE


def form_add_service_errors(
    form: forms.BaseForm, error: ValidationError, *, fields: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on the form: each message on the field it names (renamed
    through `fields` where the form calls it otherwise), the rest above the form."""
    fields = fields or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages in error.message_dict.items():
        field = fields.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


class GuideTextForm(forms.Form):
    text = forms.CharField(
        required=False,
        strip=False,
        # The browser's limit only helps the author; the service enforces it.
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true", "maxlength": TEXT_MAX}),
        help_text="Markdown. Link a class with [[n02094114]].",
    )
    comment = forms.CharField(
        required=False, max_length=300, help_text="what changed and why (kept with the revision)"
    )
    # The revision the author started from: a save on top of someone else's newer one is stopped.
    base_revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_text(self) -> str:
        return text_normalize(self.cleaned_data["text"])


class GuideEntryForm(GuideTextForm):
    pass


class DistinctionNoteForm(GuideTextForm):
    title = forms.CharField(
        required=False,  # the service says what a title needs
        widget=forms.TextInput(attrs={"maxlength": TITLE_MAX}),
        help_text="e.g. Norwich vs Norfolk terrier: ears",
    )
    wnids = forms.CharField(
        label="Classes",
        required=False,
        help_text="the wnids of two or more classes, separated by commas or spaces",
        widget=forms.TextInput(attrs={"placeholder": "n02094114, n02094258"}),
    )

    field_order = ["title", "wnids", "text", "comment", "base_revision"]

    def clean_wnids(self) -> list[str]:
        wnids = list(dict.fromkeys(w for w in re.split(r"[,\s]+", self.cleaned_data["wnids"]) if w))
        malformed = [w for w in wnids if not WNID_RE.match(w)]
        if malformed:
            raise forms.ValidationError(
                f"Not wnids (n + 8 digits): {', '.join(malformed)}.", code="malformed"
            )
        return wnids


class GuideFreezeForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="e.g. the evaluation round it is frozen for")
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class GuideReleaseForm(forms.Form):
    freeze_id = forms.IntegerField(min_value=1)
