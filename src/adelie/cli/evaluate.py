"""`adelie eval` (evaluate a model on a suite) and `adelie report` (compare evaluation runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("eval")
def eval_command(
    model: Annotated[str, typer.Option(help="'default', a model directory, or a hub name")],
    out: Annotated[Path, typer.Option(help="run directory (predictions.jsonl, metrics.json, report.md)")],
    suite: Annotated[str, typer.Option(
        help="heldout, indomain, general (ARC/MMLU/GSM8K check), or dataset[:split[:task]],...")] = "heldout",
    shots: Annotated[int, typer.Option(help="demonstrations per prompt (0 or 4 in the paper)")] = 0,
    limit: Annotated[int | None, typer.Option(help="at most N instances per set (a seeded random subset)")] = None,
    datasets: Annotated[str | None, typer.Option(help="comma-separated datasets of the suite to keep")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    fmt: Annotated[str, typer.Option("--format", help="answer format: canonical, json or natural")] = "canonical",
    compat: Annotated[str, typer.Option(help="none, or adelie: ADELIE's published scoring rules")] = "none",
    decoding: Annotated[str, typer.Option(
        help="constrained: answers follow each instance's grammar (offered labels, spans from the text); "
             "free: any text")] = "constrained",
    max_new_tokens: Annotated[int, typer.Option()] = 512,
    batch_size: Annotated[int, typer.Option()] = 16,
    dtype: Annotated[str, typer.Option(
        help="weights: auto (bfloat16 on GPUs and on CPUs with native bf16), float32 or bfloat16")] = "auto",
    draws: Annotated[int, typer.Option(help="bootstrap resamples")] = 1000,
    data_dir: Annotated[str | None, typer.Option(help="IE data directory (default: $ADELIE_DATA_DIR)")] = None,
    prompts: Annotated[str | None, typer.Option(help="an `adelie build eval-prompts` directory")] = None,
) -> None:
    """Evaluate MODEL on a suite; rerunning with the same --out resumes (IE suites)."""
    from adelie.evaluate import EvalConfig, run_eval
    from adelie.evaluate.report import FAMILY_TITLES, pct

    if suite == "general":
        from adelie.evaluate.general import SOURCES, run_general

        sources = tuple(d.strip() for d in datasets.split(",")) if datasets else SOURCES
        result = run_general(model, out, sources=sources, limit=limit, seed=seed, max_new_tokens=max_new_tokens,
                             draws=draws, dtype=dtype)
        for name, m in result["general"].items():
            lo, hi = m["acc_ci"]
            console.print(f"{name}: accuracy {pct(m['acc'])} [{pct(lo)}, {pct(hi)}] (n={m['n']})", highlight=False)
        console.print(f"wrote {out}/general.json", highlight=False)
        return

    config = EvalConfig(
        model=model, suite=suite, datasets=tuple(d.strip() for d in datasets.split(",")) if datasets else None,
        shots=shots, limit=limit, seed=seed, fmt=fmt, compat=compat, max_new_tokens=max_new_tokens,  # type: ignore[arg-type]
        batch_size=batch_size, dtype=dtype, draws=draws, prompts=prompts, decoding=decoding, data_dir=data_dir,
    )
    metrics = run_eval(config, out)
    for name, m in metrics["sets"].items():
        lo, hi = m["f1_ci"]
        console.print(f"{name}: F1 {pct(m['f1'])} [{pct(lo)}, {pct(hi)}] (n={m['n']})", highlight=False)
    for fam, v in metrics["families"].items():
        console.print(f"{FAMILY_TITLES[fam]} average: {pct(v)}", highlight=False)
    console.print(f"wrote {out}/metrics.json and {out}/report.md", highlight=False)


@app.command("report")
def report_command(
    runs: Annotated[list[Path], typer.Argument(help="run directories to compare")],
    out: Annotated[Path, typer.Option(help="markdown file; charts are written beside it")] = Path("report.md"),
    labels: Annotated[str | None, typer.Option(help="comma-separated run names (default: directory names)")] = None,
) -> None:
    """Compare evaluation runs: tables per task and a bar chart per task."""
    from adelie.errors import AdelieError
    from adelie.evaluate import compare_markdown, load_metrics

    names = [s.strip() for s in labels.split(",")] if labels else [r.name for r in runs]
    if len(names) != len(runs):
        raise AdelieError(f"--labels gives {len(names)} names for {len(runs)} runs")
    compare_markdown(names, [load_metrics(r) for r in runs], out)
    console.print(f"wrote {out}", highlight=False)
