"""On-demand IE: ODIE / InstructIE test items (instruction, text, gold markdown table), and the markdown
table parser that gold tables and model answers share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from adelie.datasets.reading import ReadContext, read_json
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Example, Table, Task

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r":?-+:?")
_RULE_CELL = re.compile(r":?-{3,}:?")  # a separator-looking row after the first: at least three dashes a cell


def _cells(line: str) -> list[str]:
    """The cells of one table line: outer pipes stripped, split on unescaped pipes, `\\|` unescaped."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.strip().replace("\\|", "|") for c in _UNESCAPED_PIPE.split(line)]


def _is_rule(cells: list[str], pattern: re.Pattern[str]) -> bool:
    return all(pattern.fullmatch(c) for c in cells)


def parse_markdown_table(text: str, strict: bool = False) -> Table:
    """Parse the first markdown table in `text` (lines around it, such as prose or code fences, are ignored).

    The table is the first run of consecutive lines containing a pipe; its first line is the header. Outer
    pipes are optional, cells are stripped, `\\|` is a literal pipe. The `---` separator row after the header
    is skipped (and any later all-`---` row). Ragged rows are padded with empty cells or, when too long,
    lose their trailing empty cells and then their extra cells. No table gives `Table(header=())`.
    With `strict`, a missing table or a ragged row raises ValueError instead.
    """
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if "|" in ln), None)
    if start is None:
        if strict:
            raise ValueError("expected a markdown table (lines with | between cells), found none")
        return Table(header=())
    block = []
    for ln in lines[start:]:
        if "|" not in ln:
            break
        block.append(_cells(ln))
    header, body = block[0], block[1:]
    if body and _is_rule(body[0], _SEPARATOR_CELL):
        body = body[1:]
    rows = []
    for i, cells in enumerate(c for c in body if not _is_rule(c, _RULE_CELL)):
        if len(cells) != len(header):
            if strict:
                raise ValueError(f"expected {len(header)} cells in table row {i}, got {len(cells)}")
            cells = _fit(cells, len(header))
        rows.append(tuple(cells))
    return Table(header=tuple(header), rows=tuple(rows))


def _fit(cells: list[str], width: int) -> list[str]:
    while len(cells) > width and not cells[-1]:
        cells = cells[:-1]
    return (cells + [""] * width)[:width]


def read_odie(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """`test_data.json`: a list of {instruction, text, table, source, source_type, domain, category,
    difficulty}; the gold table is parsed strictly (a ragged gold row is a format error)."""
    path = folder / "test_data.json"
    items = read_json(path)
    if not isinstance(items, list):
        ctx.fail(path, None, f"expected a JSON list of items, got {type(items).__name__}")
        return
    for i, item in enumerate(items):
        where = str(i)
        fields = {k: item.get(k) for k in ("instruction", "text", "table")} if isinstance(item, dict) else {}
        missing = [k for k in ("instruction", "text", "table") if not isinstance(fields.get(k), str)]
        if missing:
            ctx.fail(path, where, f"expected an object with string fields instruction, text, table; "
                                  f"{', '.join(missing)} missing or not a string")
            continue
        try:
            table = parse_markdown_table(fields["table"], strict=True)
        except ValueError as exc:
            ctx.fail(path, where, f"gold table: {exc}")
            continue
        meta = {k: item.get(k) for k in ("source", "source_type", "domain", "category", "difficulty")}
        ex = ctx.example(path, where, id=f"odie-{split}-{i}", dataset="odie", split=split, text=fields["text"],
                         instruction=fields["instruction"], table=table, meta=meta)
        if ex is not None:
            yield ex


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name="odie",
        folder="odie_instructie",
        tasks=(Task.ON_DEMAND,),
        splits=(SplitSpec("test", "held-out", 150, "instruction + text items with a gold markdown table"),),
        licence_class="unstated",
        reader=read_odie,
        description="ODIE / InstructIE on-demand IE test set (Jiao et al. 2023): build the table an instruction "
                    "asks for from a text. GPT-3.5-generated data; no licence file.",
    ),
]
