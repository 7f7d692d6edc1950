"""The MIT Restaurant reader (UniversalNER question format) on handwritten fixtures, plus the real count."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from adelie.datasets import mit_restaurant as mit
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError, UnknownDatasetError

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _edited(tmp_path: Path, index: int, **turn_values: str) -> Path:
    """A copy of the fixture folder whose conversation `index` has some turns replaced (turn number -> value)."""
    folder = Path(shutil.copytree(FIXTURES / "mit_restaurant", tmp_path / "mit_restaurant"))
    path = folder / mit.FILE
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    for turn, value in turn_values.items():
        records[index]["conversations"][int(turn.removeprefix("t"))]["value"] = value
    path.write_text(json.dumps(records), encoding="utf-8")
    return folder


def test_one_example_per_sentence_with_grounded_entities() -> None:
    taco, dumplings, bar = mit.read_mit_restaurant(FIXTURES / "mit_restaurant", "test", ReadContext())
    assert [taco.id, dumplings.id, bar.id] == [f"mit_restaurant-test-{i}" for i in range(3)]
    assert taco.text == "any cheap taco place near the taco museum open late"
    assert [(s.start, s.end, s.text, s.label) for s in taco.entities] == [
        (4, 9, "cheap", "Price"),
        (10, 14, "taco", "Dish"),  # the longer Location answer holds the second "taco"
        (21, 41, "near the taco museum", "Location"),
        (42, 51, "open late", "Hours"),
    ]
    assert taco.meta["source_ids"] == [f"mit-restaurant_{i}" for i in range(8)]
    assert taco.meta["ambiguous"] == ["taco"]
    # a repeated answer takes successive occurrences
    assert [(s.start, s.text) for s in dumplings.entities if s.label == "Dish"] == [(5, "dumplings"), (24, "dumplings")]
    assert [(s.text, s.label) for s in dumplings.entities][-1] == ("great wall express", "Restaurant Name")
    # "bar" is grounded on word boundaries, not inside "barbecue"
    assert [(s.start, s.text, s.label) for s in bar.entities] == [
        (2, "barbecue", "Cuisine"), (24, "bar", "Amenity"), (34, "five stars", "Rating")]
    assert mit.SPECS[0].label_name("Restaurant Name") == "restaurant name"


def test_ground_falls_back_to_overlap_and_substrings() -> None:
    spans, ambiguous = mit.ground("thai food", [("Cuisine", "thai"), ("Dish", "thai food"), ("Amenity", "foo")])
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 4, "Cuisine"), (0, 9, "Dish"), (5, 8, "Amenity")]
    assert ambiguous == []
    with pytest.raises(ValueError, match="expected the Dish answer 'pho' to occur in the text"):
        mit.ground("ramen please", [("Dish", "pho")])


def test_answer_not_in_text_names_file_and_sentence(tmp_path: Path) -> None:
    folder = _edited(tmp_path, 10, t3='["pho"]')  # sentence 2, conversations 8..15
    with pytest.raises(DataFormatError, match=r"test\.json, record mit-restaurant_8\.\.mit-restaurant_15: "
                                              r"expected the \w+ answer 'pho' to occur"):
        list(mit.read_mit_restaurant(folder, "test", ReadContext()))


@pytest.mark.parametrize(
    ("turns", "message"),
    [
        ({"t3": "bar"}, "expected the last turn to be a JSON list of non-empty strings"),
        ({"t2": "What is Ambience in the text?"}, "expected 'What describes <one of Amenity"),
        ({"t0": "Sentence: hello"}, "expected the first turn to be 'Text: <sentence>'"),
    ],
)
def test_malformed_conversation_names_record(tmp_path: Path, turns: dict[str, str], message: str) -> None:
    folder = _edited(tmp_path, 17, **turns)
    with pytest.raises(DataFormatError, match=r"test\.json, record mit-restaurant_17: " + message):
        list(mit.read_mit_restaurant(folder, "test", ReadContext()))


def test_skip_invalid_drops_the_whole_sentence(tmp_path: Path) -> None:
    folder = _edited(tmp_path, 17, t3="not json")
    ctx = ReadContext(skip_invalid=True)
    exs = list(mit.read_mit_restaurant(folder, "test", ctx))
    assert [e.id for e in exs] == ["mit_restaurant-test-0", "mit_restaurant-test-1"]
    # the bad conversation, then its sentence, which now lacks one entity type
    assert [e.where for e in ctx.skipped] == ["mit-restaurant_17", "mit-restaurant_16..mit-restaurant_23"]
    assert "expected one question for each of the 8 types" in ctx.skipped[1].message


def test_not_a_list_missing_file_unknown_split(tmp_path: Path) -> None:
    (tmp_path / mit.FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(DataFormatError, match="expected a JSON list of conversations, got dict"):
        list(mit.read_mit_restaurant(tmp_path, "test", ReadContext()))
    with pytest.raises(UnknownDatasetError, match="no split 'dev'"):
        list(mit.read_mit_restaurant(tmp_path, "dev", ReadContext()))
    with pytest.raises(MissingDataError, match=r"uniner_mit-restaurant_test\.json"):
        list(mit.read_mit_restaurant(tmp_path / "absent", "test", ReadContext()))


def test_spec() -> None:
    (spec,) = mit.SPECS
    assert [(s.name, s.role) for s in spec.splits] == [("test", "held-out")]
    assert spec.licence_class == "non-commercial" and len(spec.entity_labels) == 8


@pytest.mark.data
def test_real_data_count() -> None:
    (spec,) = mit.SPECS
    try:
        folder = dataset_dir(spec)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    ctx = ReadContext()
    exs = list(spec.reader(folder, "test", ctx))
    assert len(exs) == spec.split("test").expected == 1520  # 12160 conversations / 8 types
    assert len({e.text for e in exs}) == len(exs)
