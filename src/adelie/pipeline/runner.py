"""Running the stages in order, each in its own folder with a ``stage.json`` manifest.

A stage is skipped when its manifest says done with the current fingerprint and the same finished times of the
stages it needs; it resumes (its builder, trainer or evaluator picks up the partial work) when an earlier attempt
with the same fingerprint stopped; otherwise its folder is emptied and it starts fresh. ``start`` (``--from``)
forces a stage and every later one to start fresh; ``only`` (``--only``) runs one stage, whose inputs must be done.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from adelie.errors import AdelieError
from adelie.instruct.records import write_text
from adelie.pipeline.config import DEPENDS, STAGES, PipelineConfig

MANIFEST = "stage.json"
KEEP_ON_CHANGE = frozenset({"eval"})  # stages that keep sub-runs whose own fingerprint still matches


class PipelineError(AdelieError):
    """A pipeline cannot run as asked (unknown stage, a stage whose inputs are not done)."""


@dataclass
class StageResult:
    """What a stage function returns: its outputs (relative to the run directory) and key numbers."""

    outputs: dict[str, str]
    numbers: dict[str, Any]
    headline: str = ""


@dataclass
class Outcome:
    """What happened to a stage in this invocation: done, skipped, failed or interrupted."""

    stage: str
    status: str
    seconds: float | None
    headline: str = ""
    manifest: dict[str, Any] | None = None


class Reporter(Protocol):
    """Progress sink: the CLI prints with rich; tests record."""

    def stage_start(self, stage: str, mode: str) -> None: ...
    def progress(self, stage: str, text: str) -> None: ...
    def stage_end(self, outcome: Outcome) -> None: ...


class QuietReporter:
    """A reporter that keeps the outcomes and prints nothing."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def stage_start(self, stage: str, mode: str) -> None:
        pass

    def progress(self, stage: str, text: str) -> None:
        pass

    def stage_end(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)


@dataclass
class Context:
    """Everything a stage function sees."""

    config: PipelineConfig
    stage: str
    fingerprints: dict[str, str]
    manifests: dict[str, dict[str, Any] | None]  # the latest manifest of every stage
    progress: Callable[[str], None]
    command: str | None = None

    @property
    def dir(self) -> Path:
        return self.config.stage_dir(self.stage)

    @property
    def run_dir(self) -> Path:
        return self.config.run_dir


def now() -> str:
    """The current UTC time, ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat()


def git_revision() -> str:
    """``git rev-parse HEAD`` of the checkout holding this code (noting uncommitted changes), else "unknown"."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=20)
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


def read_manifest(stage_dir: Path) -> dict[str, Any] | None:
    """A stage folder's manifest; None when absent or unreadable (the stage then starts fresh)."""
    try:
        data = json.loads((stage_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and "fingerprint" in data else None


def write_manifest(stage_dir: Path, manifest: dict[str, Any]) -> None:
    write_text(stage_dir / MANIFEST, [json.dumps(manifest, indent=2, default=str) + "\n"])


def _revisions(old: dict[str, Any] | None) -> list[str]:
    """The git revisions a stage ran at, one per attempt that changed it: a resumed stage keeps the earlier ones."""
    earlier = list((old or {}).get("revisions") or [])
    current = git_revision()
    return earlier if earlier and earlier[-1] == current else [*earlier, current]


def _inputs(stage: str, manifests: dict[str, dict[str, Any] | None]) -> dict[str, str | None]:
    return {d: (manifests[d] or {}).get("finished") for d in DEPENDS[stage]}


def up_to_date(stage: str, fingerprints: dict[str, str], manifests: dict[str, dict[str, Any] | None]) -> bool:
    """Done with the current fingerprint, from the current outputs of the stages it needs."""
    m = manifests[stage]
    return (m is not None and m.get("status") == "done" and m.get("fingerprint") == fingerprints[stage]
            and m.get("inputs") == _inputs(stage, manifests))


def _clean(stage_dir: Path, keep: bool) -> None:
    if keep:
        (stage_dir / MANIFEST).unlink(missing_ok=True)
    else:
        shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir(parents=True, exist_ok=True)


def run_pipeline(
    config: PipelineConfig, *, start: str | None = None, only: str | None = None, reporter: Reporter | None = None,
    command: str | None = None,
) -> list[Outcome]:
    """Run the stages of ``config`` in its run directory (see the module docstring); the outcome of each stage
    considered. A failing stage records its error in its manifest, is reported, and its exception propagates."""
    for flag, name in (("--from", start), ("--only", only)):
        if name is not None and name not in STAGES:
            raise PipelineError(f"{flag} {name!r}: unknown stage; the stages are {', '.join(STAGES)}")
    reporter = reporter or QuietReporter()
    fingerprints = config.fingerprints()
    forced = set(STAGES[STAGES.index(start):]) if start else set()
    config.run_dir.mkdir(parents=True, exist_ok=True)
    write_text(config.run_dir / "config.yaml", [yaml.safe_dump(config.to_dict(), sort_keys=False)])
    manifests = {s: read_manifest(config.stage_dir(s)) for s in STAGES}
    outcomes = []
    for stage in STAGES:
        if only is not None and stage != only:
            continue
        stale = [d for d in DEPENDS[stage] if not up_to_date(d, fingerprints, manifests)]
        if stale:
            raise PipelineError(f"stage {stage} needs {', '.join(stale)}, not done with this config in "
                                f"{config.run_dir}: run without --only to build it first")
        if stage not in forced and up_to_date(stage, fingerprints, manifests):
            m = manifests[stage] or {}
            outcome = Outcome(stage, "skipped", m.get("seconds"), m.get("headline", ""), m)
        else:
            outcome = _run_stage(config, stage, fingerprints, manifests, reporter, command, stage in forced)
        outcomes.append(outcome)
        reporter.stage_end(outcome)
    return outcomes


def _run_stage(config: PipelineConfig, stage: str, fingerprints: dict[str, str],
               manifests: dict[str, dict[str, Any] | None], reporter: Reporter, command: str | None,
               forced: bool) -> Outcome:
    from adelie.pipeline.stages import STAGE_FUNCTIONS

    folder = config.stage_dir(stage)
    old = manifests[stage]
    inputs = _inputs(stage, manifests)
    resume = (not forced and old is not None and old.get("status") != "done"
              and old.get("fingerprint") == fingerprints[stage] and old.get("inputs") == inputs)
    if not resume:
        _clean(folder, keep=stage in KEEP_ON_CHANGE and not forced)
    manifest: dict[str, Any] = {
        "stage": stage, "status": "running", "fingerprint": fingerprints[stage], "inputs": inputs,
        "started": now(), "finished": None, "seconds": (old or {}).get("seconds", 0.0) if resume else 0.0,
        "attempts": (old or {}).get("attempts", 0) + 1 if resume else 1, "outputs": {}, "numbers": {},
        "headline": "", "error": None, "revisions": _revisions(old if resume else None),
    }
    write_manifest(folder, manifest)
    reporter.stage_start(stage, "forced" if forced else "resume" if resume else "fresh")
    ctx = Context(config, stage, fingerprints, manifests, lambda text: reporter.progress(stage, text), command)
    t0 = time.perf_counter()
    try:
        result = STAGE_FUNCTIONS[stage](ctx)
    except BaseException as exc:
        manifest.update(status="interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
                        error=f"{type(exc).__name__}: {exc}", seconds=manifest["seconds"] + time.perf_counter() - t0)
        write_manifest(folder, manifest)
        reporter.stage_end(Outcome(stage, manifest["status"], manifest["seconds"], manifest["error"], manifest))
        raise
    manifest.update(status="done", finished=now(), seconds=round(manifest["seconds"] + time.perf_counter() - t0, 2),
                    outputs=result.outputs, numbers=result.numbers, headline=result.headline)
    write_manifest(folder, manifest)
    manifests[stage] = manifest
    return Outcome(stage, "done", manifest["seconds"], result.headline, manifest)
