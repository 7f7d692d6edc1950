"""ODIE reader on a handwritten fixture, the markdown table parser, and a count check on the real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adelie.datasets import odie
from adelie.datasets.odie import parse_markdown_table
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import dataset_dir
from adelie.errors import DataFormatError, MissingDataError
from adelie.schema import Table

FIXTURES = Path(__file__).parent.parent / "fixtures"

# --- parse_markdown_table --------------------------------------------------------------------------------


def test_parse_basic() -> None:
    t = parse_markdown_table("| Name | Age |\n| --- | --- |\n| Ann | 31 |\n| Bo | 7 |")
    assert t == Table(header=("Name", "Age"), rows=(("Ann", "31"), ("Bo", "7")))


def test_parse_without_outer_pipes_and_with_alignment_colons() -> None:
    t = parse_markdown_table("Name | Age\n:--- | ---:\nAnn | 31")
    assert t == Table(header=("Name", "Age"), rows=(("Ann", "31"),))
    assert parse_markdown_table("| a | b |\n|:-:|-|\n| 1 | 2 |").rows == (("1", "2"),)


def test_parse_escaped_pipe() -> None:
    t = parse_markdown_table("| Choice | Note |\n| --- | --- |\n| tea \\| juice | either \\|")
    assert t.rows == (("tea | juice", "either |"),)


def test_parse_ignores_surrounding_prose_and_fences() -> None:
    text = "Here is the table:\n\n```markdown\n| A | B |\n|---|---|\n| 1 | 2 |\n```\nHope this helps | bye"
    assert parse_markdown_table(text) == Table(header=("A", "B"), rows=(("1", "2"),))


def test_parse_whitespace_crlf_and_empty_cells() -> None:
    t = parse_markdown_table("  |  A |B|\r\n  | --- | --- |\r\n|   | x  |\r\n")
    assert t == Table(header=("A", "B"), rows=(("", "x"),))


def test_parse_header_only_and_no_separator() -> None:
    assert parse_markdown_table("| A | B |\n| --- | --- |") == Table(header=("A", "B"))
    assert parse_markdown_table("| A | B |\n| 1 | 2 |").rows == (("1", "2"),)


def test_parse_later_rule_rows_skipped_but_dash_cells_kept() -> None:
    t = parse_markdown_table("| A | B |\n| --- | --- |\n| 1 | 2 |\n| --- | --- |\n| - | - |")
    assert t.rows == (("1", "2"), ("-", "-"))


def test_parse_ragged_rows_are_fitted() -> None:
    t = parse_markdown_table("| A | B | C |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 | |\n| 1 | 2 | 3 | 4 |")
    assert t.rows == (("1", "", ""), ("1", "2", "3"), ("1", "2", "3"))


def test_parse_strict_rejects_ragged_rows_and_missing_table() -> None:
    with pytest.raises(ValueError, match="expected 2 cells in table row 1, got 3"):
        parse_markdown_table("| A | B |\n|---|---|\n| 1 | 2 |\n| 1 | 2 | 3 |", strict=True)
    with pytest.raises(ValueError, match="expected a markdown table"):
        parse_markdown_table("no table here", strict=True)


def test_parse_no_table() -> None:
    assert parse_markdown_table("") == Table(header=())
    assert parse_markdown_table("just prose\nand more") == Table(header=())


# --- read_odie -------------------------------------------------------------------------------------------


def test_odie_reads_items() -> None:
    birds, prices = odie.read_odie(FIXTURES / "odie_instructie", "test", ReadContext())
    assert (birds.id, birds.dataset, birds.split) == ("odie-test-0", "odie", "test")
    assert birds.instruction == "List the birds mentioned and where each one lives."
    assert birds.text.startswith("The puffin nests")
    assert birds.table == Table(header=("Bird", "Habitat"),
                                rows=(("puffin", "northern cliffs"), ("emu", "dry plains of Australia")))
    assert birds.meta == {"source": "handwritten", "source_type": "generate", "domain": "zoology",
                          "category": "fixed header", "difficulty": "easy"}
    assert prices.table is not None and prices.table.rows[1] == ("tea | juice", "2 euros")
    assert prices.meta["source"] is None and prices.meta["category"] == "open header"


def _write(tmp_path: Path, items: object) -> Path:
    (tmp_path / "test_data.json").write_text(json.dumps(items), encoding="utf-8")
    return tmp_path


def _items() -> list[dict]:
    return json.loads((FIXTURES / "odie_instructie" / "test_data.json").read_text(encoding="utf-8"))


def test_odie_bad_record_names_file_and_record(tmp_path: Path) -> None:
    items = _items()
    del items[1]["text"]
    folder = _write(tmp_path, items)
    with pytest.raises(DataFormatError, match=r"test_data\.json, record 1: expected an object .*text missing"):
        list(odie.read_odie(folder, "test", ReadContext()))


def test_odie_ragged_gold_table_is_an_error(tmp_path: Path) -> None:
    items = _items()
    items[0]["table"] = "| A | B |\n| --- | --- |\n| 1 | 2 | 3 |"
    folder = _write(tmp_path, items)
    with pytest.raises(DataFormatError, match=r"record 0: gold table: expected 2 cells in table row 0, got 3"):
        list(odie.read_odie(folder, "test", ReadContext()))


def test_odie_skip_invalid_counts(tmp_path: Path) -> None:
    items = [*_items(), "not an object", {"instruction": "x", "text": "y", "table": "no table"}]
    ctx = ReadContext(skip_invalid=True)
    exs = list(odie.read_odie(_write(tmp_path, items), "test", ctx))
    assert len(exs) == 2 and [e.where for e in ctx.skipped] == ["2", "3"]


def test_odie_not_a_list(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="expected a JSON list of items, got dict"):
        list(odie.read_odie(_write(tmp_path, {"a": 1}), "test", ReadContext()))


def test_odie_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"test_data\.json"):
        list(odie.read_odie(tmp_path, "test", ReadContext()))


@pytest.mark.data
def test_real_data_counts() -> None:
    (spec,) = odie.SPECS
    try:
        folder = dataset_dir(spec)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    for split in spec.splits:
        assert sum(1 for _ in spec.reader(folder, split.name, ReadContext())) == split.expected
