"""WikiEvents reader on handwritten fixtures, plus a count check on the real data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adelie.datasets import wikievents
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import data_dir
from adelie.errors import DataFormatError, MissingDataError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "wikievents"
(SPEC,) = wikievents.SPECS


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "wikievents"))


def test_document_rebuilt_at_source_offsets() -> None:
    (doc,) = wikievents.read_wikievents(FIXTURES, "dev", ReadContext())
    assert (doc.id, doc.doc_id) == ("wikievents-wf_1", "wf_1")
    # sentences sit at their tokens' offsets; the gaps between them become spaces
    assert doc.sentence_texts() == ["Bomb kills two in Lagos", "Police said a bomb exploded near a market in Lagos on "
                                    "Friday.", "The attackers fled."]
    assert doc.sentences[1] == (25, 86) and doc.text[23:25] == "  "


def test_entities_with_coreference_and_events() -> None:
    (doc,) = wikievents.read_wikievents(FIXTURES, "dev", ReadContext())
    lagos = [e for e in doc.entities if e.text == "Lagos"]
    assert [(e.start, e.label, e.id) for e in lagos] == [(18, "GPE", "wf_1-C0"), (70, "GPE", "wf_1-C0")]
    assert next(e for e in doc.entities if e.text == "two").id == "wf_1-T2"  # in no cluster: its mention id
    kills, exploded, said = doc.events
    assert (kills.id, kills.type, kills.trigger.text) == ("wf_1-E1", "Life.Die.Unspecified", "kills")
    assert [(a.role, a.text, a.label, a.start) for a in kills.arguments] == [
        ("Instrument", "Bomb", "WEA", 0), ("Victim", "two", "PER", 11), ("Place", "Lagos", "GPE", 18)]
    assert exploded.arguments[0].id == "wf_1-C1"  # the bomb of the headline and of the body corefer
    assert said.type == "Contact.Contact.Broadcast"
    assert SPEC.label_name("Conflict.Attack.DetonateExplode") == "attack: detonate explode"
    assert SPEC.label_name("ExplosiveDevice") == "explosive device" and SPEC.label_name("GPE") == "geopolitical entity"
    assert all(r in SPEC.roles for roles in SPEC.event_roles.values() for r in roles)


def test_unknown_entity_id_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    record = json.loads((folder / "dev.jsonl").read_text(encoding="utf-8"))
    record["event_mentions"][0]["arguments"][0]["entity_id"] = "wf_1-T99"
    with (folder / "dev.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    with pytest.raises(DataFormatError, match=r"dev\.jsonl, line 2: expected a WikiEvents document.*wf_1-T99"):
        list(wikievents.read_wikievents(folder, "dev", ReadContext()))


def test_skip_invalid_counts(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    record = json.loads((folder / "dev.jsonl").read_text(encoding="utf-8"))
    record["entity_mentions"][0]["text"] = "Bombs"
    with (folder / "dev.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n{\n")
    ctx = ReadContext(skip_invalid=True)
    assert len(list(wikievents.read_wikievents(folder, "dev", ctx))) == 1
    assert [e.where for e in ctx.skipped] == [2, 3] and "to read 'Bombs'" in str(ctx.skipped[0])


def test_missing_coreference_file(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "coref" / "test.jsonlines").unlink()
    with pytest.raises(MissingDataError, match=r"coref/test\.jsonlines"):
        list(wikievents.read_wikievents(folder, "test", ReadContext()))


@pytest.mark.data
def test_real_counts() -> None:
    try:
        folder = data_dir() / SPEC.folder
    except MissingDataError:
        pytest.skip("no data directory")
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    for split in SPEC.splits:
        assert sum(1 for _ in wikievents.read_wikievents(folder, split.name, ReadContext())) == split.expected
