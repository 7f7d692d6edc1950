"""`adelie pipeline CONFIG --run-dir runs/NAME`: the whole recipe (instruct, sft, feedback, dpo, eval, report), each
stage skipped when done, resumed when interrupted; the work is done in `adelie.pipeline`."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from adelie.pipeline import STAGES, Outcome

console = Console(log_path=False)
_STYLE = {"done": "green", "skipped": "cyan", "failed": "bold red", "interrupted": "yellow"}


class RichReporter:
    """Prints a rule per stage, its progress lines, and its outcome; keeps the outcomes for the summary."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def stage_start(self, stage: str, mode: str) -> None:
        console.rule(f"[bold]{stage}[/] ({mode})")

    def progress(self, stage: str, text: str) -> None:
        console.log(f"[bold]{stage}[/]: {text}", highlight=False)

    def stage_end(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if outcome.status == "skipped":
            console.print(f"[cyan]{outcome.stage}: up to date, skipped[/]", highlight=False)
        else:
            style = _STYLE.get(outcome.status, "")
            console.print(f"[{style}]{outcome.stage}: {outcome.status}[/] in {outcome.seconds or 0:.0f} s: "
                          f"{outcome.headline}", highlight=False)


def summary(outcomes: list[Outcome]) -> Table:
    """The final table: stage, status, seconds, key numbers."""
    table = Table(title="pipeline summary")
    for col in ("stage", "status", "seconds", "key numbers"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        style = _STYLE.get(o.status, "")
        table.add_row(o.stage, f"[{style}]{o.status}[/]", "-" if o.seconds is None else f"{o.seconds:.0f}",
                      o.headline)
    return table


def _stage(value: str | None, flag: str) -> str | None:
    if value is not None and value not in STAGES:
        raise typer.BadParameter(f"unknown stage {value!r}; the stages are {', '.join(STAGES)}", param_hint=flag)
    return value


def pipeline_command(
    config: Annotated[Path, typer.Argument(help="Pipeline YAML: model, instruct, sft, feedback, dpo, eval sections.")],
    run_dir: Annotated[Path, typer.Option("--run-dir", help="Run directory: a folder per stage, report.md.")],
    quick: Annotated[bool, typer.Option("--quick", help="The reduced profile (adelie.pipeline.QUICK): minutes.")]
    = False,
    start: Annotated[str | None, typer.Option("--from", help="Force this stage and every later one.")] = None,
    only: Annotated[str | None, typer.Option("--only", help="Run this stage alone (its inputs must be done).")]
    = None,
) -> None:
    """Run the ADELIE recipe end to end; rerun the same command to resume or to redo what a config change touched."""
    from adelie.pipeline import load_pipeline_config, run_pipeline

    _stage(start, "--from")
    _stage(only, "--only")
    command = ["adelie", "pipeline", str(config), "--run-dir", str(run_dir)]
    command += ["--quick"] * quick + (["--from", start] if start else []) + (["--only", only] if only else [])
    cfg = load_pipeline_config(config, run_dir, quick=quick)
    reporter = RichReporter()
    handler = RichHandler(console=console, show_path=False)
    log = logging.getLogger("adelie")
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        run_pipeline(cfg, start=start, only=only, reporter=reporter, command=shlex.join(command))
    except BaseException:
        resume = command[:5] + ["--quick"] * quick + (["--only", only] if only else [])
        console.print(f"stopped; `{shlex.join(resume)}` resumes", highlight=False)
        raise
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
        console.print(summary(reporter.outcomes))
    if any(o.stage == "report" for o in reporter.outcomes):
        console.print(f"report: {run_dir / 'report.md'}", highlight=False)
