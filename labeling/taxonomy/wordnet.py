"""Loading WordNet 3.0 through nltk, from nltk's own data or from Debian's wordnet packages.

ImageNet wnids are WordNet 3.0 noun offsets, so any other version would silently give wrong synsets:
the loader refuses it.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import nltk
from django.conf import settings
from nltk.corpus.reader import CorpusReader
from nltk.corpus.reader.wordnet import WordNetCorpusReader
from nltk.corpus.util import LazyCorpusLoader

WORDNET_VERSION = "3.0"
DEBIAN_WORDNET_DIR = Path("/usr/share/wordnet")
INSTALL_HINT = (
    "install Debian's WordNet 3.0 (`apt-get install wordnet-base wordnet-sense-index`) "
    "or nltk's data (`python -m nltk.downloader wordnet`)"
)

# The files nltk's reader opens. Debian ships them all except `lexnames`.
DEBIAN_FILES = (
    "cntlist.rev",
    "index.sense",
    "index.adj",
    "index.adv",
    "index.noun",
    "index.verb",
    "data.adj",
    "data.adv",
    "data.noun",
    "data.verb",
    "adj.exc",
    "adv.exc",
    "noun.exc",
    "verb.exc",
)

# The 45 lexicographer files of WordNet 3.0, in file-number order (lexnames(5WN)).
LEXNAMES = (
    "adj.all",
    "adj.pert",
    "adv.all",
    "noun.Tops",
    "noun.act",
    "noun.animal",
    "noun.artifact",
    "noun.attribute",
    "noun.body",
    "noun.cognition",
    "noun.communication",
    "noun.event",
    "noun.feeling",
    "noun.food",
    "noun.group",
    "noun.location",
    "noun.motive",
    "noun.object",
    "noun.person",
    "noun.phenomenon",
    "noun.plant",
    "noun.possession",
    "noun.process",
    "noun.quantity",
    "noun.relation",
    "noun.shape",
    "noun.state",
    "noun.substance",
    "noun.time",
    "verb.body",
    "verb.change",
    "verb.cognition",
    "verb.communication",
    "verb.competition",
    "verb.consumption",
    "verb.contact",
    "verb.creation",
    "verb.emotion",
    "verb.motion",
    "verb.perception",
    "verb.possession",
    "verb.social",
    "verb.stative",
    "verb.weather",
    "adj.ppl",
)
# Syntactic category numbers of the third lexnames column.
CATEGORY_NUMBERS = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

# Loading the lemma index takes a few seconds; one reader per corpus root is enough per process.
_readers: dict[str, WordNetCorpusReader] = {}
_lock = threading.Lock()


class WordNetUnavailable(Exception):
    """WordNet 3.0 cannot be found or is another version. The message says what to install."""


def lexnames_text() -> str:
    """The content of WordNet 3.0's `lexnames` file: number, name and category, tab-separated."""
    return "".join(
        f"{number:02d}\t{name}\t{CATEGORY_NUMBERS[name.split('.')[0]]}\n"
        for number, name in enumerate(LEXNAMES)
    )


def wordnet_prepare(*, source_dir: Path, data_dir: Path) -> Path:
    """Make `data_dir/corpora/wordnet/` an nltk WordNet corpus built from Debian's files.

    Copies the data files (36 MB, once) and writes the `lexnames` file Debian does not ship.
    Safe to call again or from two processes at once. Returns the corpus folder.
    """
    missing = [name for name in DEBIAN_FILES if not (source_dir / name).is_file()]
    if missing:
        raise WordNetUnavailable(
            f"WordNet files missing in {source_dir} ({', '.join(missing)}); {INSTALL_HINT}"
        )
    corpus_dir = data_dir / "corpora" / "wordnet"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for name in DEBIAN_FILES:
        source, target = source_dir / name, corpus_dir / name
        source_stat = source.stat()
        if target.is_file() and not target.is_symlink():
            target_stat = target.stat()
            if (target_stat.st_size, int(target_stat.st_mtime)) == (
                source_stat.st_size,
                int(source_stat.st_mtime),
            ):
                continue
        # Copied, not symlinked: nltk >= 3.9 refuses corpus files that resolve outside the corpus
        # root. Copy next to the target, then rename: a concurrent reader never sees half a file.
        temporary = corpus_dir / f".{name}.{os.getpid()}.tmp"
        shutil.copy2(source, temporary)
        os.replace(temporary, target)
    lexnames = corpus_dir / "lexnames"
    text = lexnames_text()
    if not lexnames.is_file() or lexnames.read_text(encoding="utf-8") != text:
        temporary = corpus_dir / f".lexnames.{os.getpid()}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, lexnames)
    return corpus_dir


def _nltk_wordnet_root():
    """nltk's own WordNet (`nltk.download('wordnet')`), or None."""
    try:
        return nltk.data.find("corpora/wordnet")
    except LookupError:
        return None


def wordnet_corpus(
    *,
    source_dir: Path = DEBIAN_WORDNET_DIR,
    data_dir: Path | None = None,
    search_nltk_data: bool = True,
) -> WordNetCorpusReader:
    """A WordNet 3.0 reader: nltk's own data if installed, else Debian's files prepared for nltk.

    `search_nltk_data=False` skips nltk's search path (tests use it to exercise the other paths).
    """
    data_dir = Path(data_dir or settings.NLTK_DATA_DIR)
    with _lock:
        root = _nltk_wordnet_root() if search_nltk_data else None
        if root is None:
            if not source_dir.is_dir():
                raise WordNetUnavailable(
                    f"WordNet 3.0 not found in nltk's data path or in {source_dir}; {INSTALL_HINT}"
                )
            root = nltk.data.FileSystemPathPointer(
                str(wordnet_prepare(source_dir=source_dir, data_dir=data_dir))
            )
            # nltk only opens corpus files under its data path (and then plain
            # `nltk.corpus.wordnet` finds this copy too, e.g. in a shell).
            if str(data_dir) not in nltk.data.path:
                nltk.data.path.append(str(data_dir))
        key = str(root)
        reader = _readers.get(key)
        if reader is None:
            # Multilingual data is optional and loaded lazily, exactly as nltk.corpus.wordnet does.
            omw = LazyCorpusLoader("omw-1.4", CorpusReader, r".*/wn-data-.*\.tab", encoding="utf8")
            try:
                reader = WordNetCorpusReader(root, omw)
            except (OSError, ValueError, AssertionError) as error:
                raise WordNetUnavailable(
                    f"WordNet at {root} cannot be read ({error}); {INSTALL_HINT}"
                ) from error
            version = reader.get_version()
            if version != WORDNET_VERSION:
                raise WordNetUnavailable(
                    f"WordNet at {root} is version {version}, ImageNet needs {WORDNET_VERSION}; "
                    f"{INSTALL_HINT}"
                )
            _readers[key] = reader
        return reader
