"""The GENIA nested-NER reader (W2NER JSON) on handwritten fixtures, plus a count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import genia
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError, UnknownDatasetError

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _with_records(tmp_path: Path, *records: object) -> Path:
    """A copy of the fixture folder with `records` appended to dev.json."""
    folder = Path(shutil.copytree(FIXTURES / "genia_nested", tmp_path / "genia_nested"))
    data = json.loads((folder / "dev.json").read_text(encoding="utf-8"))
    (folder / "dev.json").write_text(json.dumps([*data, *records]), encoding="utf-8")
    return folder


def test_nested_entities_offsets_and_ids() -> None:
    gene, empty, cells = genia.read_genia_nested(FIXTURES / "genia_nested", "dev", ReadContext())
    assert [gene.id, empty.id, cells.id] == [f"genia_nested-dev-{i}" for i in range(3)]
    assert gene.text == "The ZK-4 receptor gene activates MOR2 in Jurkat cells."
    # sorted by start, the longer (outer) entity first
    assert [(s.start, s.end, s.text, s.label) for s in gene.entities] == [
        (4, 22, "ZK-4 receptor gene", "DNA"),
        (4, 8, "ZK-4", "protein"),
        (33, 37, "MOR2", "protein"),
        (41, 53, "Jurkat cells", "cell_line"),
    ]
    assert empty.entities == () and empty.meta["tokens"][0] == "No"
    assert cells.text == "Resting (naive) T cells express ZK-4 mRNA."
    assert [(s.text, s.label) for s in cells.entities] == [("T cells", "cell_type"), ("ZK-4 mRNA", "RNA")]
    assert genia.SPECS[0].label_name("cell_line") == "cell line"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"sentence": ["A", "B", "C"], "ner": [{"index": [0, 2], "type": "DNA"}]},
         r"record 3: expected contiguous ascending token ids, got \[0, 2\]"),
        ({"sentence": ["A", "B"], "ner": [{"index": [2], "type": "DNA"}]},
         r"record 3: expected token ids in 0\.\.1, got \[2\]"),
        ({"tokens": ["A"], "ner": []}, r"record 3: expected 'sentence' to be a list of non-empty token strings"),
        ({"sentence": ["A"], "ner": [{"index": [0]}]}, r"record 3: expected an entity with a string 'type'"),
        ({"sentence": ["A"], "ner": [{"index": "0", "type": "RNA"}]},
         r"record 3: expected 'index' to be a non-empty list"),
        (["A"], r"record 3: expected an object with 'sentence' and 'ner', got list"),
    ],
)
def test_malformed_record_names_file_and_record(tmp_path: Path, record: object, message: str) -> None:
    folder = _with_records(tmp_path, record)
    with pytest.raises(DataFormatError, match=r"dev\.json, " + message):
        list(genia.read_genia_nested(folder, "dev", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    good = {"sentence": ["MOR2", "binds", "."], "ner": [{"index": [0], "type": "protein"}]}
    folder = _with_records(tmp_path, {"sentence": []}, good, {"sentence": ["A"], "ner": [{"index": [], "type": "RNA"}]})
    ctx = ReadContext(skip_invalid=True)
    exs = list(genia.read_genia_nested(folder, "dev", ctx))
    assert [e.id for e in exs][-1] == "genia_nested-dev-4" and len(exs) == 4
    assert [e.where for e in ctx.skipped] == ["3", "5"]


def test_not_a_list_missing_file_unknown_split(tmp_path: Path) -> None:
    (tmp_path / "dev.json").write_text('{"sentence": []}', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"dev\.json: expected a JSON list of sentences, got dict"):
        list(genia.read_genia_nested(tmp_path, "dev", ReadContext()))
    with pytest.raises(MissingDataError, match=r"test\.json"):
        list(genia.read_genia_nested(tmp_path, "test", ReadContext()))
    with pytest.raises(UnknownDatasetError, match="no split 'train'"):
        list(genia.read_genia_nested(tmp_path, "train", ReadContext()))


def test_spec() -> None:
    (spec,) = genia.SPECS
    assert [(s.name, s.role, s.expected) for s in spec.splits] == [("dev", "train", 1669),
                                                                   ("test", "in-domain test", 1854)]


@pytest.mark.data
def test_real_data_counts() -> None:
    (spec,) = genia.SPECS
    try:
        folder = dataset_dir(spec)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    for split in spec.splits:
        exs = list(spec.reader(folder, split.name, ReadContext()))
        assert len(exs) == split.expected, split.name
        assert {s.label for e in exs for s in e.entities} == set(spec.entity_labels)
