"""On-demand IE: build the table a free-form instruction asks for from a text.

Instances: one per example; the query holds `instruction`, the gold is `Instance.table` (items are not
used). Answers: canonical, a markdown table (`| a | b |`, a `| --- |` rule, one line per row; `|` in a cell
written `\\|`, line breaks in a cell become spaces); JSON `{"columns": [...], "rows": [[...], ...]}` (a list
of row objects is also read); natural `The table has the columns "Name" and "Age". Row 1 is "Ann" and
"34".`; NA (no table): `NA` / `{"columns": [], "rows": []}` / `No table can be built from the text (NA).`
A gold table without rows (a header for things the text does not mention) is answered NA in every format,
as the output-format instruction says; a model's header-only table is read as that header (header matching
still scores it). Markdown is read with `adelie.datasets.odie.parse_markdown_table`, the parser of the gold
tables. Scoring: `adelie.tasks.table_score.header_counts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from adelie.datasets.odie import parse_markdown_table
from adelie.errors import AdelieError
from adelie.schema import Example, Table, Task
from adelie.tasks.base import Counts, Format, IETask, Instance, Parsed, Template, TemplateSplit
from adelie.tasks.formats import (
    dumps,
    first_line,
    is_na,
    join_and,
    join_answer,
    json_key,
    load_json,
    quote,
    quoted_list,
    scalar,
    sentences,
    split_answer,
    strip_fences,
    unwrap,
)
from adelie.tasks.grammar import MAX_CELL_CHARS, MAX_COLUMNS, GrammarBuilder, answer, lit
from adelie.tasks.prompting import AnswerHelp, fill, format_instruction, load_templates

_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_NA_SENTENCE = "No table can be built from the text ({na})."
_NA_PATTERN = re.compile(r"^(?:there is )?no (?:table|information|data)\b", re.I)
_COLUMNS = re.compile(r"the table has the columns? (?P<cells>.+)", re.I | re.S)
_ROW = re.compile(r"row \d+ (?:is|has|contains|reads) (?P<cells>.+)", re.I | re.S)
_COLUMN_KEYS = ("columns", "header", "headers", "columnnames", "fields")
_ROW_KEYS = ("rows", "data", "records", "body", "values")
HELP = AnswerHelp(
    nothing="the text holds nothing the instruction asks for",
    canonical="a markdown table with a header row",
    json='{"columns": ["...", "..."], "rows": [["...", "..."]]}',
    natural='one sentence for the columns and one per row, such as: The table has the columns "Name" and '
            '"Age". Row 1 is "Ann" and "34".',
)


def markdown(table: Table) -> str:
    """`table` as a markdown table: header, `---` rule, rows."""
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(_BREAKS.sub(" ", c).strip().replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(table.header), line(["---"] * len(table.header)), *(line(r) for r in table.rows)])


def _fit(cells: Sequence[str], width: int) -> tuple[str, ...]:
    cells = list(cells)
    while len(cells) > width and not cells[-1]:
        cells.pop()
    return tuple((cells + [""] * width)[:width])


def _make(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table | None:
    if not header:
        return None
    return Table(header=tuple(header), rows=tuple(_fit(r, len(header)) for r in rows))


def table_from_json(value: Any) -> tuple[Table | None, bool]:
    """A table from `{"columns": [...], "rows": [[...]]}` or a list of row objects, and whether the value
    had a table's shape at all (an empty table is NA)."""
    value = unwrap(value, _COLUMN_KEYS + _ROW_KEYS)
    if isinstance(value, dict) and len(value) == 1 and json_key(next(iter(value))) == "table":
        value = next(iter(value.values()))
    if isinstance(value, dict):
        by_key = {json_key(k): v for k, v in value.items()}
        header = next((by_key[k] for k in _COLUMN_KEYS if k in by_key), None)
        rows = next((by_key[k] for k in _ROW_KEYS if k in by_key), [])
        if isinstance(header, list) and isinstance(rows, list):
            cols = [scalar(c) or "" for c in header]
            if rows and all(isinstance(r, dict) for r in rows):
                return _make(cols, [[_cell(r.get(c)) for c in cols] for r in rows]), True
            return _make(cols, [[_cell(c) for c in r] for r in rows if isinstance(r, list)]), True
        return None, False
    if isinstance(value, list) and all(isinstance(r, dict) for r in value):
        cols = list(dict.fromkeys(str(k) for r in value for k in r))
        return _make(cols, [[_cell(r.get(c)) for c in cols] for r in value]), True
    return None, False


def _cell(v: Any) -> str:
    s = scalar(v)
    return s if s is not None else ""


def table_from_sentences(said: list[str]) -> Table | None:
    """A table from `The table has the columns ...` and `Row N is ...` sentences."""
    header: list[str] | None = None
    rows = []
    for s in said:
        if header is None and (m := _COLUMNS.fullmatch(s)):
            header = quoted_list(m.group("cells"))
        elif header is not None and (m := _ROW.fullmatch(s)):
            cells = quoted_list(m.group("cells"))
            if cells is not None:
                rows.append(cells)
    return _make(header, rows) if header else None


class OnDemandTask(IETask):
    """Answers are tables (`Parsed.table`, `Instance.table`)."""

    task = Task.ON_DEMAND
    fields = ()
    slots = ("text", "instruction")

    def instances(self, example: Example, labels: Mapping[str, str] | None = None) -> list[Instance]:
        """One instance per example (`labels` is not used); the example must have an instruction."""
        if example.instruction is None:
            raise AdelieError(f"example {example.id} ({example.dataset}): on-demand IE needs an instruction")
        return [Instance(
            task=self.task, dataset=example.dataset, example_id=example.id, text=example.text,
            query={"instruction": example.instruction}, table=example.table, meta={"instance_id": example.id},
        )]

    def templates(self, split: TemplateSplit) -> Sequence[Template]:
        """The packaged templates of this task for `split`."""
        return load_templates(self.task, split, self.slots)

    def render_prompt(self, inst: Instance, template: Template, fmt: Format, no_answer: str = "NA") -> str:
        """The filled template and the output-format instruction for `fmt`."""
        values = {"text": inst.text, **{k: v for k, v in inst.query.items() if k in self.slots}}
        key = (template.id, inst.dataset, inst.example_id, inst.meta.get("instance_id", ""))
        instruction = format_instruction(
            HELP, fmt, no_answer, self._body(None, "json", no_answer), self._body(None, "natural", no_answer), key
        )
        return f"{fill(template, values)}\n\n{instruction}"

    def render_answer(
        self, inst: Instance, fmt: Format, explanation: str | None = None, no_answer: str = "NA"
    ) -> str:
        """The gold table in `fmt` after `[Answer]: ` (a markdown table starts on the next line); the NA
        answer when the table has no rows."""
        return join_answer(self._body(inst.table, fmt, no_answer), explanation)

    def answer_grammar(
        self, inst: Instance, fmt: Format, no_answer: str = "NA", explanation: bool = False
    ) -> str | None:
        """A table of 1 to `MAX_COLUMNS` columns, every row with the header's number of cells, cells of at
        most `MAX_CELL_CHARS` characters: markdown (canonical: header, `---` rule, at least one row) or
        `{"columns": [...], "rows": [[...], ...]}` (JSON); or the NA answer."""
        g = GrammarBuilder()
        if fmt == "canonical":
            cell = g.rule("cell", f"[^|\\n\\r\\\\]{{0,{MAX_CELL_CHARS}}}")
            tables = []
            for n in range(1, MAX_COLUMNS + 1):
                line = '"| " ' + ' " | " '.join([cell] * n) + ' " |"'
                rule = " | ".join(["---"] * n)
                row = g.rule(f"row{n}", line)
                tables.append(g.rule(f"table{n}", f'{row} "\\n" {lit(f"| {rule} |")} ( "\\n" {row} )+'))
            body = f'( {lit(" " + no_answer)} | "\\n" ( {" | ".join(tables)} ) )'
            return answer(g, body, explanation, newline_body=True)
        if fmt == "json":
            char = g.rule("jchar", r'[^"\\\x00-\x1f] | "\\" ["\\/bfnrt]')
            cell = g.rule("jcell", f'"\\"" {char}{{0,{MAX_CELL_CHARS}}} "\\""')
            tables = []
            for n in range(1, MAX_COLUMNS + 1):
                cells = '"[" ' + ' ", " '.join([cell] * n) + ' "]"'
                row = g.rule(f"jrow{n}", cells)
                tables.append(g.rule(
                    f"jtable{n}", f'{lit(chr(123) + chr(34) + "columns" + chr(34) + ": ")} {row} '
                                  f'{lit(", " + chr(34) + "rows" + chr(34) + ": [")} {row} ( ", " {row} )* "]}}"'))
            na = lit('{"columns": [], "rows": []}')
            return answer(g, f'( {na} | {" | ".join(tables)} )', explanation)
        return None

    def _body(self, table: Table | None, fmt: Format, no_answer: str) -> str:
        empty = table is None or not table.header or not table.rows
        if fmt == "json":
            return dumps({"columns": [], "rows": []} if empty else {"columns": list(table.header),
                                                                   "rows": [list(r) for r in table.rows]})
        if fmt == "natural":
            if empty:
                return _NA_SENTENCE.format(na=no_answer)
            noun = "column" if len(table.header) == 1 else "columns"
            out = [f"The table has the {noun} {join_and([quote(c) for c in table.header])}."]
            out += [f"Row {i} is {join_and([quote(c) for c in row])}." for i, row in enumerate(table.rows, 1)]
            return " ".join(out)
        if fmt == "canonical":
            return no_answer if empty else "\n" + markdown(table)
        raise ValueError(f"unknown answer format {fmt!r}; expected canonical, json or natural")

    def parse(self, text: str, inst: Instance | None = None, no_answer: str = "NA") -> Parsed:
        """Read a table answer in any format (JSON, NA, sentences, markdown, in that order); never raises.
        NA gives ok=True with no table; unreadable text gives ok=False."""
        try:
            return self._parse(text, inst, no_answer)
        except Exception:  # model output is untrusted: a parser bug must not stop a batch
            return Parsed(ok=False)

    def _parse(self, text: str, inst: Instance | None, no_answer: str) -> Parsed:
        ans = split_answer(text if isinstance(text, str) else "")
        expl = ans.explanation or None
        body = strip_fences(ans.body).strip() if ans.body is not None else ""
        if not body:
            return Parsed(ok=False, explanation=expl)
        nas = [no_answer, str(inst.meta.get("no_answer", "")) if inst is not None else ""]
        if body[0] in "[{" and (loaded := load_json(body)) is not None:
            table, shaped = table_from_json(loaded)
            if shaped:
                return Parsed(ok=True, format="json", explanation=expl, table=table)
        if is_na(first_line(body), nas):
            return Parsed(ok=True, format="canonical", explanation=expl)
        said = sentences(body)
        if said and _NA_PATTERN.search(said[0]):
            return Parsed(ok=True, format="natural", explanation=expl)
        if (table := table_from_sentences(said)) is not None:
            return Parsed(ok=True, format="natural", explanation=expl, table=table)
        if "|" in body:
            table = parse_markdown_table(body)
            if table.header:
                return Parsed(ok=True, format="canonical", explanation=expl, table=table)
        if (loaded := load_json(body)) is not None:
            table, shaped = table_from_json(loaded)
            if shaped:
                return Parsed(ok=True, format="json", explanation=expl, table=table)
        return Parsed(ok=False, explanation=expl)

    def score(self, pred: Parsed, inst: Instance) -> Counts:
        """Header counts (`adelie.tasks.table_score.header_counts`) of the predicted table against the gold
        table; NA and unreadable answers pass no table."""
        if inst.table is None:
            raise AdelieError(f"instance {inst.example_id} ({inst.dataset}) has no gold table to score against")
        from adelie.tasks.table_score import header_counts

        return header_counts(pred.table if pred.ok else None, inst.table)
