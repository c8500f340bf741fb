from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from labeling.taxonomy.wordnet import (
    DEBIAN_FILES,
    DEBIAN_WORDNET_DIR,
    WordNetUnavailable,
    lexnames_text,
    wordnet_corpus,
    wordnet_prepare,
)

LEXNAMES_MAN_PAGE = Path("/usr/share/man/man5/lexnames.5WN.gz")


def test_the_reader_is_wordnet_3_0_and_resolves_imagenet_wnids(wordnet):
    assert wordnet.get_version() == "3.0"
    assert wordnet.synset_from_pos_and_offset("n", 2084071).name() == "dog.n.01"
    assert wordnet.synset_from_pos_and_offset("n", 1440764).name() == "tench.n.01"


def test_the_reader_is_loaded_once_per_process(wordnet):
    assert wordnet_corpus() is wordnet


def test_lexnames_lists_the_45_lexicographer_files_with_their_categories():
    lines = lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[2] == "02\tadv.all\t4"
    assert lines[3] == "03\tnoun.Tops\t1"
    assert lines[28] == "28\tnoun.time\t1"
    assert lines[29] == "29\tverb.body\t2"
    assert lines[44] == "44\tadj.ppl\t3"
    assert all(re.fullmatch(r"\d\d\t[a-z]+\.[A-Za-z]+\t[1-4]", line) for line in lines)


@pytest.mark.skipif(not LEXNAMES_MAN_PAGE.exists(), reason="WordNet's man pages not installed")
def test_lexnames_agrees_with_the_wordnet_manual():
    page = gzip.decompress(LEXNAMES_MAN_PAGE.read_bytes()).decode()
    documented = re.findall(r"^(\d\d)\t(\S+)", page, flags=re.MULTILINE)
    assert [f"{n}\t{name}" for n, name in documented] == [
        line.rsplit("\t", 1)[0] for line in lexnames_text().splitlines()
    ]


def test_debian_files_are_prepared_as_an_nltk_corpus_and_load_as_version_3_0(tmp_path):
    reader = wordnet_corpus(data_dir=tmp_path, search_nltk_data=False)
    corpus = tmp_path / "corpora" / "wordnet"
    assert sorted(p.name for p in corpus.iterdir()) == sorted([*DEBIAN_FILES, "lexnames"])
    assert (corpus / "lexnames").read_text() == lexnames_text()
    # nltk refuses corpus files that resolve outside the corpus folder, so they are copies.
    assert not any(p.is_symlink() for p in corpus.iterdir())
    assert reader.get_version() == "3.0"
    assert reader.synset("crane.n.05").offset() == 2012849


def test_preparing_again_keeps_the_copies_that_are_up_to_date(tmp_path):
    corpus = wordnet_prepare(source_dir=DEBIAN_WORDNET_DIR, data_dir=tmp_path)
    inodes = {p.name: p.stat().st_ino for p in corpus.iterdir()}
    wordnet_prepare(source_dir=DEBIAN_WORDNET_DIR, data_dir=tmp_path)
    assert {p.name: p.stat().st_ino for p in corpus.iterdir()} == inodes


def test_without_any_wordnet_the_error_says_what_to_install(tmp_path):
    with pytest.raises(WordNetUnavailable) as raised:
        wordnet_corpus(source_dir=tmp_path / "absent", data_dir=tmp_path, search_nltk_data=False)
    message = str(raised.value)
    assert "apt-get install wordnet-base wordnet-sense-index" in message
    assert "nltk" in message and "wordnet" in message


def test_an_incomplete_debian_folder_names_the_missing_files(tmp_path):
    source = tmp_path / "wordnet"
    source.mkdir()
    (source / "data.noun").write_text("")
    with pytest.raises(WordNetUnavailable, match=r"missing .*index\.noun.*apt-get install"):
        wordnet_corpus(source_dir=source, data_dir=tmp_path / "data", search_nltk_data=False)


def test_another_wordnet_version_is_refused(tmp_path):
    source = tmp_path / "wordnet"
    source.mkdir()
    for name in DEBIAN_FILES:
        (source / name).write_text("")
    (source / "data.adj").write_text(
        "  1 WordNet 3.1 Copyright 2011 by Princeton University.  All rights reserved.  \n"
    )
    with pytest.raises(WordNetUnavailable, match=r"version 3\.1, ImageNet needs 3\.0"):
        wordnet_corpus(source_dir=source, data_dir=tmp_path / "data", search_nltk_data=False)
