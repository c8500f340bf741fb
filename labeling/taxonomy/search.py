"""Ranked, typo-tolerant search over the ImageNet classes.

Pure Python with no Django imports: the index is built once from plain records (see
`labeling.taxonomy.snapshot.class_search_index`) and answers a typical query in about
0.1 ms, one with typos in 0.2-0.6 ms (benchmarks/search_benchmark.py).

Ranking, best first (lower tier wins):
  0 exact name, synonym, wnid or index ("tabby")   3 substring of a name ("errier")
  1 prefix of a name or wnid ("norfolk t")         4 gloss words ("wading bird")
  2 word prefixes, any order ("bull terr")         5 one or two typos ("chiwawa", "terier")
Within a tier the primary name beats a synonym and shorter names beat longer ones; among typos
fewer edits win, then the longer shared start ("beagel" is beagle before bagel: people usually get
the first letters right). Typos are only looked for when no name, wnid or index matched as typed
(a substring does not count), so "tabby" does not offer "table".

How typos are found (the costly part): symmetric-deletion indexes of whole name words, one as
spelt and one by phonetic key ("chihuahua" and "chiwawa" share the key "chiwawa"), give a handful
of candidates per query token, which a bit-parallel edit distance checks. Only whole words are
indexed (indexing every prefix multiplied the candidates); a misspelt beginning of a word is still
found through the phonetic keys of word prefixes ("chiwa"), and stopping a word short costs only
one or two edits ("labradr"). How many edits a token may carry: see `typo_bound`.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


def _shared_start(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _frozen(mapping: dict[str, Iterable]) -> dict[str, tuple]:
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


@dataclass(frozen=True)
class SearchHit:
    record: ClassRecord
    tier: int
    matched: str  # the name, synonym, wnid, index or gloss that matched, as stored
    match_kind: str  # name | synonym | wnid | index | gloss | typo

    @property
    def tier_name(self) -> str:
        return TIER_NAMES[self.tier]


TIER_NAMES = {0: "exact", 1: "prefix", 2: "word prefix", 3: "substring", 4: "gloss", 5: "typo"}
_TYPO_TIER = 5


@dataclass(frozen=True)
class _Name:
    """One searchable name of a class: its primary name or a synonym."""

    norm: str  # normalized
    compact: str  # normalized without spaces: "jelly fish" finds "jellyfish"
    words: tuple[str, ...]
    text: str  # as stored, for the response
    pos: int  # position of the record
    primary: bool


class ClassSearchIndex:
    def __init__(self, records: Iterable[ClassRecord]):
        self.records: list[ClassRecord] = sorted(records, key=lambda r: r.index)
        self.by_wnid = {r.wnid: i for i, r in enumerate(self.records)}
        self.by_index = {r.index: i for i, r in enumerate(self.records)}
        self.sorted_wnids = sorted(self.by_wnid)
        self.names: list[_Name] = []
        for pos, record in enumerate(self.records):
            seen: set[str] = set()
            for k, lemma in enumerate((record.name, *record.lemmas)):
                norm = normalize(lemma)
                if norm and norm not in seen:
                    seen.add(norm)
                    compact = norm.replace(" ", "")
                    self.names.append(_Name(norm, compact, tuple(norm.split()), lemma, pos, k == 0))

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
        self.longest_word = max(map(len, self.name_vocab), default=0)
        small: dict[str, set[int]] = defaultdict(set)
        for word, names in self.name_words.items():
            for end in range(1, min(len(word), _SMALL_PREFIX) + 1):
                small[word[:end]] |= names
        self.small_prefix_names = {p: frozenset(s) for p, s in small.items()}

        gloss_words: dict[str, set[int]] = defaultdict(set)
        self.gloss_norms: list[str] = []
        for pos, record in enumerate(self.records):
            norm = normalize(record.gloss)
            self.gloss_norms.append(f" {norm} ")
            for word in norm.split():
                gloss_words[word].add(pos)
        self.gloss_words = {w: frozenset(s) for w, s in gloss_words.items()}
        self.gloss_vocab = sorted(gloss_words)

        # Typos: symmetric deletions of whole name words, as spelt and by their phonetic keys
        # (spelt: "measrinxg" is two edits from "measuring", its key three from the key).
        key_words: dict[str, set[str]] = defaultdict(set)
        for word in self.name_vocab:
            key_words[phonetic_key(word)].add(word)
        self.key_words = _frozen(key_words)
        self.spelt_deletions = self._deletion_index(self.name_vocab)
        self.key_deletions = self._deletion_index(self.key_words)
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
    def _deletion_index(strings: Iterable[str]) -> dict[str, str]:
        """Every deletion variant -> the strings it comes from, newline-separated. Plain strings,
        not lists: ~80,000 small containers would slow the build and every full garbage
        collection (strings are not tracked by the collector)."""
        index: dict[str, str] = {}
        for text in strings:
            depth = deletion_depth(len(text))
            if depth:
                for variant in _deletions(text, depth):
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
    def _prefix_words(self, token: str, vocab: list[str]) -> list[str]:
        start = bisect.bisect_left(vocab, token)
        found = []
        for word in vocab[start:]:
            if not word.startswith(token):
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

    @staticmethod
    def _candidates(text: str, index: dict[str, str]) -> set[str]:
        found: set[str] = set()
        for variant in _deletions(text, deletion_depth(len(text))):
            sources = index.get(variant)
            if sources is not None:
                found.update(sources.split("\n"))
        return found

    # --- the query ---------------------------------------------------------------------------
    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        q = normalize(query)
        if not q or limit <= 0:
            return []
        # position -> (sort key, tier, matched text, kind)
        hits: dict[int, tuple[tuple, int, str, str]] = {}

        def offer(pos: int, key: tuple, matched: str, kind: str) -> None:
            current = hits.get(pos)
            if current is None or key < current[0]:
                hits[pos] = (key, key[0], matched, kind)

        def offer_name(n: int, tier: int) -> None:
            name = self.names[n]
            record = self.records[name.pos]
            key = (tier, 0, 0 if name.primary else 1, len(name.norm), record.index)
            offer(name.pos, key, name.text, "name" if name.primary else "synonym")

        compact = q.replace(" ", "")
        if WNID_RE.match(compact) and compact in self.by_wnid:
            pos = self.by_wnid[compact]
            offer(pos, (0, 0, 0, 0, self.records[pos].index), compact, "wnid")
        elif WNID_PREFIX_RE.match(compact):
            start = bisect.bisect_left(self.sorted_wnids, compact)
            for wnid in self.sorted_wnids[start:]:
                if not wnid.startswith(compact):
                    break
                pos = self.by_wnid[wnid]
                offer(pos, (1, 0, 0, 0, self.records[pos].index), wnid, "wnid")
        if compact.isdigit() and int(compact) in self.by_index:
            pos = self.by_index[int(compact)]
            offer(pos, (0, 0, 0, 0, self.records[pos].index), compact, "index")

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
        tokens = list(dict.fromkeys(q.split()))  # distinct: "the the the" is "the"
        word_names: frozenset[int] | set[int] | None = None
        for token in tokens:
            these = self._names_with_word_prefix(token)
            word_names = these if word_names is None else word_names & these
            if not word_names:
                break
        for n in word_names or ():
            offer_name(n, 2)
        typed_matches = len(hits)  # wnid, index, exact, prefix or word prefix
        if typed_matches >= limit:
            return self._ranked(hits, limit)

        for n in self._substring_names(q, self.blob, self.blob_starts):
            offer_name(n, 3)
        if compact != q:
            for n in self._substring_names(compact, self.compact_blob, self.compact_starts):
                offer_name(n, 3)
        if len(hits) >= limit:
            return self._ranked(hits, limit)

        self._offer_gloss(q, tokens, offer)
        # Typos only when nothing matched a name as typed: "tabby" should not offer "table". A mere
        # substring match does not count: "errier" is a typo of terrier more than a fragment.
        if typed_matches == 0:
            self._offer_typos(tokens, offer)
        return self._ranked(hits, limit)

    def _ranked(self, hits: dict, limit: int) -> list[SearchHit]:
        ordered = sorted(hits.items(), key=lambda item: item[1][0])[:limit]
        return [
            SearchHit(self.records[pos], tier, matched, kind)
            for pos, (_, tier, matched, kind) in ordered
        ]

    def _offer_gloss(self, q: str, tokens: list[str], offer) -> None:
        """Every token of 3+ letters starts a word of the gloss; the whole query as a phrase of
        the gloss ranks first, then more tokens matching whole words, then shorter glosses."""
        useful = [t for t in tokens if len(t) >= _GLOSS_TOKEN]
        if not useful:
            return
        found: frozenset[int] | set[int] | None = None
        for token in useful:
            these: set[int] = set()
            for word in self._prefix_words(token, self.gloss_vocab):
                these |= self.gloss_words[word]
            found = these if found is None else found & these
            if not found:
                return
        phrase = f" {q}"
        for pos in found or ():
            record = self.records[pos]
            gloss = self.gloss_norms[pos]
            whole = sum(1 for t in useful if f" {t} " in gloss)
            key = (4, 0 if phrase in gloss else 1, -whole, len(gloss), record.index)
            offer(pos, key, record.gloss, "gloss")

    def _offer_typos(self, tokens: list[str], offer) -> None:
        # Every token must match a word of the same name: exactly, as a prefix, or with typos.
        # The first token sharing no name with the ones before ends the search, so long garbage
        # input stays cheap.
        per_token: dict[str, dict[str, int]] = {}
        candidates: set[int] | None = None
        for token in tokens:
            words = dict.fromkeys(self._prefix_words(token, self.name_vocab), 0)
            for word, distance in self._typo_words(token).items():
                if distance < words.get(word, 99):
                    words[word] = distance
            per_token[token] = words
            names: set[int] = set()
            for word in words:
                names |= self.name_words[word]
            candidates = names if candidates is None else candidates & names
            if not candidates:
                return
        for n in candidates or ():
            name = self.names[n]
            total = shared = 0
            for token in tokens:
                words = per_token[token]
                distance, word = min((words[w], w) for w in name.words if w in words)
                total += distance
                shared += _shared_start(token, word)
            if total > 0:
                record = self.records[name.pos]
                key = (
                    _TYPO_TIER,
                    total,
                    -shared,
                    0 if name.primary else 1,
                    len(name.norm),
                    record.index,
                )
                offer(name.pos, key, name.text, "typo")
