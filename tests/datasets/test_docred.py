"""Re-DocRED reader on a handwritten fixture, plus a count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import docred
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures"
(SPEC,) = docred.SPECS


def _bad_copy(tmp_path: Path) -> Path:
    """The fixture with a mention of document #0 running past its sentence."""
    folder = Path(shutil.copytree(FIXTURES / "re_docred", tmp_path / "re_docred"))
    docs = json.loads((folder / "dev_revised.json").read_text(encoding="utf-8"))
    docs[0]["vertexSet"][3][0]["pos"] = [6, 9]
    (folder / "dev_revised.json").write_text(json.dumps(docs), encoding="utf-8")
    return folder


def test_documents_mentions_and_relations() -> None:
    nora, town = docred.read_re_docred(FIXTURES / "re_docred", "dev", ReadContext())
    assert (nora.id, nora.doc_id) == ("re_docred-dev-0", "Nora Vance")
    assert nora.text == "Nora Vance was born in Tellport. Vance later joined Harbor Books in 1999."
    assert nora.sentence_texts() == ["Nora Vance was born in Tellport.", "Vance later joined Harbor Books in 1999."]
    assert [(e.text, e.label, e.id) for e in nora.entities] == [
        ("Nora Vance", "PER", "0"), ("Vance", "PER", "0"), ("Tellport", "LOC", "1"),
        ("Harbor Books", "ORG", "2"), ("1999", "TIME", "3")]
    born, works = nora.relations
    # the head is the vertex's first mention in the text, though the source lists "Vance" first
    assert (born.head.text, born.head.start, born.tail.text, born.label) == ("Nora Vance", 0, "Tellport", "P19")
    assert (works.tail.text, works.label) == ("Harbor Books", "P108")
    assert nora.meta["evidence"] == [[0], [0, 1]]
    assert town.relations[0].label == "P131"
    assert SPEC.label_name("P131") == "located in the administrative territorial entity"
    assert SPEC.label_name("PER") == "person" and len(SPEC.relation_labels) == 96


def test_bad_mention_names_file_and_record(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"dev_revised\.json, record #0: expected \{title.*'1999'"):
        list(docred.read_re_docred(_bad_copy(tmp_path), "dev", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    ctx = ReadContext(skip_invalid=True)
    exs = list(docred.read_re_docred(_bad_copy(tmp_path), "dev", ctx))
    assert [e.doc_id for e in exs] == ["Tellport"] and [e.where for e in ctx.skipped] == ["#0"]


def test_relation_to_unknown_vertex(tmp_path: Path) -> None:
    path = tmp_path / "test_revised.json"
    doc = {"title": "T", "sents": [["A", "."]], "vertexSet": [[{"pos": [0, 1], "sent_id": 0, "type": "MISC"}]],
           "labels": [{"h": 0, "t": 3, "r": "P31", "evidence": []}]}
    path.write_text(json.dumps([doc]), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"record #0: .*relation vertex 3 is not one of the 1 vertices"):
        list(docred.read_re_docred(tmp_path, "test", ReadContext()))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"test_revised\.json"):
        list(docred.read_re_docred(tmp_path, "test", ReadContext()))


@pytest.mark.data
def test_real_data_counts() -> None:
    try:
        folder = dataset_dir(SPEC)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    for split in SPEC.splits:
        exs = list(SPEC.reader(folder, split.name, ReadContext()))
        assert len(exs) == split.expected
        assert {r.label for e in exs for r in e.relations} <= SPEC.relation_labels.keys()
