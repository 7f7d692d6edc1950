"""`adelie extract`: grounded extraction from texts on stdin or in files, as JSONL or as readable tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adelie.constrained import DECODINGS
from adelie.errors import AdelieError, DataFormatError
from adelie.jsonl import jsonl_records
from adelie.serve.options import FORMS, check_options, split_list

console = Console(stderr=True)
STDIN = "-"


@dataclass(frozen=True)
class Record:
    """One text to extract from, and where it came from (`path:line`, `path`, or `<stdin>:line`)."""

    source: str
    text: str
    id: str | None = None


def _lines(name: str, stream: Iterable[str]) -> Iterator[tuple[int, str]]:
    try:
        for number, line in enumerate(stream, 1):
            yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataFormatError(name, None, f"is not UTF-8 text ({exc.reason})") from None


def _jsonl_records(path: Path) -> Iterator[Record]:
    for number, obj in jsonl_records(path):
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise DataFormatError(path, number, 'expected a JSON object with a string "text" field')
        rid = obj.get("id")
        yield Record(f"{path}:{number}", obj["text"], None if rid is None else str(rid))


def _text_records(name: str, stream: TextIO, per_line: bool) -> Iterator[Record]:
    if per_line:
        for number, line in _lines(name, stream):
            if line.strip():
                yield Record(f"{name}:{number}", line)
        return
    try:
        yield Record(name, stream.read())
    except UnicodeDecodeError as exc:
        raise DataFormatError(name, None, f"is not UTF-8 text ({exc.reason})") from None


def read_records(inputs: list[str], per_line: bool | None = None, stdin: TextIO | None = None) -> Iterator[Record]:
    """The records of `inputs` ('-' is stdin), read lazily.

    A `.jsonl` file gives one record per non-empty line (its "text" field; "id" is kept). Other inputs give one
    record per non-empty line when `per_line` is True, one per input when False; by default (None) stdin is read
    per line and files per file.
    """
    for name in inputs:
        if name == STDIN:
            yield from _text_records("<stdin>", stdin or sys.stdin, True if per_line is None else per_line)
            continue
        path = Path(name)
        if path.suffix == ".jsonl":
            yield from _jsonl_records(path)
        else:
            with path.open(encoding="utf-8") as f:
                yield from _text_records(name, f, bool(per_line))


def _check_inputs(inputs: list[str]) -> None:
    for name in inputs:
        if name != STDIN and not Path(name).is_file():
            what = "a directory" if Path(name).is_dir() else "missing"
            raise AdelieError(f"input {name} is {what}: give text or .jsonl files, or '-' for stdin")
    if inputs.count(STDIN) > 1:
        raise AdelieError("'-' (stdin) is given more than once")


DECODING_HELP = ("constrained: only well-formed answers, with the labels given and spans copied from the text; "
                 "free: any text, salvaged afterwards.")


def load_extractor(model: str, max_new_tokens: int, batch_size: int, device: str | None,
                   decoding: str = "constrained") -> Any:
    from adelie.extract import Extractor

    kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "batch_size": batch_size, "decoding": decoding}
    if device:
        kwargs["device"] = device
    return Extractor.load(model=model, **kwargs)


def _where(span: dict[str, Any]) -> str:
    if span.get("start") is None:
        return "not found"
    return f"{span['start']}-{span['end']}" + (" ~" if span.get("alignment") == "fuzzy" else "")


def result_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(kind, label, text, offsets, score) rows for every item of a result, for --pretty."""
    rows: list[tuple[str, str, str, str, str]] = []

    def score(item: dict[str, Any]) -> str:
        return f"{item['score']:.2f}" if isinstance(item.get("score"), int | float) else ""

    for s in result.get("entities") or []:
        rows.append(("entity", s["label"], s["text"], _where(s), score(s)))
    for r in result.get("relations") or []:
        rows.append(("relation", r["label"], f"{r['head']['text']} → {r['tail']['text']}", "", score(r)))
    for e in result.get("events") or []:
        rows.append(("event", e["type"], e["trigger"]["text"], _where(e["trigger"]), score(e)))
        rows.extend(("  argument", a["role"], a["text"], _where(a), score(a)) for a in e.get("arguments") or [])
    for a in result.get("arguments") or []:
        rows.append(("argument", a["role"], a["text"], _where(a), score(a)))
    for t in result.get("triples") or []:
        objects = "; ".join(o["text"] for o in t.get("objects") or [])
        rows.append(("triple", t["predicate"]["text"], f"{t['subject']['text']} | {objects}", "", score(t)))
    table = result.get("table")
    if table:
        columns = table.get("columns") or []
        for i, row in enumerate(table.get("rows") or [], 1):
            cells = ", ".join(f"{col}={cell['text']}" for col, cell in zip(columns, row, strict=False))
            rows.append(("row", str(i), cells, "", ""))
    rows.extend(("warning", "", w, "", "") for w in result.get("warnings") or [])
    return rows


def _print_pretty(out: Console, source: str, result: dict[str, Any]) -> None:
    text = result.get("text", "")
    title = f"{source}: {text[:70]}{'…' if len(text) > 70 else ''}"
    table = Table(title=Text(title), title_justify="left")  # Text: model output is never read as rich markup
    for column in ("kind", "label", "text", "offsets", "score"):
        table.add_column(column, justify="right" if column == "score" else "left")
    rows = result_rows(result)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    if not rows:
        table.add_row("", "", "(nothing extracted)", "", "")
    out.print(table)


def _batches(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while batch := list(islice(records, size)):
        yield batch


INPUT_HELP = "Text or .jsonl files; '-' or none reads stdin."


def extract(
    task: Annotated[str, typer.Option("--task", help=f"What to extract: {', '.join(FORMS)}.", show_default=False)],
    files: Annotated[list[str] | None, typer.Argument(help=INPUT_HELP, show_default=False)] = None,
    labels: Annotated[str | None, typer.Option(help="ner: entity types, comma-separated.")] = None,
    relation_labels: Annotated[str | None, typer.Option(help="relations: relation types, comma-separated.")] = None,
    entity_labels: Annotated[str | None, typer.Option(help="relations (optional): entity types.")] = None,
    event_types: Annotated[str | None, typer.Option(help="events: event types, comma-separated.")] = None,
    trigger: Annotated[str | None, typer.Option(help="arguments: the trigger word(s) in the text.")] = None,
    roles: Annotated[str | None, typer.Option(help="arguments (events: optional): argument roles.")] = None,
    event_type: Annotated[str | None, typer.Option(help="arguments (optional): the trigger's event type.")] = None,
    instruction: Annotated[str | None, typer.Option(help="table: what table to build.")] = None,
    model: Annotated[str, typer.Option(help="'default', a model directory, or a hub name.")] = "default",
    max_new_tokens: Annotated[int, typer.Option(min=1, help="Most tokens generated per answer.")] = 512,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per model batch.")] = 8,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, ... (default: the best available).")] = None,
    decoding: Annotated[str, typer.Option(help=DECODING_HELP)] = "constrained",
    per_line: Annotated[
        bool | None,
        typer.Option("--per-line/--per-file", help="Override: one record per non-empty line, or per input.",
                     show_default=False),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSONL here instead of stdout.")] = None,
    pretty: Annotated[bool, typer.Option("--pretty", help="Print readable tables instead of JSONL.")] = False,
) -> None:
    """Extract grounded structures (with character offsets) from texts; one JSON result per record.

    Records: stdin gives one record per non-empty line; a .jsonl file gives one record per line (its "text"
    field; "id" is kept); any other file is one record. --per-line or --per-file overrides this for stdin and
    text files. Each output line is the result with its "source" (file:line, file, or <stdin>:line).

    Example: echo "Marie Curie worked in Paris." | adelie extract --task ner --labels person,location
    """
    lists = {"labels": labels, "relation_labels": relation_labels, "entity_labels": entity_labels,
             "event_types": event_types, "roles": roles}
    given = {name: split_list(value) for name, value in lists.items()}
    given |= {"trigger": trigger, "event_type": event_type, "instruction": instruction}
    options = check_options(task, given)
    if pretty and output is not None:
        raise AdelieError("--pretty prints to the terminal: drop --output, or --pretty to write JSONL")
    inputs = files or [STDIN]
    _check_inputs(inputs)
    if STDIN in inputs and sys.stdin.isatty():
        console.print("reading texts from stdin (end with Ctrl-D)", soft_wrap=True)
    if decoding not in DECODINGS:
        raise AdelieError(f"--decoding must be constrained or free, got {decoding!r}")
    extractor = load_extractor(model, max_new_tokens, batch_size, device, decoding)
    pretty_out = Console()
    sink = output.open("w", encoding="utf-8") if output is not None else sys.stdout
    written = 0
    try:
        for batch in _batches(read_records(inputs, per_line), batch_size):
            results = extractor.extract(task, [r.text for r in batch], **options)
            for record, result in zip(batch, results, strict=True):
                if pretty:
                    _print_pretty(pretty_out, record.source, result)
                    continue
                head = {"source": record.source} | ({"id": record.id} if record.id is not None else {})
                sink.write(json.dumps(head | result, ensure_ascii=False) + "\n")
            sink.flush()
            written += len(batch)
    finally:
        if output is not None:
            sink.close()
    if written == 0:
        raise AdelieError(f"no text to extract from: {', '.join(inputs)} held no non-empty records")
    if output is not None:
        console.print(f"{output}: {written} results written", soft_wrap=True)
