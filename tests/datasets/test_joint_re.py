"""CoNLL04 (SpERT and unified), ADE and SciERC readers on handwritten fixtures, plus real-data counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import joint_re
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures"
SPECS = {s.name: s for s in joint_re.SPECS}


def _copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def _edit_json(path: Path, index: int, **changes: object) -> None:
    records = json.loads(path.read_text(encoding="utf-8"))
    records[index].update(changes)
    path.write_text(json.dumps(records), encoding="utf-8")


# --- CoNLL04 (SpERT) ---------------------------------------------------------------------------------------


def test_conll04_decodes_bilou_and_relation_indices() -> None:
    maria, kell = joint_re.read_conll04(FIXTURES / "conll04_spert", "train", ReadContext())
    assert (maria.id, kell.id) == ("conll04-101", "conll04-102")
    assert maria.text == "Maria Lopez, a reporter for the Daily Tide, lives in Porto."
    assert [(e.text, e.label, e.start) for e in maria.entities] == [
        ("Maria Lopez", "Peop", 0), ("Daily Tide", "Org", 32), ("Porto", "Loc", 53)]
    work, live = maria.relations
    assert (work.head.text, work.tail.text, work.label) == ("Maria Lopez", "Daily Tide", "Work_For")
    assert (live.tail.text, live.tail.label) == ("Porto", "Loc")
    assert kell.entities[0].text == "Kell Systems Inc."
    assert [r.label for r in kell.relations] == ["OrgBased_In", "Located_In"]
    spec = SPECS["conll04"]
    assert spec.label_name("Live_In") == "lives in" and spec.label_name("Peop") == "person"


@pytest.mark.parametrize(
    ("tags", "problem"),
    [(["I-Peop", "L-Peop"], "tag 0 'I-Peop' breaks"), (["B-Peop", "O"], "tag 1 'O' breaks"),
     (["B-Peop", "I-Peop"], "never closed"), (["X-Peop", "O"], "is not O or")],
)
def test_bilou_errors(tags: list[str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        joint_re.bilou_entities(tags)


def test_conll04_bad_record_names_file_and_record(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "conll04_spert")
    _edit_json(folder / "conll04_train.json", 1, relations=[{"head": 0, "tail": 7, "type": "Located_In"}])
    with pytest.raises(DataFormatError, match=r"conll04_train\.json, record #1: expected .*relation index 7"):
        list(joint_re.read_conll04(folder, "train", ReadContext()))


def test_conll04_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "conll04_spert")
    _edit_json(folder / "conll04_train.json", 0, tags=["O"])
    ctx = ReadContext(skip_invalid=True)
    exs = list(joint_re.read_conll04(folder, "train", ctx))
    assert [e.id for e in exs] == ["conll04-102"] and [e.where for e in ctx.skipped] == ["#0"]
    assert "one tag per token" in str(ctx.skipped[0])


# --- unified CoNLL04 and ADE -------------------------------------------------------------------------------


def test_unified_conll04_matches_spert() -> None:
    spec = SPECS["conll04_unified"]
    (unified,) = spec.reader(FIXTURES / "conll04_ade_unified", "train", ReadContext())
    spert = next(iter(joint_re.read_conll04(FIXTURES / "conll04_spert", "train", ReadContext())))
    assert unified.id == "conll04_unified-train-0"
    assert (unified.text, unified.entities, unified.relations) == (spert.text, spert.entities, spert.relations)
    assert {s.role for s in spec.splits} == {"never"}


def test_ade_keeps_effect_as_head() -> None:
    spec = SPECS["ade"]
    rash, headache = spec.reader(FIXTURES / "conll04_ade_unified", "train", ReadContext())
    assert rash.id == "ade-train-0" and rash.text == "Severe rash developed after a week of zelonafil therapy."
    (rel,) = rash.relations
    assert (rel.head.text, rel.head.label, rel.tail.text, rel.tail.label) == (
        "Severe rash", "Adverse-Effect", "zelonafil", "Drug")
    assert spec.relation_labels[rel.label] == "is an adverse effect of"
    assert headache.relations == () and [e.text for e in headache.entities] == ["probarin"]


def test_unified_relation_must_join_entities(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "conll04_ade_unified")
    _edit_json(folder / "ade" / "train.ADE0.json", 1, relations=[[0, 1, 5, 6, "Adverse-Effect"]])
    ctx = ReadContext(skip_invalid=True)
    assert len(list(SPECS["ade"].reader(folder, "train", ctx))) == 1
    (err,) = ctx.skipped
    assert "train.ADE0.json, record #1" in str(err) and "tokens [0, 1) are not one of the entities" in str(err)


# --- SciERC ------------------------------------------------------------------------------------------------


def test_scierc_documents_sentences_and_clusters() -> None:
    doc, small = joint_re.read_scierc(FIXTURES / "scierc", "train", ReadContext())
    assert (doc.id, doc.doc_id) == ("scierc-X01-1001", "X01-1001")
    assert doc.text == "We apply a graph parser (GP) to speech tagging. The GP improves accuracy."
    assert doc.sentence_texts() == ["We apply a graph parser (GP) to speech tagging.", "The GP improves accuracy."]
    assert [(e.text, e.label, e.id) for e in doc.entities] == [
        ("graph parser", "Method", "0"), ("GP", "Method", "0"), ("speech tagging", "Task", None),
        ("GP", "Method", "0"), ("accuracy", "Metric", None)]
    used, evaluates = doc.relations
    assert (used.head.text, used.tail.text, used.label) == ("graph parser", "speech tagging", "USED-FOR")
    assert (evaluates.head.text, evaluates.tail.start) == ("accuracy", 52)
    assert SPECS["scierc"].label_name("USED-FOR") == "used for"
    assert small.sentences == ((0, len(small.text)),)


def test_scierc_bad_lines_name_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "scierc")
    with (folder / "train.json").open("a", encoding="utf-8") as f:
        f.write('{"doc_key": "Z", "sentences": [["A", "."]], "ner": [[[0, 4, "Task"]]], "relations": [[]]}\n')
        f.write("{not json\n")
    with pytest.raises(DataFormatError, match=r"train\.json, line 3: expected \{doc_key.*token range \[0, 5\)"):
        list(joint_re.read_scierc(folder, "train", ReadContext()))
    ctx = ReadContext(skip_invalid=True)
    assert len(list(joint_re.read_scierc(folder, "train", ctx))) == 2
    assert [e.where for e in ctx.skipped] == [3, 4]


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"conll04_dev\.json"):
        list(joint_re.read_conll04(tmp_path, "dev", ReadContext()))
    with pytest.raises(MissingDataError, match=r"valid\.ADE0\.json"):
        list(SPECS["ade"].reader(tmp_path, "dev", ReadContext()))


@pytest.mark.data
def test_real_data_counts() -> None:
    for spec in joint_re.SPECS:
        try:
            folder = dataset_dir(spec)
        except MissingDataError as exc:
            pytest.skip(str(exc))
        for split in spec.splits:
            exs = list(spec.reader(folder, split.name, ReadContext()))
            assert len(exs) == split.expected, (spec.name, split.name)
            assert {r.label for e in exs for r in e.relations} <= spec.relation_labels.keys()
            assert {s.label for e in exs for s in e.entities} <= spec.entity_labels.keys()
