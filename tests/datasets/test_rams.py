"""RAMS reader on handwritten fixtures, its ontology tables, and a count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import rams
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import data_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rams"
(SPEC,) = rams.SPECS


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "rams"))


def test_passage_with_trigger_arguments_and_sentences() -> None:
    attack, vote = rams.read_rams(FIXTURES, "dev", ReadContext())
    assert (attack.id, attack.doc_id, attack.split) == ("rams-nw_fixture_a", "nw_fixture_a", "dev")
    assert attack.text == ("The storm hit the coast. Rebels attacked the base in Idlib on Sunday. "
                           "Officials said three soldiers were hurt.")
    assert attack.sentence_texts()[1] == "Rebels attacked the base in Idlib on Sunday."
    (event,) = attack.events
    assert (event.type, event.trigger.text, event.trigger.start) == ("conflict.attack.n/a", "attacked", 32)
    assert [(a.role, a.text) for a in event.arguments] == [
        ("evt004arg01attacker", "Rebels"), ("evt004arg02target", "the base"), ("evt004arg04place", "Idlib")]
    assert vote.text == 'Voters chose a new mayor in "Springfield".'
    assert attack.meta["source_url"] == "http://example.org/nw_fixture_a"


def test_ontology_names() -> None:
    assert len(SPEC.event_types) == 139 and len(set(SPEC.event_types.values())) == 139
    assert SPEC.label_name("conflict.attack.airstrikemissilestrike") == "attack: airstrike missile strike"
    assert SPEC.label_name("life.die.n/a") == "die"
    assert SPEC.label_name("evt001arg01damagerdestroyer") == "damager destroyer"
    assert SPEC.label_name("evt064arg01gpe") == "geopolitical entity"
    assert SPEC.event_roles["movement.transportperson.selfmotion"] == (
        "evt121arg01transporter", "evt121arg03origin", "evt121arg04destination")
    assert "evt071arg04result" in SPEC.event_roles["government.vote.n/a"]
    assert SPEC.coarse["life.die.n/a"] == "life.die"
    assert all(r in SPEC.roles for roles in SPEC.event_roles.values() for r in roles)


def test_link_to_unknown_trigger_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    record = json.loads((folder / "dev.jsonlines").read_text(encoding="utf-8").splitlines()[1])
    record["gold_evt_links"][0][0] = [0, 0]
    with (folder / "dev.jsonlines").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    with pytest.raises(DataFormatError, match=r"dev\.jsonlines, line 3: expected a RAMS record.*evt_triggers"):
        list(rams.read_rams(folder, "dev", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    good = json.loads((folder / "dev.jsonlines").read_text(encoding="utf-8").splitlines()[1])
    bad_range = {**good, "evt_triggers": [[40, 41, [["life.die.n/a", 1.0]]]]}
    with (folder / "dev.jsonlines").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"doc_key": "x"}) + "\n" + json.dumps(bad_range) + "\n")
    ctx = ReadContext(skip_invalid=True)
    assert len(list(rams.read_rams(folder, "dev", ctx))) == 2
    assert [e.where for e in ctx.skipped] == [3, 4] and "token range [40, 41]" in str(ctx.skipped[1])


@pytest.mark.data
def test_real_counts() -> None:
    try:
        folder = data_dir() / SPEC.folder
    except MissingDataError:
        pytest.skip("no data directory")
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    for split in SPEC.splits:
        assert sum(1 for _ in rams.read_rams(folder, split.name, ReadContext())) == split.expected, split.name
