"""The strict JSONL reader shared by predict, training data, the builder, explanations and extraction inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from adelie.errors import DataFormatError, MissingDataError
from adelie.jsonl import jsonl_records


def test_yields_line_numbers_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n  \n[2, 3]\n"x"\n', encoding="utf-8")
    assert list(jsonl_records(path)) == [(1, {"a": 1}), (4, [2, 3]), (5, "x")]


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"b\.jsonl, line 2: is not JSON") as info:
        list(jsonl_records(path))
    assert info.value.where == 2


def test_bytes_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n')
    with pytest.raises(DataFormatError, match=r"c\.jsonl, line 2: is not UTF-8"):
        list(jsonl_records(path))


def test_missing_file_uses_the_callers_message(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"input file .* does not exist"):
        list(jsonl_records(tmp_path / "none.jsonl", missing=f"input file {tmp_path / 'none.jsonl'} does not exist"))
    with pytest.raises(MissingDataError, match="does not exist"):
        list(jsonl_records(tmp_path / "none.jsonl"))
