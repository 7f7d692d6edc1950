"""OIE2016 and CaRB readers on handwritten fixtures, plus a count check on the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adelie.datasets import oie
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


# --- OIE2016 ---------------------------------------------------------------------------------------------


def test_oie2016_groups_lines_by_sentence() -> None:
    exs = list(oie.read_oie2016(FIXTURES / "oie2016", "train", ReadContext()))
    assert [e.id for e in exs] == ["oie2016-train-0", "oie2016-train-1", "oie2016-train-2"]
    assert [len(e.tuples) for e in exs] == [2, 2, 1]
    assert {e.dataset for e in exs} == {"oie2016"} and {e.split for e in exs} == {"train"}


def test_oie2016_detokenizes_and_aligns() -> None:
    cat, mary, rain = oie.read_oie2016(FIXTURES / "oie2016", "train", ReadContext())
    assert cat.text == "The cat sat on the mat."
    assert cat.meta["tokenized_text"] == "The cat sat on the mat ."
    assert cat.meta["predicate_heads"] == ["sat", "sat"]
    sat, sitting = cat.tuples
    assert (sat.predicate, sat.arguments) == ("sat", ("The cat", "on the mat"))
    assert sat.predicate_span is not None and (sat.predicate_span.start, sat.predicate_span.end) == (8, 11)
    assert [(s.start, s.end) for s in sat.argument_spans if s] == [(0, 7), (12, 22)]
    # FULL_PREDICATE not in the sentence: no span; "at" occurs only inside words: no span.
    assert sitting.predicate == "was sitting on" and sitting.predicate_span is None
    assert sitting.arguments == ("The cat", "the mat", "at")
    assert sitting.argument_spans[1] is not None and sitting.argument_spans[1].start == 15
    assert sitting.argument_spans[2] is None

    assert mary.text == "Mary's brother didn't buy a $5 ticket."
    buy, brother = mary.tuples
    assert buy.predicate == "didn't buy" and buy.predicate_span is not None
    assert buy.arguments == ("Mary's brother", "a $5 ticket")  # trailing empty field dropped
    assert brother.argument_spans[1] is not None and brother.argument_spans[1].text == "Mary"
    assert rain.tuples[0].arguments == ("Rain",)


def test_oie2016_bad_line_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "oie2016")
    _append(folder / "train.oie", "A sentence with no predicate .\tis")
    with pytest.raises(DataFormatError, match=r"train\.oie, line 6: expected SENTENCE, PREDICATE_HEAD"):
        list(oie.read_oie2016(folder, "train", ReadContext()))


def test_oie2016_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "oie2016")
    _append(folder / "train.oie", "only one field")
    _append(folder / "train.oie", "Rain fell .\t\t\tRain")  # no FULL_PREDICATE
    ctx = ReadContext(skip_invalid=True)
    exs = list(oie.read_oie2016(folder, "train", ctx))
    assert len(exs) == 3 and len(ctx.skipped) == 2
    assert [e.where for e in ctx.skipped] == [6, 7]


def test_oie2016_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"dev\.oie"):
        list(oie.read_oie2016(tmp_path, "dev", ReadContext()))


# --- CaRB ------------------------------------------------------------------------------------------------


def test_carb_every_sentence_is_an_example() -> None:
    exs = list(oie.read_carb(FIXTURES / "carb", "dev", ReadContext()))
    assert [e.id for e in exs] == ["carb-dev-0", "carb-dev-1", "carb-dev-2"]
    assert [len(e.tuples) for e in exs] == [2, 0, 3]
    assert exs[1].text == "Paris is the capital of France."


def test_carb_tuples_and_whitespace_join() -> None:
    cat, _, bob = oie.read_carb(FIXTURES / "carb", "dev", ReadContext())
    sat_on, is_ = cat.tuples
    assert sat_on.predicate == "sat on" and sat_on.predicate_span is not None
    assert sat_on.predicate_span.text == "sat on"
    assert is_.arguments == ("The cat", "a pet")  # trailing empty fields dropped
    assert is_.argument_spans[1] is None
    assert "whitespace_joined" not in cat.meta
    # The first gold line for Bob's sentence has a trailing space: joined after normalising whitespace.
    assert bob.meta["whitespace_joined"] is True
    said, spoke, empty = bob.tuples
    assert bob.text == "Bob said ``hello'' to Alice."
    assert said.arguments == ("Bob", "``hello''", "to Alice")
    assert all(s is not None and s.text == a for s, a in zip(said.argument_spans, said.arguments, strict=True))
    assert spoke.arguments == ("", "to Alice") and spoke.argument_spans[0] is None  # inner empty arg kept
    assert empty.predicate == "" and empty.predicate_span is None


def test_carb_unknown_gold_sentence_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "carb")
    _append(folder / "gold_dev.tsv", "A sentence that is not in the file .\tis\tA")
    with pytest.raises(DataFormatError, match=r"gold_dev\.tsv, line 6: expected a sentence of dev_sentences"):
        list(oie.read_carb(folder, "dev", ReadContext()))


def test_carb_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "carb")
    _append(folder / "gold_dev.tsv", "The cat sat on the mat .\tsat")  # no argument
    _append(folder / "gold_dev.tsv", "Unknown sentence .\tis\tit")
    ctx = ReadContext(skip_invalid=True)
    exs = list(oie.read_carb(folder, "dev", ctx))
    assert len(exs) == 3 and [len(e.tuples) for e in exs] == [2, 0, 3]
    assert [e.where for e in ctx.skipped] == [6, 7]
    assert "expected sentence, relation, arg1" in ctx.skipped[0].message


def test_specs() -> None:
    oie2016, carb = oie.SPECS
    assert oie2016.split("train").role == "train"
    assert {oie2016.split(s).role for s in ("dev", "test")} == {"never"}
    assert [(s.name, s.role, s.expected) for s in carb.splits] == [("dev", "held-out", 641), ("test", "held-out", 641)]


@pytest.mark.data
def test_real_data_counts() -> None:
    for spec in oie.SPECS:
        try:
            folder = dataset_dir(spec)
        except MissingDataError as exc:
            pytest.skip(str(exc))
        for split in spec.splits:
            n = sum(1 for _ in spec.reader(folder, split.name, ReadContext()))
            assert n == split.expected, f"{spec.name}/{split.name}"
