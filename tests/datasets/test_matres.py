"""MATRES reader on handwritten TimeML fixtures, the sentence splitter, and a count check on the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adelie.datasets import matres
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import data_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "matres"
(SPEC,) = matres.SPECS


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "matres"))


def test_tags_stripped_and_pairs_aligned() -> None:
    mayor, snow = matres.read_matres(FIXTURES, "timebank", ReadContext())  # the file without pairs is left out
    assert (mayor.id, mayor.doc_id, mayor.meta["dct"]) == ("matres-NYT20010101.0001", "NYT20010101.0001", "2001-01-01")
    assert mayor.text.startswith("The mayor said on Friday that the bridge would reopen after Mr. Smith & his crew")
    said_reopen = mayor.event_relations[0]
    assert (said_reopen.head.text, said_reopen.head.start, said_reopen.head.id) == ("said", 10, "ei10")
    assert (said_reopen.tail.text, said_reopen.label) == ("reopen", "BEFORE")
    assert [r.label for r in mayor.event_relations] == ["BEFORE", "AFTER", "VAGUE", "EQUAL"]
    driving = mayor.event_relations[2].head
    assert driving.text == "Driving" and mayor.text[driving.start - 1] == " "  # whitespace inside the tag dropped
    assert mayor.meta["unaligned"] == ["line 5: eiid 99 (left) has no MAKEINSTANCE"]
    assert snow.text == "Snow fell and roads closed." and snow.sentences == ((0, 27),)
    assert SPEC.label_name("EQUAL") == "simultaneous"


def test_sentences_split_at_paragraphs_and_ends_but_not_abbreviations() -> None:
    (mayor, _) = matres.read_matres(FIXTURES, "timebank", ReadContext())
    assert mayor.sentence_texts() == [
        "The mayor said on Friday that the bridge would reopen after Mr. Smith & his crew finish the repairs.",
        "Driving across it before then is forbidden.", "Drivers complained!"]
    text = 'He left. "Why?" she asked. Mr. Smith and the U.S. Army came.\n\nNext day'
    assert [text[s:e] for s, e in matres.split_sentences(text)] == [
        "He left.", '"Why?" she asked.', "Mr. Smith and the U.S. Army came.", "Next day"]


def test_bad_pair_line_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with (folder / "timebank.txt").open("a", encoding="utf-8") as f:
        f.write("APW20010102.0002\tfell\tclosed\t1\t2\tLATER\n")
    with pytest.raises(DataFormatError, match=r"timebank\.txt, line 7: expected 'docid<TAB>verb1"):
        list(matres.read_matres(folder, "timebank", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    with (folder / "timebank.txt").open("a", encoding="utf-8") as f:
        f.write("APW20010102.0002\tfell\n")
    tml = folder / "tempeval3" / "TimeBank" / "APW20010102.0002.tml"
    tml.write_text(tml.read_text(encoding="utf-8").replace("</TEXT>", ""), encoding="utf-8")
    ctx = ReadContext(skip_invalid=True)
    assert [e.doc_id for e in matres.read_matres(folder, "timebank", ctx)] == ["NYT20010101.0001"]
    assert [(Path(e.path).name, e.where) for e in ctx.skipped] == [("timebank.txt", 7), ("APW20010102.0002.tml", 10)]


def test_missing_tml_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "tempeval3" / "TimeBank" / "APW20010102.0002.tml").unlink()
    with pytest.raises(MissingDataError, match=r"APW20010102\.0002\.tml"):
        list(matres.read_matres(folder, "timebank", ReadContext()))


@pytest.mark.data
def test_real_counts() -> None:
    try:
        folder = data_dir() / SPEC.folder
    except MissingDataError:
        pytest.skip("no data directory")
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    for split in SPEC.splits:
        assert sum(1 for _ in matres.read_matres(folder, split.name, ReadContext())) == split.expected, split.name
