"""Ranked, typo-tolerant search over the ImageNet classes.

Pure Python with no Django imports: the index is built once from plain records (see
`labeling.taxonomy.snapshot.class_snapshot`) and answers a query in well under a
millisecond (benchmarks/search_benchmark.py).

Two stages. First the names as typed, in tiers (lower wins):
  0 exact name, synonym, wnid or index ("tabby")   2 word prefixes, any order ("bull terr")
  1 prefix of a name or wnid ("norfolk t")         3 substring of a name ("errier")
Within a tier the primary name beats a synonym and shorter names beat longer ones.

Then, below those, everything else ranked by one score: what people call a class often differs
from WordNet's lemma by a word ("American bullfrog" is WordNet's bullfrog, "Carolina anole" its
anole), and typos join, split or hit words. Each typed word is matched to a word of a name (as
typed, as the same word in the plural, as the start of a word, or with typos), two typed words to
one name word ("bull frog") and one typed word to two ("chamberedwnautilus"). A matched word earns
its weight, the inverse document frequency over the classes' names and glosses: "bullfrog" names
one class and weighs far more than "American", which starts ten; typos, plurals and unfinished
words cost a little of it, name words left untyped cost some too (so "slug" prefers slug to sea
slug). A typed word the name lacks may still be found in another name of the class or, at half
weight, in its gloss ("crane bird" is the crane whose gloss says "wading bird"). Such results say
which words matched (`SearchHit.words`, `gloss_words`); their tier is "typo" when a word was
found only with typos, run together or split, "gloss" when only the gloss matched, "partial"
otherwise.

A class named exactly (or several words all starting one name: "norf terr") is what was meant:
other classes then come only by their gloss, and no typos are guessed, so "tabby" does not offer
"table". Neither are typos guessed when five letters or more start a name ("chihu"); fewer may be
a short name mistyped ("bic" starts bicycle-built-for-two and is one letter from bib).

How typos are found (the costly part): symmetric-deletion indexes of whole name words, one as
spelt and one by phonetic key ("chihuahua" and "chiwawa" share the key "chiwawa"), give a handful
of candidates per typed word, which a bit-parallel edit distance checks. A misspelt beginning of a
word is still found through the phonetic keys of word prefixes ("chiwa"). How many edits a word
may carry: see `typo_bound`; a word of two letters one ("sa slug", "jx" for ox), at a higher
cost.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labeling.taxonomy.text import WNID_RE, fold

WNID_PREFIX_RE = re.compile(r"^n\d{3,7}$")  # "n0209" lists the wnids starting so
_NON_WORD = re.compile(r"[^0-9a-z]+")
_SMALL_PREFIX = 3  # word prefixes up to this length have their name sets precomputed
_GLOSS_TOKEN = 3  # shorter query tokens ("of", "a") do not search glosses


def normalize(text: str) -> str:
    """Lower case, accents removed, punctuation turned into single spaces."""
    return _NON_WORD.sub(" ", fold(text)).strip()


# Spelling-by-ear rules, applied in order, so "chiwawa" meets "chihuahua" and "terier" "terrier".
_PHONETIC_RULES = [
    (re.compile(r"hu(?=[aeio])"), "w"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"qu"), "kw"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"y"), "i"),
    (re.compile(r"z"), "s"),
    (re.compile(r"(?<=[bdfgkmnrv])h"), ""),
    (re.compile(r"(.)\1+"), r"\1"),
]


def phonetic_key(word: str) -> str:
    for pattern, replacement in _PHONETIC_RULES:
        word = pattern.sub(replacement, word)
    return word


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition of neighbours counts as one edit), or
    limit + 1 when it exceeds `limit`.

    Bit-parallel (Myers 1999, with Hyyrö's 2003 transposition term): one pass over `b` with a
    handful of integer operations per character, several times faster in Python than the table.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if not a or not b:
        return max(len(a), len(b))
    masks: dict[str, int] = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(a)) - 1
    top = 1 << (len(a) - 1)
    vp, vn, d0, previous_mask, score = full, 0, 0, 0, len(a)
    for ch in b:
        pm = masks.get(ch, 0)
        transposed = (((~d0) & pm) << 1) & previous_mask
        d0 = ((((pm & vp) + vp) ^ vp) | pm | vn | transposed) & full
        hp = vn | ~(d0 | vp)
        hn = d0 & vp
        if hp & top:
            score += 1
        elif hn & top:
            score -= 1
        hp = (hp << 1) | 1
        hn = hn << 1
        vp = (hn | ~(d0 | hp)) & full
        vn = hp & d0
        previous_mask = pm
    return score if score <= limit else limit + 1


def allowed_typos(length: int) -> int:
    """Edits tolerated in a word of this many letters: none up to 3, one up to 5, else two."""
    if length <= 3:
        return 0
    if length <= 5:
        return 1
    return 2


def typo_bound(typed: int, word: int) -> int:
    """Edits tolerated between a typed token and a name word of these lengths.

    By the longer of the two (dropping letters from "measuring" still leaves a long word to match),
    but never more than half the shorter one; a three-letter word or token gets one ("reb fox").
    """
    shorter = min(typed, word)
    if shorter <= 2:
        return 0
    if shorter == 3:
        return 1
    return min(allowed_typos(max(typed, word)), shorter // 2)


def deletion_depth(length: int) -> int:
    """Deletions to index for a string of this length so that every pair within `typo_bound`
    shares a variant (the longer side never needs more than its own allowance)."""
    return 1 if length == 3 else allowed_typos(length)


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


@lru_cache(maxsize=512)
def _query_deletions(word: str, depth: int) -> frozenset[str]:
    """`_deletions` of a typed word, remembered: one query looks a word up in several indexes, and
    people type the same words again."""
    if depth == 1 and deletion_depth(len(word)) == 2:
        return frozenset(v for v in _query_deletions(word, 2) if len(v) >= len(word) - 1)
    return frozenset(_deletions(word, depth))


def _shared_start(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def stem(word: str) -> str:
    """The singular of an English plural, roughly: enough that "mittens" meets "mitten" and
    "ducks" the gloss's "duck". Applied to both sides, so its odd results ("lens" -> "len")
    agree."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) >= 8 and word.endswith("oes"):  # potatoes, but not canoes or shoes
        return word[:-2]
    if len(word) > 3 and word[-1] == "s" and word[-2] not in "siu":
        return word[:-1]
    return word


def _frozen(mapping: Mapping[str, Iterable[Any]]) -> dict[str, tuple]:
    """The mapping with tuple values: tuples of strings or ints drop out of the garbage collector's
    tracking, lists and sets never do (and would slow every full collection, i.e. the odd
    request)."""
    return {key: tuple(values) for key, values in mapping.items()}


@dataclass(frozen=True)
class ClassRecord:
    """What the index needs to know about one class."""

    wnid: str
    index: int
    name: str
    display_name: str
    lemmas: tuple[str, ...]
    gloss: str
    group: str
    path: tuple[str, ...]  # short path, root side first, ending with the class's display name
    path_wnids: tuple[str, ...] = ()  # the wnids of `path`

    @property
    def class_index(self) -> int:
        """The name Synset uses, so templates can list records and synsets alike."""
        return self.index


TIER_NAMES = {
    0: "exact",
    1: "prefix",
    2: "word prefix",
    3: "substring",
    4: "gloss",
    5: "typo",
    6: "partial",
}
_GLOSS_TIER, _TYPO_TIER, _PARTIAL_TIER = 4, 5, 6
_SCORED = 4  # where every scored result (gloss, typo, partial) sorts: after the typed tiers

# Weights of the scored stage, in units of a word's inverse document frequency over the classes
# (a word of one class in 1000 weighs ln(1001) = 6.9, a word of a hundred 2.4).
_WEIGHT_SCALE = math.log(1001)
TYPO_COST = 3.0  # per edit
STEM_COST = 0.3  # the same word in the plural or singular: "mittens", "ducks"
PREFIX_COST = 0.3  # per letter not typed yet ("frill" for "frilled"), at most PREFIX_COST_MAX
PREFIX_COST_MAX = 2.0
JOIN_COST = 1.0  # a compound written as two words or two words as one: "bull frog", "greatgrey"
SHARED_START = 0.05  # per first letter a typo gets right, up to four: "beagel" is beagle, not bagel
UNTYPED = 0.15  # share of the weight of each name word the query left out: "slug" is slug first
OTHER_NAME = 0.8  # share for a word found in another name of the class: "great egret"
GLOSS = 0.5  # share for a word found in the gloss: "crane bird"
GLOSS_COMMON = 0.1  # a word in more glosses than this share tells no class apart ("the", "of")
MAX_TOKENS = 8  # distinct words read from a query; no class name has more
PREFIX_WORDS = 40  # completions considered for an unfinished word
SHORT_TYPO_COST = 4.0  # per edit in a typed word of two or three letters
MAX_SPLITS = 3  # ways to split a typed word into two known ones
RESOLVE_MARGIN = 1.5  # a scored best match means the class when this many times ahead of the next


@dataclass(frozen=True)
class SearchHit:
    record: ClassRecord
    tier: int
    matched: str  # the name, synonym, wnid, index or gloss that matched, as stored
    match_kind: str  # name | synonym | wnid | index | gloss | typo
    field: str = ""  # what `matched` is: name | synonym | wnid | index | gloss
    words: tuple[str, ...] = ()  # the words of `matched` that the query matched, normalized
    gloss_words: tuple[str, ...] = ()  # gloss words that matched query words the name lacks
    score: float = 0.0  # the relevance of a scored result (gloss, typo, partial); 0 for the rest

    @property
    def tier_name(self) -> str:
        return TIER_NAMES[self.tier]


@dataclass(frozen=True)
class _Name:
    """One searchable name of a class: its primary name or a synonym."""

    norm: str  # normalized
    compact: str  # normalized without spaces: "jelly fish" finds "jellyfish"
    words: tuple[str, ...]
    text: str  # as stored, for the response
    pos: int  # position of the record
    primary: bool

    @property
    def field(self) -> str:
        return "name" if self.primary else "synonym"


@dataclass(frozen=True)
class _Found:
    """The best match of one class so far."""

    key: tuple
    tier: int
    text: str
    kind: str
    field: str
    words: tuple[str, ...] = ()
    gloss_words: tuple[str, ...] = ()
    score: float = 0.0


# One way to read part of the query against one name: (gain, name words, gloss words, edits).
_Evidence = tuple[float, tuple[str, ...], tuple[str, ...], int]
_Offer = Callable[[int, _Found], None]


class ClassSearchIndex:
    def __init__(self, records: Iterable[ClassRecord]):
        self.records: list[ClassRecord] = sorted(records, key=lambda r: r.index)
        self.by_wnid = {r.wnid: i for i, r in enumerate(self.records)}
        self.by_index = {r.index: i for i, r in enumerate(self.records)}
        self.sorted_wnids = sorted(self.by_wnid)
        self.names: list[_Name] = []
        class_names: list[list[int]] = [[] for _ in self.records]
        for pos, record in enumerate(self.records):
            seen: set[str] = set()
            for k, lemma in enumerate((record.name, *record.lemmas)):
                norm = normalize(lemma)
                if norm and norm not in seen:
                    seen.add(norm)
                    compact = norm.replace(" ", "")
                    class_names[pos].append(len(self.names))
                    self.names.append(_Name(norm, compact, tuple(norm.split()), lemma, pos, k == 0))
        self.class_names = [tuple(numbers) for numbers in class_names]

        # Exact and prefix: a dict, and the names sorted for bisecting.
        exact: dict[str, list[int]] = defaultdict(list)
        for n, name in enumerate(self.names):
            exact[name.norm].append(n)
            if name.compact != name.norm:
                exact[name.compact].append(n)
        self.exact = _frozen(exact)
        self.sorted_names = sorted((name.norm, n) for n, name in enumerate(self.names))
        self.sorted_norms = [norm for norm, _ in self.sorted_names]
        # Substring: one string of every name, searched by str.find (C speed, not a Python loop).
        self.blob, self.blob_starts = self._blob([name.norm for name in self.names])
        self.compact_blob, self.compact_starts = self._blob([name.compact for name in self.names])

        # Word prefixes: word -> names having that word; short prefixes precomputed.
        name_words: dict[str, set[int]] = defaultdict(set)
        for n, name in enumerate(self.names):
            for word in name.words:
                name_words[word].add(n)
        self.name_words = {w: frozenset(s) for w, s in name_words.items()}
        self.name_vocab = sorted(self.name_words)
        small: dict[str, set[int]] = defaultdict(set)
        for word, names in self.name_words.items():
            for end in range(1, min(len(word), _SMALL_PREFIX) + 1):
                small[word[:end]] |= names
        self.small_prefix_names = {p: frozenset(s) for p, s in small.items()}
        name_stems: dict[str, set[str]] = defaultdict(set)
        for word in self.name_vocab:
            name_stems[stem(word)].add(word)
        self.name_stems = _frozen(name_stems)
        # Multi-word names run together ("hairspray", "letterbox"), for a typed word that is one.
        compact_names: dict[str, set[int]] = defaultdict(set)
        for n, name in enumerate(self.names):
            if len(name.words) > 1 and name.compact not in self.name_words:
                compact_names[name.compact].add(n)
        self.compact_names = {c: frozenset(s) for c, s in compact_names.items()}

        gloss_words: dict[str, set[int]] = defaultdict(set)
        for pos, record in enumerate(self.records):
            for word in normalize(record.gloss).split():
                gloss_words[word].add(pos)
        self.gloss_words = {w: frozenset(s) for w, s in gloss_words.items()}
        self.gloss_vocab = sorted(gloss_words)
        gloss_stems: dict[str, set[str]] = defaultdict(set)
        for word in self.gloss_vocab:
            gloss_stems[stem(word)].add(word)
        self.gloss_stems = _frozen(gloss_stems)
        self.common_gloss = max(1, int(GLOSS_COMMON * len(self.records)))
        # One typo in a gloss word of five letters or more ("elephaxnt" for tusker's "elephant").
        self.gloss_deletions = self._deletion_index(
            (w for w in self.gloss_vocab if len(w) >= 5), depth=lambda _: 1
        )

        # Weights: the inverse document frequency of a word's stem over the classes, counting a
        # class once whether the word is in one of its names or in its gloss.
        classes_with: dict[str, set[int]] = defaultdict(set)
        for name in self.names:
            for word in name.words:
                classes_with[stem(word)].add(name.pos)
        for word, positions in self.gloss_words.items():
            classes_with[stem(word)] |= positions
        # Scaled as if there were 1000 classes, so the costs below mean the same in a smaller
        # index (a test's, or a study's subset).
        total = len(self.records)
        scale = _WEIGHT_SCALE / math.log(1 + total) if total else 1.0
        self.weight = {s: scale * math.log(1 + total / len(p)) for s, p in classes_with.items()}
        self.max_weight = _WEIGHT_SCALE  # a word of one class, or of none
        self.name_weights = [tuple(self.weight[stem(w)] for w in name.words) for name in self.names]

        # Typos: symmetric deletions of whole name words, as spelt and by their phonetic keys
        # (spelt: "measrinxg" is two edits from "measuring", its key three from the key).
        self.longest_word = max(map(len, self.name_vocab), default=0)
        key_words: dict[str, set[str]] = defaultdict(set)
        for word in self.name_vocab:
            key_words[phonetic_key(word)].add(word)
        self.key_words = _frozen(key_words)
        self.spelt_deletions = self._deletion_index(self.name_vocab)
        # Names run together get one typo ("hairspgray"): two would index ten times as much.
        self.compact_deletions = self._deletion_index(self.compact_names, depth=lambda _: 1)
        self.key_deletions = self._deletion_index(self.key_words)
        # Words of up to three letters with one deletion each, for a typo in a short word.
        self.short_deletions = self._deletion_index(
            (w for w in self.name_vocab if len(w) <= 3), depth=lambda _: 1
        )
        # Sounds-like beginnings: the key of a word's start, or the start of its key ("chiwa").
        prefix_keys: dict[str, set[str]] = defaultdict(set)
        for word in self.name_vocab:
            key = phonetic_key(word)
            for end in range(4, len(word)):
                prefix_keys[phonetic_key(word[:end])].add(word)
            for end in range(4, len(key)):
                prefix_keys[key[:end]].add(word)
        self.prefix_keys = _frozen(prefix_keys)

    @staticmethod
    def _deletion_index(
        strings: Iterable[str], depth: Callable[[int], int] = deletion_depth
    ) -> dict[str, str]:
        """Every deletion variant -> the strings it comes from, newline-separated. Plain strings,
        not lists: ~80,000 small containers would slow the build and every full garbage
        collection (strings are not tracked by the collector)."""
        index: dict[str, str] = {}
        for text in strings:
            deletions = depth(len(text))
            if deletions:
                for variant in _deletions(text, deletions):
                    seen = index.get(variant)
                    index[variant] = text if seen is None else f"{seen}\n{text}"
        return index

    @staticmethod
    def _blob(texts: list[str]) -> tuple[str, list[int]]:
        """The texts joined by newlines, and where each starts."""
        starts, offset = [], 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1
        return "\n".join(texts), starts

    # --- lookups -----------------------------------------------------------------------------
    @staticmethod
    def _prefix_words(token: str, vocab: list[str], most: int | None = None) -> list[str]:
        start = bisect.bisect_left(vocab, token)
        found: list[str] = []
        for word in vocab[start:]:
            if not word.startswith(token) or len(found) == most:
                break
            found.append(word)
        return found

    def _names_with_word_prefix(self, token: str) -> frozenset[int] | set[int]:
        if len(token) <= _SMALL_PREFIX:
            return self.small_prefix_names.get(token, frozenset())
        found: set[int] = set()
        for word in self._prefix_words(token, self.name_vocab):
            found |= self.name_words[word]
        return found

    @staticmethod
    def _substring_names(needle: str, blob: str, starts: list[int]) -> Iterator[int]:
        """The names (by number) containing the needle: str.find over the joined names."""
        at = blob.find(needle)
        while at != -1:
            yield bisect.bisect_right(starts, at) - 1
            at = blob.find(needle, at + 1)

    def _typo_words(self, token: str) -> dict[str, int]:
        """Name words within `typo_bound` edits of `token`, spelt or sounding, with distances."""
        found: dict[str, int] = {}
        if len(token) > self.longest_word + 2:  # no word is within two edits
            return found

        def consider(word: str, distance: int) -> None:
            distance = max(1, distance)  # sounding the same still cost the user a typo
            if distance < found.get(word, 99):
                found[word] = distance

        key = phonetic_key(token)
        if len(token) >= 4:
            for word in self.prefix_keys.get(key, ()):
                if not word.startswith(token):
                    consider(word, 1)
        for word in self._candidates(token, self.spelt_deletions):
            bound = typo_bound(len(token), len(word))
            distance = edit_distance(token, word, bound)
            if distance <= bound:
                consider(word, distance)
        for candidate in self._candidates(key, self.key_deletions):
            bound = typo_bound(len(key), len(candidate))
            distance = edit_distance(key, candidate, bound)
            if distance <= bound:
                for word in self.key_words[candidate]:
                    # Sounding alike *and* misspelt is a loose match: people rarely miss the
                    # first letter, so ask for it ("zzqx" must not find "sax" by its sound).
                    if distance == 0 or word[0] == token[0]:
                        consider(word, distance)
        return found

    def _short_typo_words(self, token: str) -> list[str]:
        """Words of up to three letters one edit from a token of two or three ("sa" -> "sea")."""
        return [
            word
            for word in self._candidates(token, self.short_deletions, depth=1)
            if len(word) > 1 and word != token and edit_distance(token, word, 1) <= 1
        ]

    @staticmethod
    def _candidates(text: str, index: dict[str, str], depth: int | None = None) -> set[str]:
        """The strings of a deletion index sharing a variant with `text` (its deletions up to
        `depth`, by default its own `deletion_depth`)."""
        found: set[str] = set()
        for variant in _query_deletions(
            text, deletion_depth(len(text)) if depth is None else depth
        ):
            sources = index.get(variant)
            if sources is not None:
                found.update(sources.split("\n"))
        return found

    def _word_matches(
        self, text: str, *, typos: bool, prefixes: bool = True
    ) -> dict[str, tuple[float, int]]:
        """Name words a typed word may mean -> (cost, edits): the word itself or a multi-word name
        run together, the same word in the plural or singular, and when it is none of these,
        words it starts and words a typo or two away (edits > 0)."""
        found: dict[str, tuple[float, int]] = {}

        def add(word: str, cost: float, edits: int) -> None:
            if word not in found or cost < found[word][0]:
                found[word] = (cost, edits)

        if text in self.name_words or text in self.compact_names:
            add(text, 0.0, 0)
        for word in self.name_stems.get(stem(text), ()):
            add(word, STEM_COST, 0)
        if found:
            return found
        if prefixes and len(text) >= 3:
            for word in self._prefix_words(text, self.name_vocab, PREFIX_WORDS):
                add(word, min(PREFIX_COST * (len(word) - len(text)), PREFIX_COST_MAX), 0)
        if typos:
            # An edit in a short word is a weaker hint: a random pair of letters is one edit from
            # a dozen words.
            per_edit = TYPO_COST if len(text) > 3 else SHORT_TYPO_COST
            for word, distance in self._typo_words(text).items():
                bonus = SHARED_START * min(4, _shared_start(text, word))
                add(word, per_edit * distance - bonus, distance)
            if len(text) >= 5:
                for word in self._candidates(text, self.compact_deletions, depth=1):
                    if edit_distance(text, word, 1) == 1:
                        add(word, TYPO_COST - SHARED_START * min(4, _shared_start(text, word)), 1)
            if 2 <= len(text) <= 3:
                for word in self._short_typo_words(text):
                    add(word, per_edit - SHARED_START * min(2, _shared_start(text, word)), 1)
        return found

    def _splits(self, text: str) -> list[tuple[str, str, int]]:
        """Known words run together, with nothing or one typed letter between them: "toolbox"
        (0 edits), "chamberedwnautilus" (1). Name words of two letters and more, gloss words of
        three and more."""
        if len(text) < 5 or text in self.name_words or text in self.gloss_words:
            return []

        def known(word: str) -> bool:
            return word in self.name_words or (len(word) >= 3 and word in self.gloss_words)

        found = []
        for end in range(2, len(text) - 1):
            left = text[:end]
            if not known(left):
                continue
            if known(text[end:]):
                found.append((left, text[end:], 0))
            if len(text) - end > 2 and known(text[end + 1 :]):
                found.append((left, text[end + 1 :], 1))
        return found

    def _gloss_matches(
        self, token: str, *, prefixes: bool, typos: bool
    ) -> dict[str, tuple[float, int]]:
        """Gloss words a typed word may mean -> (cost, edits): itself, its plural or singular,
        words it starts, and (only when it is none of these) a word one typo away."""
        found: dict[str, tuple[float, int]] = {}
        if len(token) < _GLOSS_TOKEN:
            return found
        if token in self.gloss_words:
            found[token] = (0.0, 0)
        for word in self.gloss_stems.get(stem(token), ()):
            found.setdefault(word, (STEM_COST, 0))
        if not found and prefixes:
            for word in self._prefix_words(token, self.gloss_vocab, PREFIX_WORDS):
                found[word] = (min(PREFIX_COST * (len(word) - len(token)), PREFIX_COST_MAX), 0)
        if not found and typos and len(token) >= 5:
            for word in self._candidates(token, self.gloss_deletions, depth=1):
                if edit_distance(token, word, 1) == 1:
                    found[word] = (TYPO_COST - SHARED_START * min(4, _shared_start(token, word)), 1)
        return found

    # --- the query ---------------------------------------------------------------------------
    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        q = normalize(query)
        if not q or limit <= 0:
            return []
        hits: dict[int, _Found] = {}

        def offer(pos: int, found: _Found) -> None:
            current = hits.get(pos)
            if current is None or found.key < current.key:
                hits[pos] = found

        tokens = list(dict.fromkeys(q.split()))  # distinct: "the the the" is "the"

        def offer_name(n: int, tier: int) -> None:
            name = self.names[n]
            key = (tier, 0, 0 if name.primary else 1, len(name.norm), self.records[name.pos].index)
            words = tuple(w for w in name.words if any(w.startswith(t) for t in tokens))
            if tier == 3:
                words = tuple(w for w in name.words if w in q or q in w)
            offer(
                name.pos, _Found(key, tier, name.text, name.field, name.field, words or name.words)
            )

        def offer_code(pos: int, tier: int, text: str, field: str) -> None:
            key = (tier, 0, 0, 0, self.records[pos].index)
            offer(pos, _Found(key, tier, text, field, field, (text,)))

        compact = q.replace(" ", "")
        if WNID_RE.match(compact) and compact in self.by_wnid:
            offer_code(self.by_wnid[compact], 0, compact, "wnid")
        elif WNID_PREFIX_RE.match(compact):
            start = bisect.bisect_left(self.sorted_wnids, compact)
            for wnid in self.sorted_wnids[start:]:
                if not wnid.startswith(compact):
                    break
                offer_code(self.by_wnid[wnid], 1, wnid, "wnid")
        if compact.isdigit() and int(compact) in self.by_index:
            offer_code(self.by_index[int(compact)], 0, compact, "index")

        for n in self.exact.get(q, ()):
            offer_name(n, 0)
        if compact != q:
            for n in self.exact.get(compact, ()):
                offer_name(n, 0)
        start = bisect.bisect_left(self.sorted_norms, q)
        for norm, n in self.sorted_names[start:]:
            if not norm.startswith(q):
                break
            offer_name(n, 1)
        # Every token starts a word of the same name, in any order ("bull terr", "terrier norf").
        word_names: frozenset[int] | set[int] | None = None
        for token in tokens:
            these = self._names_with_word_prefix(token)
            word_names = these if word_names is None else word_names & these
            if not word_names:
                break
        for n in word_names or ():
            offer_name(n, 2)
        # Typos only when no name, wnid or index matched exactly ("tabby" should not offer
        # "table"), nor every word of several started one name ("norf terr"), nor five letters
        # or more started one ("chihu"); but "bic" may be a bicycle half typed or a bib mistyped.
        sure = 0 if len(tokens) == 1 and len(compact) < 5 else 2
        typos = not any(found.tier <= sure for found in hits.values())
        # A class named exactly, or several words all starting its name, is what was meant: other
        # classes are then only offered where their gloss has the words ("barrel", "claw").
        meant = any(found.tier <= (0 if len(tokens) == 1 else 2) for found in hits.values())
        if len(hits) >= limit:
            return self._ranked(hits, limit)

        # A fragment of three letters or fewer is in too many names to mean one ("rel").
        for n in self._substring_names(q, self.blob, self.blob_starts) if len(compact) > 3 else ():
            offer_name(n, 3)
        if compact != q and len(compact) > 3:
            for n in self._substring_names(compact, self.compact_blob, self.compact_starts):
                offer_name(n, 3)
        if len(hits) >= limit:
            return self._ranked(hits, limit)

        self._offer_scored(tokens[:MAX_TOKENS], offer, typos=typos, names=not meant, limit=limit)
        return self._ranked(hits, limit)

    def resolve(self, query: str, *, limit: int = 5) -> tuple[SearchHit | None, list[SearchHit]]:
        """The one class a person meant by `query`, and the best `limit` candidates (empty when
        nothing matches). Meant is the only exact match (a name, synonym, wnid or index), else
        the only match in the best tier of names as typed ("norwich" starts only Norwich terrier),
        else a scored best match `RESOLVE_MARGIN` times ahead of the next ("chiwawa"). "crane"
        (two exact matches) or "terrier" mean none: the candidates are for choosing."""
        hits = self.search(query, limit)
        if not hits:
            return None, []
        best = hits[0]
        if best.tier < _SCORED:
            alike = [hit for hit in hits if hit.tier == best.tier]
            return (best if len(alike) == 1 else None), (alike if best.tier == 0 else hits)
        if len(hits) == 1 or best.score >= RESOLVE_MARGIN * hits[1].score:
            return best, hits
        return None, hits

    def _ranked(self, hits: dict[int, _Found], limit: int) -> list[SearchHit]:
        ordered = sorted(hits.items(), key=lambda item: item[1].key)[:limit]
        return [
            SearchHit(
                self.records[pos],
                found.tier,
                found.text,
                found.kind,
                found.field,
                found.words,
                found.gloss_words,
                found.score,
            )
            for pos, found in ordered
        ]

    # --- the scored stage ----------------------------------------------------------------------
    def _offer_scored(
        self, tokens: list[str], offer: _Offer, *, typos: bool, names: bool, limit: int
    ) -> None:
        """Classes whose names, other names or gloss hold some of the typed words, by score (see
        the module docstring); with `names` false, by their gloss only."""
        count = len(tokens)
        # The units of the query read against names and glosses: each typed word (unit i), each
        # run together with the next (unit count + i: "bull frog"), and the parts of a typed word
        # that splits into known words ("toolbox": "tool", "box"), after those.
        units: list[tuple[str, str]] = [(token, "word") for token in tokens]
        if names:
            units += [(tokens[i] + tokens[i + 1], "joined") for i in range(count - 1)]
        else:
            typos = False
        splits: dict[int, list[tuple[int, int, float]]] = {}  # word -> (left, right, cost)
        # name number -> unit -> the best evidence for it in that name
        in_names: dict[int, dict[int, _Evidence]] = defaultdict(dict)
        # class position -> unit -> the best evidence for it in the gloss
        in_gloss: dict[int, dict[int, _Evidence]] = defaultdict(dict)

        def credit(names: Iterable[int], unit: int, evidence: _Evidence) -> None:
            for n in names:
                best = in_names[n].get(unit)
                if best is None or evidence[0] > best[0]:
                    in_names[n][unit] = evidence

        unit = 0
        while unit < len(units):
            text, kind = units[unit]
            if not names:
                matches = {}
            elif kind == "part":  # as typed, or in the plural
                matches = self._word_matches(text, typos=False, prefixes=False)
            elif kind == "joined":
                # Typos in two words run together only where one is no word: a space typed
                # inside a word ("ot er"), not two words each known ("german shorthaired").
                pair = tokens[unit - count : unit - count + 2]
                known = all(stem(t) in self.weight for t in pair)
                matches = self._word_matches(text, typos=typos and not known)
            else:
                matches = self._word_matches(text, typos=typos)
            # What a match earns (module docstring): the weight of the word, but for a typo the
            # weight of what was typed, which no class has (a typo is as rare as the word it
            # misses); two words run together earn both.
            if kind == "joined":
                typed = sum(self._typed_weight(t) for t in tokens[unit - count : unit - count + 2])
                extra = JOIN_COST
            else:
                typed, extra = self.max_weight, 0.0
            for word, (cost, edits) in matches.items():
                edits += kind == "joined"
                if word in self.compact_names:
                    for n in self.compact_names[word]:
                        gain = sum(self.name_weights[n]) - cost - extra
                        credit((n,), unit, (gain, self.names[n].words, (), edits))
                    continue
                base = typed if edits else self.weight[stem(word)]
                if base - cost - extra > 0:
                    evidence: _Evidence = (base - cost - extra, (word,), (), edits)
                    credit(self.name_words[word], unit, evidence)
            gloss = self._gloss_matches(text, prefixes=kind == "word", typos=typos and not matches)
            if not gloss:  # a typo of a name word counts where a gloss has the word: "elephaxnt"
                gloss = {w: m for w, m in matches.items() if m[1] and w in self.gloss_words}
            for word, (cost, edits) in gloss.items():
                positions = self.gloss_words[word]
                base = typed if edits or kind == "joined" else self.weight[stem(word)]
                gain = GLOSS * (base - cost - extra)
                if gain <= 0 or len(positions) > self.common_gloss:
                    continue
                evidence = (gain, (), (word,), edits + (kind == "joined"))
                for pos in positions:
                    best = in_gloss[pos].get(unit)
                    if best is None or gain > best[0]:
                        in_gloss[pos][unit] = evidence
            if kind == "word" and typos and not any(not c and not e for c, e in matches.values()):
                for left, right, edits in self._splits(text)[:MAX_SPLITS]:
                    splits.setdefault(unit, []).append(
                        (len(units), len(units) + 1, TYPO_COST if edits else JOIN_COST)
                    )
                    units += [(left, "part"), (right, "part")]
            unit += 1

        by_class: dict[int, list[int]] = defaultdict(list)
        for number in in_names:
            by_class[self.names[number].pos].append(number)
        scored = []
        for pos in by_class.keys() | in_gloss.keys():
            found = self._score_class(pos, count, splits, by_class.get(pos, []), in_names, in_gloss)
            if found is not None:
                score, name_n, chosen = found
                name = self.names[name_n] if name_n is not None else None
                # Ties: the primary name, then the shorter name or (for the gloss alone) the
                # shorter gloss, where the word weighs more.
                if name is None:
                    order = (0, len(self.records[pos].gloss))
                else:
                    order = (not name.primary, len(name.norm))
                scored.append((-score, *order, self.records[pos].index, pos, name_n, chosen))
        # Only the best `limit` can be shown (with the typed matches, still `limit` at least).
        for minus, *_, pos, name_n, chosen in heapq.nsmallest(limit, scored, key=lambda s: s[:4]):
            offer(pos, self._scored_found(pos, -minus, name_n, chosen))

    def _typed_weight(self, token: str) -> float:
        """The weight of a typed word: its own if a class has it, else the most a word has."""
        return self.weight.get(stem(token), self.max_weight)

    def _score_class(
        self,
        pos: int,
        count: int,
        splits: dict[int, list[tuple[int, int, float]]],
        names: list[int],
        in_names: dict[int, dict[int, _Evidence]],
        in_gloss: dict[int, dict[int, _Evidence]],
    ) -> tuple[float, int | None, list[_Evidence]] | None:
        """One class's score by its best name (None for the gloss alone), with the evidence
        chosen: the best reading of the query against that name, words from the class's other
        names and its gloss helping, less the untyped name words. None when nothing scores."""
        gloss = in_gloss.get(pos, {})
        if not names:  # the gloss alone: most candidates of a common word, so kept cheap
            if all(unit < count for unit in gloss):
                chosen = list(gloss.values())
                score = sum(evidence[0] for evidence in chosen)
            else:
                score, chosen = self._best_reading(count, splits, {}, {}, gloss)
            return (score, None, chosen) if score > 0 else None
        elsewhere: dict[int, _Evidence] = {}  # unit -> the best evidence in any of its names
        for n in names:
            for unit, evidence in in_names[n].items():
                if unit not in elsewhere or evidence[0] > elsewhere[unit][0]:
                    elsewhere[unit] = evidence
        best: tuple[float, int | None, list[_Evidence]] | None = None
        for n in names:
            score, chosen = self._best_reading(count, splits, in_names[n], elsewhere, gloss)
            matched = {word for evidence in chosen for word in evidence[1]}
            score -= UNTYPED * sum(
                weight
                for word, weight in zip(self.names[n].words, self.name_weights[n], strict=True)
                if word not in matched
            )
            if score > 0 and (best is None or score > best[0]):
                best = (score, n, chosen)
        return best

    def _scored_found(
        self, pos: int, score: float, n: int | None, chosen: list[_Evidence]
    ) -> _Found:
        """The result for a scored class, saying which words matched."""
        record = self.records[pos]
        gloss_words = tuple(dict.fromkeys(word for evidence in chosen for word in evidence[2]))
        if n is not None:
            name = self.names[n]
            matched = {word for evidence in chosen for word in evidence[1]}
            words = tuple(word for word in name.words if word in matched)
        if n is None or not words:
            key = (_SCORED, -score, 0, len(record.gloss), record.index)
            shown = round(score, 3)
            return _Found(key, _GLOSS_TIER, record.gloss, "gloss", "gloss", gloss_words, (), shown)
        edits = sum(evidence[3] for evidence in chosen)
        tier = _TYPO_TIER if edits else _PARTIAL_TIER
        kind = "typo" if edits else name.field
        key = (_SCORED, -score, 0 if name.primary else 1, len(name.norm), record.index)
        return _Found(key, tier, name.text, kind, name.field, words, gloss_words, round(score, 3))

    @staticmethod
    def _best_reading(
        count: int,
        splits: dict[int, list[tuple[int, int, float]]],
        own: dict[int, _Evidence],
        elsewhere: dict[int, _Evidence],
        gloss: dict[int, _Evidence],
    ) -> tuple[float, list[_Evidence]]:
        """The best reading of the query against one name, left to right: each typed word alone
        or split in two, or run together with the one before it."""

        def option(unit: int) -> _Evidence | None:
            best = own.get(unit)
            other = elsewhere.get(unit)
            if other is not None and (best is None or OTHER_NAME * other[0] > best[0]):
                best = (OTHER_NAME * other[0], (), (), other[3])
            found = gloss.get(unit)
            if found is not None and (best is None or found[0] > best[0]):
                best = found
            return best

        totals: list[tuple[float, list[_Evidence]]] = [(0.0, [])]
        for i in range(count):
            total, chosen = totals[i]
            alone = option(i)
            for left, right, cost in splits.get(i, ()):
                parts = [e for e in (option(left), option(right)) if e is not None]
                if parts:
                    gain = sum(e[0] for e in parts) - cost
                    if alone is None or gain > alone[0]:
                        words = tuple(w for e in parts for w in e[1])
                        glossed = tuple(w for e in parts for w in e[2])
                        alone = (gain, words, glossed, 1)
            candidate = (total + alone[0], [*chosen, alone]) if alone else (total, chosen)
            if i > 0:
                pair = option(count + i - 1)
                if pair is not None and totals[i - 1][0] + pair[0] > candidate[0]:
                    candidate = (totals[i - 1][0] + pair[0], [*totals[i - 1][1], pair])
            totals.append(candidate)
        return totals[count]
