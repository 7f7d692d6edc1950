"""CASIE reader on handwritten fixtures (including shifted and clipped offsets), the seeded split, and a
count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import casie
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import data_dir
from adelie.errors import DataFormatError, MissingDataError
from adelie.schema import Example

FIXTURES = Path(__file__).parent.parent / "fixtures" / "casie"
(SPEC,) = casie.SPECS


def _read_all(folder: Path, ctx: ReadContext | None = None) -> dict[str, Example]:
    ctx = ctx or ReadContext()
    return {e.doc_id or "": e for split in ("train", "dev", "test") for e in casie.read_casie(folder, split, ctx)}


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "casie"))


def test_events_arguments_and_hoppers() -> None:
    doc = _read_all(FIXTURES)["101"]
    assert (doc.id, doc.meta["title"]) == ("casie-101", "Article 101")
    stole, breach, found = doc.events
    assert (stole.id, stole.type, stole.trigger.text) == ("E1", "Databreach", "stole")
    assert [(a.role, a.text, a.label) for a in stole.arguments][:2] == [
        ("Attacker", "Hackers", "Person"), ("Compromised-Data", "the card numbers", "PII")]
    assert breach.arguments == () and found.type == "DiscoverVulnerability"
    assert doc.meta["hoppers"] == [["E1", "E2"], ["E3"]] and doc.meta["realis"]["E3"] == "Actual"
    assert "offset_shift" not in doc.meta
    assert SPEC.coarse["Databreach"] == "Attack" and SPEC.label_name("Compromised-Data") == "compromised data"


def test_shifted_offsets_are_realigned() -> None:
    doc = _read_all(FIXTURES)["102"]  # every offset is one more than in `content`
    assert doc.meta["offset_shift"] == -1
    tricked = doc.events[0]
    assert (tricked.trigger.text, tricked.trigger.start) == ("tricked", 21)
    assert doc.text.startswith("A fake invoice email")


def test_annotation_past_the_end_is_clipped() -> None:
    doc = _read_all(FIXTURES)["103"]  # `content` lost its final period
    assert doc.events[0].arguments[-1].text == "the router flaw" and doc.meta["clipped"] == ["T4"]


def test_seeded_split_is_80_10_10_and_stable(tmp_path: Path) -> None:
    folder = tmp_path / "casie"
    (folder / "annotation").mkdir(parents=True)
    for n in range(20):
        (folder / "annotation" / f"{n}.json").write_text("{}", encoding="utf-8")
    parts = casie.split_files(folder)
    assert {k: len(v) for k, v in parts.items()} == {"train": 16, "dev": 2, "test": 2}
    names = [p.name for v in parts.values() for p in v]
    assert sorted(names) == sorted(f"{n}.json" for n in range(20))
    assert casie.split_files(folder) == parts  # the same seed, the same split


def test_unalignable_offset_names_file_and_record(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "annotation" / "101.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["cyberevent"]["hopper"][0]["events"][0]["nugget"]["startOffset"] += 3
    record["cyberevent"]["hopper"][0]["events"][0]["nugget"]["endOffset"] += 3
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"101\.json, record 101: expected a CASIE article.*annotation T1"):
        _read_all(folder)


def test_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "annotation" / "102.json").write_text("{broken", encoding="utf-8")
    (folder / "annotation" / "103.json").write_text(json.dumps({"content": "x"}), encoding="utf-8")
    ctx = ReadContext(skip_invalid=True)
    assert list(_read_all(folder, ctx)) == ["101"]
    assert sorted(Path(e.path).name for e in ctx.skipped) == ["102.json", "103.json"]
    assert "KeyError" in next(str(e) for e in ctx.skipped if e.path.endswith("103.json"))


def test_no_files(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="annotation"):
        list(casie.read_casie(tmp_path, "train", ReadContext()))


@pytest.mark.data
def test_real_counts() -> None:
    try:
        folder = data_dir() / SPEC.folder
    except MissingDataError:
        pytest.skip("no data directory")
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    for split in SPEC.splits:
        assert sum(1 for _ in casie.read_casie(folder, split.name, ReadContext())) == split.expected, split.name
