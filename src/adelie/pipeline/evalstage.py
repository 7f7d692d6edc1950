"""The eval stage: each model (base, SFT, DPO) on the held-out suite at every shot count, the in-domain suite and
the general-ability check, one sub-run folder each: RUN/eval/<model>/<heldout-0shot|heldout-4shot|indomain-0shot|
general>.

A sub-run keeps a ``subrun.json`` with two fingerprints: its identity (the model's own fingerprint and the settings
that shape prompts and answers) and its full settings. Same full settings and done: skipped. Same identity: rerun,
and ``run_eval`` reuses every answer already in predictions.jsonl (so a larger limit or more datasets only adds
answers). Another identity (a retrained model, other shots or max_new_tokens): emptied first. So changing SFT
re-evaluates SFT and DPO but never the base model.
"""

from __future__ import annotations

import gc
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adelie.instruct.records import write_text
from adelie.pipeline.config import digest
from adelie.pipeline.runner import Context, StageResult, now
from adelie.train.runtime import model_dir

SUBRUN = "subrun.json"
FAMILIES = ("closed", "open", "on-demand")


@dataclass(frozen=True)
class SubRun:
    """One evaluation of one model: an IE suite at a shot count, or the general check."""

    model: str
    name: str
    suite: str | None  # None: the general-ability check
    datasets: tuple[str, ...] | None = None
    shots: int = 0
    limit: int | None = None


def subruns(ctx: Context, model: str) -> list[SubRun]:
    """The sub-runs of ``model`` that the eval settings ask for, in order."""
    ev = ctx.config.eval
    held = tuple(ev.datasets) if ev.datasets is not None else None
    out = [SubRun(model, f"heldout-{k}shot", ev.heldout, held, k, ev.limit) for k in dict.fromkeys(ev.shots)]
    if ev.indomain:
        indomain = tuple(ev.indomain_datasets) if ev.indomain_datasets is not None else None
        out.append(SubRun(model, f"indomain-{ev.indomain_shots}shot", ev.indomain, indomain, ev.indomain_shots,
                          ev.indomain_limit))
    if ev.general:
        out.append(SubRun(model, "general", None, tuple(ev.general), limit=ev.general_limit))
    return out


def model_spec(ctx: Context, model: str) -> str:
    """What to load for ``model``: the configured base model, or a trained stage's final model directory."""
    if model == "base":
        return ctx.config.profile.model.base
    return str(model_dir(ctx.config.stage_dir(model)))


def _model_identity(ctx: Context, model: str) -> Any:
    if model == "base":
        return {"base": ctx.config.profile.model.base}
    m = ctx.manifests[model] or {}
    return {"stage": model, "fingerprint": ctx.fingerprints[model], "finished": m.get("finished")}


def fingerprints(ctx: Context, run: SubRun) -> tuple[str, str]:
    """(identity, full settings) fingerprints of a sub-run (see the module docstring)."""
    ev = ctx.config.eval
    model = _model_identity(ctx, run.model)
    if run.suite is None:
        identity = {"model": model, "general": run.datasets, "limit": run.limit, "seed": ev.seed,
                    "max_new_tokens": ev.general_max_new_tokens, "dir": ev.general_dir, "draws": ev.draws}
        return digest(identity), digest(identity)
    identity = {"model": model, "suite": run.suite, "shots": run.shots, "seed": ev.seed, "format": ev.format,
                "max_new_tokens": ev.max_new_tokens, "data_dir": ev.data_dir, "decoding": ev.decoding}
    full = {**identity, "datasets": run.datasets, "limit": run.limit, "compat": ev.compat, "draws": ev.draws}
    return digest(identity), digest(full)


class LazyGenerate:
    """``run_eval``'s generate function, loading the model on the first call and shared by a model's sub-runs."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.fn: Any = None

    def __call__(self, convs: Sequence[list[dict[str, str]]], budget: int,
                 grammars: Sequence[str | None] | None = None) -> list[Any]:
        if self.fn is None:
            from adelie.evaluate.run import make_generator

            self.fn = make_generator(self.config)
        return self.fn(convs, budget, grammars)


def _run_ie(ctx: Context, run: SubRun, folder: Path, generate: LazyGenerate) -> dict[str, Any]:
    from adelie.evaluate import EvalConfig, run_eval
    from adelie.evaluate.run import RUN

    ev = ctx.config.eval
    config = EvalConfig(model=model_spec(ctx, run.model), suite=run.suite or "", datasets=run.datasets,
                        shots=run.shots, limit=run.limit, seed=ev.seed, fmt=ev.format,  # type: ignore[arg-type]
                        max_new_tokens=ev.max_new_tokens, batch_size=ev.batch_size, compat=ev.compat,
                        draws=ev.draws, decoding=ev.decoding, data_dir=ev.data_dir)
    if generate.config is None:
        generate.config = config
    # run.json guards a folder against answers of another model or settings, by path; the sub-run identity
    # (emptied on mismatch) already guarantees that, and also holds when the run directory has moved
    (folder / RUN).unlink(missing_ok=True)
    metrics = run_eval(config, folder, generate=generate)
    return {fam: metrics["families"].get(fam) for fam in FAMILIES}


def _run_general(ctx: Context, run: SubRun, folder: Path) -> dict[str, Any]:
    from adelie.evaluate.general import run_general

    ev = ctx.config.eval
    result = run_general(model_spec(ctx, run.model), folder, sources=run.datasets or (), limit=run.limit,
                         seed=ev.seed, root=ev.general_dir, max_new_tokens=ev.general_max_new_tokens, draws=ev.draws)
    return {name: m["acc"] for name, m in result["general"].items()}


def read_subrun(folder: Path) -> dict[str, Any] | None:
    """A sub-run's state file; None when absent or unreadable."""
    try:
        return json.loads((folder / SUBRUN).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _write_subrun(folder: Path, state: dict[str, Any]) -> None:
    write_text(folder / SUBRUN, [json.dumps(state, indent=2) + "\n"])


def run_eval_stage(ctx: Context) -> StageResult:
    """Every sub-run of every model (see the module docstring); numbers keyed model/sub-run/family-or-source."""
    numbers: dict[str, Any] = {}
    outputs: dict[str, str] = {}
    for model in ctx.config.eval.models:
        generate = LazyGenerate(None)
        runs = subruns(ctx, model)
        for i, run in enumerate(runs, 1):
            folder = ctx.dir / model / run.name
            identity, full = fingerprints(ctx, run)
            state = read_subrun(folder)
            if (state is None or state.get("identity") != identity) and folder.exists():
                shutil.rmtree(folder)  # answers of another model or settings (or of unknown origin)
                state = None
            if state is not None and state.get("status") == "done" and state.get("full") == full:
                ctx.progress(f"{model} {run.name}: up to date ({i}/{len(runs)})")
                results = state["results"]
            else:
                ctx.progress(f"{model} {run.name} ({i}/{len(runs)})")
                folder.mkdir(parents=True, exist_ok=True)
                t0 = time.perf_counter()
                _write_subrun(folder, {"identity": identity, "full": full, "status": "running", "started": now()})
                if run.suite is None:
                    generate = LazyGenerate(None)  # free the generation model before loading it for scoring
                    gc.collect()
                    results = _run_general(ctx, run, folder)
                else:
                    results = _run_ie(ctx, run, folder, generate)
                _write_subrun(folder, {"identity": identity, "full": full, "status": "done", "finished": now(),
                                       "seconds": round(time.perf_counter() - t0, 2), "results": results})
            outputs[f"{model}/{run.name}"] = str(folder.relative_to(ctx.run_dir))
            numbers.update({f"{model}/{run.name}/{k}": v for k, v in results.items()})
        del generate
        gc.collect()
    return StageResult(outputs, numbers, headline(ctx, numbers))


def headline(ctx: Context, numbers: dict[str, Any]) -> str:
    """Held-out F1 per family at the first shot count, one group per model."""
    k = ctx.config.eval.shots[0]
    parts = []
    for model in ctx.config.eval.models:
        vals = [numbers.get(f"{model}/heldout-{k}shot/{fam}") for fam in FAMILIES]
        parts.append(f"{model} " + "/".join("-" if v is None else f"{100 * v:.1f}" for v in vals))
    return f"held-out {k}-shot F1 closed/open/on-demand: " + "; ".join(parts)
