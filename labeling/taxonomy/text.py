"""The text rules every part of the app shares for classes: what a wnid looks like and how names
are folded before they are compared. Defined here once so an import, a form, the search and the
database constraint cannot disagree."""

from __future__ import annotations

import re
import unicodedata

# A WordNet 3.0 noun offset as ImageNet writes it: WNID inside larger patterns (URLs, guide
# links), WNID_PATTERN for a whole value (the database check constraint on Synset.wnid uses it).
WNID = r"n[0-9]{8}"
WNID_PATTERN = rf"^{WNID}$"
WNID_RE = re.compile(WNID_PATTERN)


def is_wnid(value: object) -> bool:
    return isinstance(value, str) and WNID_RE.match(value) is not None


def fold(text: str) -> str:
    """Lower case, accents stripped ("Pékinois" → "pekinois"): the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
