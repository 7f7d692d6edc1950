"""`adelie build ...`: build the IEInstruct corpus and the held-out prompts, fetch teacher explanations, and
inspect built folders. The work is done in `adelie.instruct`; these commands only wire options to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from rich.text import Text

from adelie.errors import AdelieError

app = typer.Typer(help="Build the IEInstruct corpus and held-out prompts; explanations; inspection.",
                  no_args_is_help=True)
console = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="IEInstruct YAML config (default: built-in).")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]


def _progress() -> tuple[Progress, Callable[..., None]]:
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                   transient=False)
    task = bar.add_task("starting", total=1)

    def report(what: str, done: int = 0, total: int = 1) -> None:
        bar.update(task, description=what, completed=done, total=max(total, 1))

    return bar, report


@app.command()
def instruct(
    out: OutOpt,
    config: ConfigOpt = None,
    seed: Annotated[int | None, typer.Option(help="Override the config's seed.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="IE data directory (default: config, $ADELIE_DATA_DIR).")]
    = None,
) -> None:
    """Build train.jsonl, validation.jsonl and manifest.json from every train-role dataset."""
    from adelie.instruct.build import build_instruct
    from adelie.instruct.config import load_config

    cfg = load_config(config)
    if seed is not None:
        cfg.seed = seed
    if data_dir is not None:
        cfg.data_dir = str(data_dir)
    bar, report = _progress()
    with bar:
        manifest = build_instruct(cfg, out, progress=report)
    _print_summary(manifest)
    console.print(f"wrote {out}/train.jsonl, validation.jsonl and manifest.json", highlight=False)


def _print_summary(manifest: dict) -> None:
    train = manifest["counts"]["train"]
    rates = manifest["rates"]
    guard = manifest["guard"]
    fmt = ", ".join(f"{k} {v['actual']:.1%}" for k, v in rates["format"].items())
    dropped = sum(guard["overlap_dropped_examples"].values())
    console.print(
        f"train {train['records']} records ({train['ie_records']} IE, {train['general_records']} general), "
        f"validation {manifest['counts']['validation']['records']}\n"
        f"formats: {fmt}; few-shot {rates['few_shot']['actual']:.1%}; explanations {rates['explanation']['actual']:.1%}"
        f"; no-answer {rates['no_answer']['actual']:.1%}\n"
        f"held-out guard: {len(guard['trainable_checked'])} splits checked trainable, "
        f"{dropped} examples and {guard['overlap_dropped_general']} general conversations dropped for overlap with "
        f"{len(guard['protected_splits'])} protected splits", highlight=False)


@app.command("eval-prompts")
def eval_prompts(
    out: OutOpt,
    shots: Annotated[int, typer.Option(help="Demonstrations per prompt (from the same task's training data).")] = 0,
    datasets: Annotated[list[str] | None, typer.Option("--dataset", "-d", help="Held-out datasets (default: all).")]
    = None,
    seed: Annotated[int, typer.Option(help="Seed for templates and demonstrations.")] = 42,
    limit: Annotated[int | None, typer.Option(help="At most this many records per dataset (seeded sample).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="IE data directory.")] = None,
) -> None:
    """Write one JSONL of held-out prompts per dataset, with eval-only templates and gold answers."""
    from adelie.instruct.evalprompts import build_eval_prompts

    if shots < 0:
        raise typer.BadParameter("must be 0 or more", param_hint="--shots")
    bar, report = _progress()
    with bar:
        manifest = build_eval_prompts(out, shots, datasets, seed, limit, str(data_dir) if data_dir else None,
                                      progress=lambda what: report(what))
    table = RichTable(title=f"held-out prompts ({shots}-shot) in {out}")
    for col in ("dataset", "splits", "tasks", "records", "with demonstrations"):
        table.add_column(col)
    for name, info in manifest["datasets"].items():
        table.add_row(name, ", ".join(info["splits"]), ", ".join(info["tasks"]), str(info["records"]),
                      str(info["with_demonstrations"]))
    console.print(table)
    if manifest["tasks_without_demonstrations"]:
        console.print(f"no training data to draw demonstrations from for: "
                      f"{', '.join(manifest['tasks_without_demonstrations'])}", highlight=False)


@app.command()
def explain(
    endpoint: Annotated[str, typer.Option(help="OpenAI-compatible base URL (POST {URL}/chat/completions).")],
    model: Annotated[str, typer.Option(help="Teacher model name sent to the endpoint.")],
    n: Annotated[int, typer.Option("--n", "-n", help="How many gold answers to explain (seeded sample).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Explanations JSONL (merged when it exists).")] = Path(
        "explanations.jsonl"),
    config: ConfigOpt = None,
    cache: Annotated[Path | None, typer.Option(help="Response cache folder (default: <adelie cache>/teacher).")]
    = None,
    api_key_env: Annotated[str, typer.Option(help="Environment variable holding the API key.")]
    = "ADELIE_TEACHER_API_KEY",
    workers: Annotated[int, typer.Option(help="Parallel requests.")] = 4,
    retries: Annotated[int, typer.Option(help="Retries per request on network errors, 429 and 5xx.")] = 4,
) -> None:
    """Ask a teacher model to explain gold answers; keep the explanations consistent with the gold."""
    from adelie.instruct.config import load_config
    from adelie.instruct.explain import TeacherClient, default_cache_dir, run_explain

    if n <= 0:
        raise typer.BadParameter("must be positive", param_hint="--n")
    cfg = load_config(config)
    client = TeacherClient(endpoint, model, cache or default_cache_dir(), api_key_env=api_key_env, retries=retries)
    with console.status("asking the teacher..."):
        result, written = run_explain(cfg, client, n, out, workers=workers)
    console.print(f"kept {len(result.kept)} of {n} explanations ({client.calls} requests sent, the rest cached); "
                  f"{written} in {out}", highlight=False)
    for reason, count in result.reasons.items():
        console.print(f"  {reason}: {count}", highlight=False)


def _records(path: Path) -> list[dict]:
    from adelie.instruct.records import read_jsonl

    return read_jsonl(path)


def _files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise AdelieError(f"{folder} is neither a built folder nor a JSONL file")
    files = [p for p in (folder / "train.jsonl", folder / "validation.jsonl") if p.is_file()]
    files = files or sorted(folder.glob("*.jsonl"))
    if not files:
        raise AdelieError(f"{folder} holds no .jsonl records (build one with `adelie build instruct`)")
    return files


def _counts_table(title: str, counts: dict[str, int], total: int) -> RichTable:
    table = RichTable(title=title)
    table.add_column("value")
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(key, str(n), f"{n / total:.1%}" if total else "-")
    return table


@app.command()
def stats(folder: Annotated[Path, typer.Argument(help="A built folder (or one JSONL file).")]) -> None:
    """Print the distributions of a built folder: datasets, tasks, formats, shots, knobs, rates."""
    from adelie.instruct.manifest import summarize

    for path in _files(folder):
        summary = summarize(_records(path))
        console.rule(f"{path.name}: {summary['records']} records ({summary['ie_records']} IE, "
                     f"{summary['general_records']} general)")
        for key in ("by_dataset", "by_task", "by_format", "by_shots", "by_knob", "general_by_source",
                    "on_demand_by_source"):
            if summary[key]:
                total = summary["records"] if key in ("by_dataset", "by_task") else summary["ie_records"]
                console.print(_counts_table(key.replace("_", " "), summary[key], total))
        rates = summary["rates"]
        console.print(f"few-shot {rates['few_shot']:.1%}, explanation {rates['explanation']:.1%}, no-answer "
                      f"{rates['no_answer']:.1%} (highest in one dataset {rates['no_answer_max_dataset']:.1%}), "
                      f"general {rates['general_share_of_ie']:.1%} of IE", highlight=False)
    manifest = folder / "manifest.json" if folder.is_dir() else None
    if manifest and manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        length = data.get("length", {})
        if length.get("train_tokens"):
            console.print(f"train tokens ({length['tokenizer']}): {length['train_tokens']}", highlight=False)
        if "guard" in data:
            console.print(f"guard: {data['guard']['overlap_dropped_examples']}", highlight=False)


@app.command()
def show(
    folder: Annotated[Path, typer.Argument(help="A built folder (or one JSONL file).")],
    n: Annotated[int, typer.Option("-n", help="How many records.")] = 3,
    split: Annotated[str, typer.Option(help="train or validation (for a built folder).")] = "train",
    dataset: Annotated[str | None, typer.Option(help="Only records of this dataset.")] = None,
    task: Annotated[str | None, typer.Option(help="Only records of this task.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Only records in this answer format.")] = None,
    min_shots: Annotated[int, typer.Option(help="Only records with at least this many demonstrations.")] = 0,
    no_answer: Annotated[bool, typer.Option(help="Only records whose answer is empty (NA).")] = False,
) -> None:
    """Pretty-print rendered conversations."""
    path = folder / f"{split}.jsonl" if folder.is_dir() and (folder / f"{split}.jsonl").is_file() else _files(folder)[0]
    shown = 0
    for rec in _records(path):
        m = rec["metadata"]
        if ((dataset and m["dataset"] != dataset) or (task and m["task"] != task) or (fmt and m["format"] != fmt)
                or m["shots"] < min_shots or (no_answer and not m["no_answer"])):
            continue
        head = ", ".join(f"{k}={m[k]}" for k in ("dataset", "task", "template", "format", "shots", "example_id")
                         if m.get(k) is not None)
        console.rule(head, style="cyan")
        for msg in rec["messages"]:
            style = "green" if msg["role"] == "assistant" else "white"
            console.print(Panel(Text(msg["content"]), title=msg["role"], title_align="left", border_style=style))
        shown += 1
        if shown >= n:
            break
    if not shown:
        console.print("no matching records", highlight=False)
