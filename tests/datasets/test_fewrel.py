"""FewRel reader on a handwritten fixture, plus a count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import fewrel
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures"
(SPEC,) = fewrel.SPECS


def _bad_copy(tmp_path: Path) -> Path:
    """The fixture with P26#1's tail pointing past the tokens."""
    folder = Path(shutil.copytree(FIXTURES / "fewrel", tmp_path / "fewrel"))
    data = json.loads((folder / "val_wiki.json").read_text(encoding="utf-8"))
    data["P26"][1]["t"][2] = [[40]]
    (folder / "val_wiki.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_reads_instances_with_labels_and_ids() -> None:
    exs = list(fewrel.read_fewrel(FIXTURES / "fewrel", "val_wiki", ReadContext()))
    assert [e.id for e in exs] == [f"fewrel-val_wiki-{i}" for i in range(4)]
    assert [e.relations[0].label for e in exs] == ["P26", "P26", "P177", "P177"]
    first = exs[0]
    assert first.text == "Ada Brook married Tom Hale in 1990."
    rel = first.relations[0]
    assert (rel.head.text, rel.head.start, rel.head.end) == ("Ada Brook", 0, 9)
    assert (rel.tail.text, rel.tail.start, rel.tail.end) == ("Tom Hale", 18, 26)
    assert first.entities == (rel.head, rel.tail)
    assert first.meta == {"head_id": "Q101", "tail_id": "Q102"}
    assert SPEC.label_name("P26") == "spouse" and SPEC.label_name("P177") == "crosses"


def test_head_after_tail_and_extra_mentions() -> None:
    _, omar, bridge, ferry = fewrel.read_fewrel(FIXTURES / "fewrel", "val_wiki", ReadContext())
    assert omar.relations[0].head.text == "Omar Sayed" and omar.relations[0].tail.text == "Lena"
    head = bridge.relations[0].head
    assert head.text == "Kestrel Bridge" and head.start == 4  # the first mention
    assert [bridge.text[s:e] for s, e in bridge.meta["head_mentions"]] == ["Kestrel Bridge", "Kestrel Bridge"]
    # token indices [0, 2]: the span runs from the first to the last token, noted in meta
    assert ferry.relations[0].head.text == "Marl old ferry" and ferry.meta["head_discontinuous"] is True
    assert ferry.text == "Marl old ferry crosses the Dun (a canal)."


def test_label_names_cover_every_split_family() -> None:
    assert SPEC.label_name("ingredient_of") == "ingredient of"
    assert SPEC.label_name("Cause-Effect(e2,e1)") == "is caused by"
    assert {s.name: s.role for s in SPEC.splits} == {
        "val_wiki": "train", "val_pubmed": "held-out", "val_nyt": "never", "val_semeval": "never"}


def test_bad_instance_names_file_and_record(tmp_path: Path) -> None:
    folder = _bad_copy(tmp_path)
    with pytest.raises(DataFormatError, match=r"val_wiki\.json, record P26#1: expected \{tokens.*token range"):
        list(fewrel.read_fewrel(folder, "val_wiki", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    ctx = ReadContext(skip_invalid=True)
    exs = list(fewrel.read_fewrel(_bad_copy(tmp_path), "val_wiki", ctx))
    assert len(exs) == 3 and [e.where for e in ctx.skipped] == ["P26#1"]


def test_relation_not_mapping_to_a_list(tmp_path: Path) -> None:
    (tmp_path / "val_nyt.json").write_text('{"P40": {"tokens": []}}', encoding="utf-8")
    ctx = ReadContext(skip_invalid=True)
    assert list(fewrel.read_fewrel(tmp_path, "val_nyt", ctx)) == []
    assert "expected a list of instances" in str(ctx.skipped[0])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"val_pubmed\.json"):
        list(fewrel.read_fewrel(tmp_path, "val_pubmed", ReadContext()))


@pytest.mark.data
def test_real_data_counts() -> None:
    try:
        folder = dataset_dir(SPEC)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    pid2name = json.loads((folder / "pid2name.json").read_text(encoding="utf-8"))
    assert all(pid2name[pid][0] == name for pid, name in fewrel.WIKIDATA_LABELS.items())
    for split in SPEC.splits:
        exs = list(SPEC.reader(folder, split.name, ReadContext()))
        assert len(exs) == split.expected
        assert {e.relations[0].label for e in exs} <= SPEC.relation_labels.keys()
