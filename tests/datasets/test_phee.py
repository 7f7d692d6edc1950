"""PHEE reader on handwritten fixtures, plus a count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import phee
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import data_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "phee"
(SPEC,) = phee.SPECS


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "phee"))


def _append(path: Path, *records: object) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def test_flattens_nested_arguments_into_dotted_roles() -> None:
    first, second, third = phee.read_phee(FIXTURES, "train", ReadContext())
    assert (first.id, first.doc_id, first.split) == ("phee-1000001_2", "1000001", "train")
    event, combination = first.events
    assert (event.type, event.id, event.trigger.text) == ("Adverse_event", "E1", "developed")
    assert first.text[event.trigger.start : event.trigger.end] == "developed"
    roles = [(a.role, a.text) for a in event.arguments]
    assert ("Subject.Age", "45-year-old") in roles and ("Treatment.Route", "oral") in roles
    assert [t for r, t in roles if r == "Treatment.Drug"] == ["amoxicillin", "clavulanate"]
    severity = next(a for a in event.arguments if a.role == "Severity")
    assert (severity.text, severity.label) == ("severe", "High")
    assert SPEC.label_name("Treatment.Drug") == "drug" and SPEC.label_name("Adverse_event") == "adverse event"
    # the Combination sub-event becomes its own event, linked to its parent
    assert (combination.type, combination.trigger.text) == ("Combination", "and")
    assert [a.text for a in combination.arguments if a.role == "Drug"] == ["amoxicillin", "clavulanate"]
    assert first.meta["combination_of"] == {"E2": "E1"}
    assert second.events[0].type == "Potential_therapeutic_event"
    # a discontinuous mention gives one argument per fragment
    effects = [a for a in third.events[0].arguments if a.role == "Effect"]
    assert [(a.text, a.start) for a in effects] == [("Rash", 0), ("fever", 17)]


def test_every_role_and_type_has_a_readable_name() -> None:
    for event_type, roles in SPEC.event_roles.items():
        assert event_type in SPEC.event_types
        assert all(r in SPEC.roles for r in roles)
    assert {s.name: (s.role, s.expected) for s in SPEC.splits} == {
        "train": ("train", 2898), "dev": ("dev", 961), "test": ("in-domain test", 968)}


def test_offset_mismatch_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    record = {"id": "9_1", "context": "Aspirin caused a rash.", "annotations": [{"events": [
        {"event_id": "E1", "event_type": "Adverse_event", "Trigger": {"text": [["caused"]], "start": [[9]]}}]}]}
    _append(folder / "train.json", record)
    with pytest.raises(DataFormatError, match=r"train\.json, line 4: expected a PHEE record .*context\[9:15\]"):
        list(phee.read_phee(folder, "train", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _append(folder / "train.json", "{not json", {"id": "9_2", "context": "No annotations here."},
            {"id": "9_3", "context": "Fine.", "annotations": [{"events": []}]})
    ctx = ReadContext(skip_invalid=True)
    examples = list(phee.read_phee(folder, "train", ctx))
    assert len(examples) == 4 and [e.where for e in ctx.skipped] == [4, 5]
    assert "KeyError" in str(ctx.skipped[1])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"dev\.json"):
        list(phee.read_phee(tmp_path, "dev", ReadContext()))


@pytest.mark.data
def test_real_counts() -> None:
    try:
        folder = data_dir() / SPEC.folder
    except MissingDataError:
        pytest.skip("no data directory")
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    for split in SPEC.splits:
        assert sum(1 for _ in phee.read_phee(folder, split.name, ReadContext())) == split.expected, split.name
