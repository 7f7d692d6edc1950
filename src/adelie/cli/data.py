"""`adelie data ...`: list, show, validate and export the datasets in the data directory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from adelie.datasets import registry
from adelie.datasets.reading import ReadContext
from adelie.datasets.validate import SplitReport, validate_all
from adelie.schema import Example

app = typer.Typer(help="List, inspect, validate and export the IE datasets.", no_args_is_help=True)
console = Console()

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="IE data directory (default: $ADELIE_DATA_DIR or ../shared/datasets).")
]


@app.command("list")
def list_datasets(
    task: Annotated[str | None, typer.Option(help="Only datasets with this task.")] = None,
    role: Annotated[str | None, typer.Option(help="Only splits with this role (train, dev, held-out, ...).")] = None,
    licence: Annotated[
        list[str] | None,
        typer.Option(help="Only these licence classes (open, non-commercial, research-only, unstated)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """A table of datasets: tasks, splits with sizes and roles, licence."""
    rows: dict[str, list] = {}
    for spec, split in registry.select(task=task, role=role, licences=licence):  # type: ignore[arg-type]
        rows.setdefault(spec.name, [spec, []])[1].append(split)
    table = RichTable(title=f"{len(rows)} datasets", show_lines=True)
    for col in ("name", "tasks", "splits (examples)", "roles", "licence"):
        table.add_column(col, overflow="fold")
    for spec, splits in rows.values():
        table.add_row(
            spec.name,
            "\n".join(t.value for t in spec.tasks),
            "\n".join(f"{s.name}: {s.expected}" for s in splits),
            "\n".join(s.role for s in splits),
            f"[{spec.licence_class}] {registry.licence_text(spec, data_dir)}",
        )
    console.print(table)


def highlight(example: Example) -> Text:
    """The text with entity, trigger and argument spans highlighted and labelled."""
    spans = [(s.start, s.end, s.label or "") for s in example.entities]
    for ev in example.events:
        spans.append((ev.trigger.start, ev.trigger.end, ev.type))
        spans += [(a.start, a.end, a.role) for a in ev.arguments]
    colours = ["cyan", "magenta", "green", "yellow", "blue", "red"]
    out, pos = Text(), 0
    for start, end, label in sorted({s for s in spans if s[0] >= 0}, key=lambda s: (s[0], -s[1])):
        if start < pos:  # nested or overlapping: listed below the text instead
            continue
        out.append(example.text[pos:start])
        out.append(example.text[start:end], style=f"bold {colours[hash(label) % len(colours)]}")
        out.append(f"[{label}]", style="dim")
        pos = end
    out.append(example.text[pos:])
    return out


@app.command()
def show(
    name: str,
    split: Annotated[str, typer.Option(help="Split to show.")] = "test",
    n: Annotated[int, typer.Option("-n", help="How many examples.")] = 3,
    data_dir: DataDir = None,
) -> None:
    """Print the first examples of a split with their spans highlighted."""
    for i, ex in enumerate(registry.iter_examples(name, split, data_dir)):
        if i >= n:
            break
        console.rule(f"{ex.id}" + (f"  (doc {ex.doc_id})" if ex.doc_id else ""))
        if ex.instruction:
            console.print(Text(f"instruction: {ex.instruction}", style="italic"))
        console.print(highlight(ex))
        for s in ex.entities:
            console.print(f"  entity  [{s.start}:{s.end}] {s.text!r} {s.label or ''}", highlight=False)
        for r in ex.relations:
            console.print(f"  relation ({r.head.text}; {r.label}; {r.tail.text})", highlight=False)
        for ev in ex.events:
            args = ", ".join(f"{a.role}={a.text!r}" for a in ev.arguments)
            console.print(f"  event   {ev.type} trigger={ev.trigger.text!r} {args}", highlight=False)
        for r in ex.event_relations:
            console.print(f"  event relation ({r.head.text}; {r.label}; {r.tail.text})", highlight=False)
        for t in ex.tuples:
            console.print(f"  tuple   ({t.arguments[0] if t.arguments else ''}; {t.predicate}; "
                          f"{'; '.join(t.arguments[1:])})", highlight=False)
        if ex.table:
            console.print("  table   | " + " | ".join(ex.table.header) + f" |  ({len(ex.table.rows)} rows)")


def _row(rep: SplitReport) -> list[str]:
    status = "[green]ok[/]" if rep.ok else "[red]FAIL[/]"
    counts = ", ".join(
        f"{n} {k}" for k, n in (("ent", rep.entities), ("rel", rep.relations), ("ev", rep.events),
                                ("arg", rep.arguments), ("erel", rep.event_relations), ("tup", rep.tuples),
                                ("tab", rep.tables)) if n
    )
    size = f"{rep.examples}" if rep.examples == rep.expected else f"{rep.examples} (expected {rep.expected})"
    return [status, rep.dataset, rep.split, rep.role, size, counts, str(rep.invalid), f"{rep.seconds:.1f}s"]


@app.command()
def validate(
    names: Annotated[list[str] | None, typer.Argument(help="Datasets to check (default: all).")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="Count bad records and go on instead of stopping.")] = False,
    overlap: Annotated[bool, typer.Option(help="Check training text against held-out text.")] = True,
    data_dir: DataDir = None,
) -> None:
    """Read every split, check offsets and sizes, count annotations; exit 1 on any failure."""
    table = RichTable(title="adelie data validate")
    for col in ("", "dataset", "split", "role", "examples", "annotations", "invalid", "time"):
        table.add_column(col, overflow="fold")
    failures: list[str] = []

    def on_split(rep: SplitReport) -> None:
        table.add_row(*_row(rep))
        console.print(f"  read {rep.dataset}/{rep.split}: {rep.examples} examples", highlight=False, style="dim")
        if rep.error:
            failures.append(f"{rep.dataset}/{rep.split}: {rep.error}")
        elif rep.invalid:
            failures.append(f"{rep.dataset}/{rep.split}: {rep.invalid} invalid records, first: {rep.first_invalid}")
        elif rep.examples != rep.expected:
            failures.append(f"{rep.dataset}/{rep.split}: {rep.examples} examples, expected {rep.expected}")

    report = validate_all(names, data_dir, skip_invalid, overlap, on_split)
    console.print(table)
    if report.overlap is not None:
        if report.overlap.clean:
            console.print(f"overlap check: no training sentence appears in the {len(report.overlap.checked_protected)}"
                          " held-out/never-use splits")
        for item in report.overlap.to_dict()["overlaps"]:
            console.print(f"[yellow]overlap:[/] {item['train']} shares {item['sentences']} sentences with "
                          f"{item['protected']} (e.g. {item['sample'][:80]!r}); the IEInstruct builder drops them")
    n_ok = sum(r.ok for r in report.splits)
    console.print(f"{n_ok} of {len(report.splits)} splits ok, "
                  f"{sum(r.examples for r in report.splits)} examples, {sum(r.invalid for r in report.splits)} invalid")
    for f in failures:
        console.print(f"[red]failed:[/] {f}", highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)


@app.command()
def export(
    name: str,
    split: Annotated[str, typer.Option(help="Split to export.")],
    fmt: Annotated[str, typer.Option("--format", help="Output format (jsonl).")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Output file (default: stdout).")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="Skip bad records and report their count.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Write the unified records of one split as JSON lines."""
    if fmt != "jsonl":
        raise typer.BadParameter(f"unknown format {fmt!r}; supported: jsonl", param_hint="--format")
    ctx = ReadContext(skip_invalid=skip_invalid)
    stream = out.open("w", encoding="utf-8") if out else sys.stdout
    n = 0
    try:
        for ex in registry.iter_examples(name, split, data_dir, ctx):
            stream.write(ex.model_dump_json(exclude_defaults=True) + "\n")
            n += 1
    finally:
        if out:
            stream.close()
    msg = f"exported {n} records of {name}/{split}" + (f" to {out}" if out else "")
    if ctx.skipped:
        msg += f"; skipped {len(ctx.skipped)} invalid (first: {ctx.skipped[0]})"
    Console(stderr=True).print(msg, highlight=False, soft_wrap=True)

