"""The report stage: RUN/report.md, with its charts in RUN/report/.

The header says how the run was made (command, git revision, date, machine, each stage's wall time). The held-out
and in-domain tables are ``adelie.evaluate.report.compare_markdown`` (F1 with 95% bootstrap intervals per set, task
and family averages, a chart per task) with base, SFT and DPO side by side, one comparison per shot count; then
family averages as bar charts, the general-ability accuracies, and the training curves from train_log.jsonl.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from adelie.evaluate.report import FAMILY_TITLES, compare_markdown, pct
from adelie.evaluate.run import load_metrics
from adelie.instruct.records import write_text
from adelie.pipeline.config import STAGES
from adelie.pipeline.runner import Context, StageResult, git_revision
from adelie.train.runtime import LOG_FILE

REPORT = "report.md"
LABELS = {"base": "base", "sft": "SFT", "dpo": "DPO"}


def machine() -> str:
    """CPU count, platform and the versions that decide the numbers."""
    versions = []
    for pkg in ("torch", "transformers", "trl"):
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{pkg} not installed")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpus} CPUs ({platform.machine()}, {platform.system()}), Python {platform.python_version()}, " + \
        ", ".join(versions)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def _revision_row(ctx: Context) -> str:
    """The git revisions the stages ran at (each manifest records them; a resumed stage can have several), grouped
    by revision; the report's own revision for itself and for manifests written before revisions were recorded."""
    groups: dict[str, list[str]] = {}
    for stage in STAGES:
        m = ctx.manifests.get(stage)
        if not m and stage != STAGES[-1]:
            continue
        revisions = (m or {}).get("revisions") if stage != STAGES[-1] else None
        groups.setdefault(" then ".join(revisions or [git_revision()]), []).append(stage)
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(f"{rev} ({', '.join(names)})" for rev, names in groups.items())


def _header(ctx: Context) -> list[str]:
    cfg = ctx.config
    rows = [["command", f"`{ctx.command}`" if ctx.command else "(Python API: adelie.pipeline.run_pipeline)"],
            ["config", f"`{cfg.source}`" + (" with the --quick profile" if cfg.quick else "")
             + " (resolved: `config.yaml`)"],
            ["git revision", _revision_row(ctx)], ["date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")],
            ["machine", machine()], ["base model", f"`{cfg.profile.model.base}`"]]
    lines = [f"# ADELIE pipeline report: {cfg.run_dir.name}", "", *_table(["", ""], rows), "", "## Stages", ""]
    stage_rows = []
    for stage in STAGES[:-1]:
        m = ctx.manifests.get(stage) or {}
        seconds = m.get("seconds")
        finished = (m.get("finished") or "-")[:19].replace("T", " ")
        stage_rows.append([stage, m.get("status", "-"), "-" if seconds is None else f"{seconds:.1f}", finished,
                           m.get("headline", "")])
    return [*lines, *_table(["stage", "status", "wall time (s)", "finished (UTC)", "key numbers"], stage_rows), ""]


def _embed(markdown: str) -> list[str]:
    """A comparison report inside this one: its title dropped, headings one level down, charts under report/."""
    lines = markdown.strip().splitlines()[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    lines = [("#" + ln) if ln.startswith("## ") else ln for ln in lines]
    return [*(re.sub(r"\]\(([^/()]+\.png)\)", r"](report/\1)", ln) for ln in lines), ""]


def _comparisons(ctx: Context, kind: str, title: str) -> tuple[list[str], dict[str, list[Any]]]:
    """One comparison per sub-run of `kind` (heldout-*, indomain-*): markdown lines and the metrics by sub-run."""
    from adelie.pipeline.evalstage import subruns

    models = ctx.config.eval.models
    names = [r.name for r in subruns(ctx, models[0]) if r.name.startswith(f"{kind}-")]
    lines: list[str] = []
    runs: dict[str, list[Any]] = {}
    for name in names:
        runs[name] = [load_metrics(ctx.run_dir / "eval" / m / name) for m in models]
        shots = name.split("-")[1].removesuffix("shot")
        md = compare_markdown([LABELS[m] for m in models], runs[name], ctx.dir / f"{name}.md")
        lines += [f"## {title}, {shots}-shot", "", *_embed(md)]
    return lines, runs


def _family_chart(path: Path, runs: dict[str, list[Any]], models: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 3.4), squeeze=False)
    for ax, (name, metrics) in zip(axes[0], runs.items(), strict=True):
        fams = [f for f in FAMILY_TITLES if any(f in m["families"] for m in metrics)]
        x = np.arange(len(fams))
        width = 0.8 / len(models)
        top = 0.0
        for k, (model, m) in enumerate(zip(models, metrics, strict=True)):
            vals = [100 * (m["families"].get(f) or 0.0) for f in fams]
            top = max([top, *vals])
            ax.bar(x + (k - (len(models) - 1) / 2) * width, vals, width, label=LABELS[model])
        ax.set_ylim(0, max(10.0, 1.15 * top))
        ax.set_xticks(x, [FAMILY_TITLES[f] for f in fams], fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel("average F1 (%)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _general(ctx: Context) -> list[str]:
    models = ctx.config.eval.models
    results = {}
    for m in models:
        path = ctx.run_dir / "eval" / m / "general" / "general.json"
        if path.is_file():
            results[m] = json.loads(path.read_text(encoding="utf-8"))["general"]
    if not results:
        return []
    sources = list(dict.fromkeys(s for r in results.values() for s in r))
    rows = []
    for s in sources:
        cells = []
        for m in models:
            r = results.get(m, {}).get(s)
            cells.append("-" if r is None else f"{pct(r['acc'])} [{pct(r['acc_ci'][0])}, {pct(r['acc_ci'][1])}] "
                                               f"(n={r['n']})")
        rows.append([s, *cells])
    return ["## General ability", "", "Accuracy (%) with 95% bootstrap intervals: ARC and MMLU by log-likelihood of "
            "each choice, GSM8K by the final number of a greedy answer.", "",
            *_table(["source", *(LABELS[m] for m in models)], rows), ""]


def _curves(path: Path, log: list[dict[str, Any]], panels: Sequence[tuple[str, Sequence[str]]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.2), squeeze=False)
    for ax, (ylabel, keys) in zip(axes[0], panels, strict=True):
        for key in keys:
            points = [(r["step"], r[key]) for r in log if isinstance(r.get(key), int | float)]
            if points:
                steps, values = zip(*points, strict=True)
                ax.plot(steps, values, marker="o" if len(points) < 3 else None, markersize=3, label=key)
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _training(ctx: Context) -> list[str]:
    from adelie.pipeline.stages import fmt, log_records

    lines = ["## Training", ""]
    rows = []
    for stage, panels in (("sft", [("loss", ("loss", "eval_loss"))]),
                          ("dpo", [("loss", ("loss",)), ("reward", ("rewards/margins", "rewards/accuracies"))])):
        log = log_records(ctx.run_dir / stage / LOG_FILE)
        numbers = (ctx.manifests.get(stage) or {}).get("numbers", {})
        rows.append([stage.upper(), *(fmt(numbers.get(k)) for k in ("global_step", "train_records", "final_loss",
                                                                      "eval_loss"))])
        if log:
            png = ctx.dir / f"training_{stage}.png"
            _curves(png, log, panels, f"{stage.upper()} ({LOG_FILE})")
            lines += [f"![{stage.upper()} training]({'report/' + png.name})", ""]
    return [*lines, *_table(["stage", "steps", "records", "final loss", "eval loss"], rows), ""]


def run_report_stage(ctx: Context) -> StageResult:
    """Write RUN/report.md and its charts (see the module docstring)."""
    ctx.dir.mkdir(parents=True, exist_ok=True)
    lines = _header(ctx)
    held_lines, held = _comparisons(ctx, "heldout", "Held-out evaluation")
    indomain_lines, indomain = _comparisons(ctx, "indomain", "In-domain evaluation")
    lines += held_lines + indomain_lines
    family_runs = {**held, **indomain}
    if family_runs:
        png = ctx.dir / "families.png"
        _family_chart(png, family_runs, ctx.config.eval.models)
        lines += ["## Family averages", "", "![family averages](report/families.png)", ""]
    lines += _general(ctx) + _training(ctx)
    out = ctx.run_dir / REPORT
    write_text(out, ["\n".join(lines).rstrip() + "\n"])
    charts = sorted(p.name for p in ctx.dir.glob("*.png"))
    return StageResult({"report": REPORT, **{c: f"report/{c}" for c in charts}}, {"charts": len(charts)},
                       f"{REPORT} with {len(charts)} charts")
