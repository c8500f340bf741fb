"""Forms of the guide pages. They only check input; saving goes through the services."""

from __future__ import annotations

import re

from django import forms

from labeling.guide.documents import TITLE_MAX, text_normalize
from labeling.taxonomy.models import Synset
from labeling.taxonomy.text import WNID_RE

TEXT_MAX = 100_000  # far beyond any entry; keeps a pasted novel out of the guide and the preview


class GuideTextForm(forms.Form):
    text = forms.CharField(
        required=False,
        strip=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
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
    title = forms.CharField(max_length=TITLE_MAX, help_text="e.g. Norwich vs Norfolk terrier: ears")
    wnids = forms.CharField(
        label="Classes",
        help_text="the wnids of two or more classes, separated by commas or spaces",
        widget=forms.TextInput(attrs={"placeholder": "n02094114, n02094258"}),
    )

    field_order = ["title", "wnids", "text", "comment", "base_revision"]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if "\n" in title or "\r" in title:
            raise forms.ValidationError("The title must be one line.")
        return title

    def clean_wnids(self) -> list[Synset]:
        wnids = list(dict.fromkeys(w for w in re.split(r"[,\s]+", self.cleaned_data["wnids"]) if w))
        malformed = [w for w in wnids if not WNID_RE.match(w)]
        if malformed:
            raise forms.ValidationError(
                f"Not wnids (n + 8 digits): {', '.join(malformed)}.", code="malformed"
            )
        found = {
            synset.wnid: synset
            for synset in Synset.objects.filter(wnid__in=wnids, class_index__isnull=False)
        }
        unknown = [w for w in wnids if w not in found]
        if unknown:
            raise forms.ValidationError(f"Not ImageNet classes: {', '.join(unknown)}.")
        if len(found) < 2:
            raise forms.ValidationError("A note compares at least two different classes.")
        return [found[w] for w in wnids]


class GuideFreezeForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="e.g. the evaluation round it is frozen for")
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
