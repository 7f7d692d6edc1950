"""Helpers shared by the relation readers (fewrel, semeval, joint_re, docred): token spans and the per-record
loop that turns a malformed record into an error naming its file and record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from adelie.datasets.reading import ReadContext, read_json
from adelie.errors import DataFormatError
from adelie.schema import Example, Span, make_span

# What a malformed record raises while it is being taken apart.
BAD_RECORD = (KeyError, IndexError, TypeError, ValueError, AttributeError)

Where = str | int
Builder = Callable[[int, Any], dict[str, Any]]


def tokens_of(value: Any) -> list[str]:
    """`value` as a non-empty list of string tokens, or TypeError."""
    if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
        raise TypeError(f"tokens must be a non-empty list of strings, not {_preview(value)}")
    return value


def token_span(
    text: str, offsets: list[tuple[int, int]], start: int, end: int, label: str | None = None, id: str | None = None
) -> Span:
    """The span over tokens [start, end) of a detokenized text (`offsets` from `detokenize`)."""
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(offsets)):
        raise ValueError(f"token range [{start}, {end}) is not inside the {len(offsets)} tokens")
    return make_span(text, offsets[start][0], offsets[end - 1][1], label, id)


def json_list(path: Path) -> list[Any]:
    """A JSON file holding a list of records."""
    data = read_json(path)
    if not isinstance(data, list):
        raise DataFormatError(path, None, f"expected a JSON list of records, got {type(data).__name__}")
    return data


def build_examples(
    path: Path, ctx: ReadContext, records: Iterable[tuple[Where, Any]], expected: str, build: Builder
) -> Iterator[Example]:
    """Turn (where, record) pairs into examples with `build(index, record) -> Example fields`. A record that
    `build` cannot take apart, or whose fields are invalid, goes to `ctx.fail` with `expected` and the problem.
    `where` is a line number (int) or a record id such as `#12` (0-based position in a JSON list)."""
    for index, (where, record) in enumerate(records):
        try:
            fields = build(index, record)
        except BAD_RECORD as exc:
            ctx.fail(path, where, f"expected {expected}; got {_problem(exc)}")
            continue
        example = ctx.example(path, where, **fields)
        if example is not None:
            yield example


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no field {exc}"
    if isinstance(exc, IndexError):
        return f"too few items ({exc})"
    return str(exc) or type(exc).__name__


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
