"""SemEval-2010 Task 8 reader on handwritten fixtures, plus a count check on the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adelie.datasets import semeval
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures"
(SPEC,) = semeval.SPECS


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "semeval2010_task8", tmp_path / "semeval2010_task8"))


def _append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def test_strips_markers_and_keeps_directional_labels() -> None:
    storm, drawer, other = semeval.read_semeval(FIXTURES / "semeval2010_task8", "train", ReadContext())
    assert storm.id == "semeval2010_task8-1"
    assert storm.text == "The storm caused a long blackout in the valley."
    rel = storm.relations[0]
    assert (rel.head.text, rel.head.start, rel.head.end) == ("storm", 4, 9)
    assert (rel.tail.text, rel.tail.start, rel.tail.end) == ("blackout", 24, 32)
    assert rel.label == "Cause-Effect(e1,e2)" and SPEC.label_name(rel.label) == "causes"
    assert storm.entities == (rel.head, rel.tail)
    # e2 before e1 in the sentence: the head is still e1
    assert drawer.text == "A drawer holding old letters was found."
    assert (drawer.relations[0].head.text, drawer.relations[0].tail.text) == ("letters", "drawer")
    assert other.relations[0].label == SPEC.no_relation == "Other"


def test_test_split_is_checked_against_the_key() -> None:
    exs = list(semeval.read_semeval(FIXTURES / "semeval2010_task8", "test", ReadContext()))
    assert [e.id for e in exs] == ["semeval2010_task8-9001", "semeval2010_task8-9002"]
    assert SPEC.label_name(exs[0].relations[0].label) == "produces"
    assert {s.name: s.role for s in SPEC.splits} == {"train": "never", "test": "held-out"}


def test_key_disagreement_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "TEST_FILE_KEY.TXT").write_text("9001\tProduct-Producer\n9002\tOther\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"TEST_FILE_FULL\.TXT, line 5: expected TEST_FILE_KEY\.TXT"):
        list(semeval.read_semeval(folder, "test", ReadContext()))


def test_bad_markers_name_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _append(folder / "TRAIN_FILE.TXT", '4\t"A <e1>cat</e1> on a mat</e2>."', "Other", "Comment:", "")
    with pytest.raises(DataFormatError, match=r"TRAIN_FILE\.TXT, line 13: expected each of <e1>"):
        list(semeval.read_semeval(folder, "train", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _append(folder / "TRAIN_FILE.TXT", '4\t"A <e1>cat</e1> on a mat</e2>."', "Other", "Comment:", "",
            '5\t"A <e1>cat</e1> on a <e2>mat</e2>."', "Sits-On(e1,e2)", "Comment:", "",
            '6\t"A <e1>cat</e1> on a <e2>mat</e2>."', "Other", "Comment:")
    ctx = ReadContext(skip_invalid=True)
    exs = list(semeval.read_semeval(folder, "train", ctx))
    assert len(exs) == 4 and [e.where for e in ctx.skipped] == [13, 17]
    assert "expected a block" in str(ctx.skipped[1])


def test_missing_key_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "TEST_FILE_KEY.TXT").unlink()
    with pytest.raises(MissingDataError, match=r"TEST_FILE_KEY\.TXT"):
        list(semeval.read_semeval(folder, "test", ReadContext()))


@pytest.mark.data
def test_real_data_counts() -> None:
    try:
        folder = dataset_dir(SPEC)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    for split in SPEC.splits:
        assert sum(1 for _ in SPEC.reader(folder, split.name, ReadContext())) == split.expected
