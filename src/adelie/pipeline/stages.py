"""The stages: each calls the library function that does the work, in its stage folder, and returns key numbers.

instruct: ``build_instruct`` into RUN/instruct. sft: ``train_sft`` into RUN/sft (resuming from the last checkpoint
of an interrupted attempt). feedback: ``build_feedback`` with RUN/sft/model into RUN/feedback (its sample cache
resumes). dpo: ``train_dpo`` from RUN/sft/model into RUN/dpo. eval and report: ``adelie.pipeline.evalstage`` and
``adelie.pipeline.report``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError
from adelie.pipeline.evalstage import run_eval_stage
from adelie.pipeline.report import run_report_stage
from adelie.pipeline.runner import Context, StageResult
from adelie.train.runtime import CHECKPOINT_DIR, INFO_FILE, LOG_FILE, model_dir


def _rel(ctx: Context, path: Path) -> str:
    return str(path.relative_to(ctx.run_dir))


def fmt(value: Any) -> str:
    """A number for a one-line summary: 4 significant digits; '-' for None."""
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def run_instruct(ctx: Context) -> StageResult:
    from adelie.instruct.build import build_instruct

    last = [""]

    def progress(what: str, done: int, total: int) -> None:
        if what != last[0]:
            last[0] = what
            ctx.progress(what)

    manifest = build_instruct(ctx.config.instruct, ctx.dir, progress=progress)
    counts = manifest["counts"]
    numbers = {"train_records": counts["train"]["records"], "validation_records": counts["validation"]["records"],
               "datasets": len(manifest["datasets"])}
    outputs = {name: _rel(ctx, ctx.dir / name) for name in ("train.jsonl", "validation.jsonl", "manifest.json")}
    return StageResult(outputs, numbers, f"{numbers['train_records']} train / {numbers['validation_records']} "
                                         f"validation records from {numbers['datasets']} datasets")


def last_checkpoint(run_dir: Path) -> str | None:
    """The newest Trainer checkpoint of a training run directory, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    folder = run_dir / CHECKPOINT_DIR
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def _train(ctx: Context, train: Callable[..., Path]) -> tuple[dict[str, Any], str | None]:
    """Train into the stage folder unless a final model is already there; (the model's adelie.json, the checkpoint
    resumed from)."""
    final = model_dir(ctx.dir)
    checkpoint = None
    if not (final / INFO_FILE).is_file():  # written last, inside the atomic rename: the model is complete
        checkpoint = last_checkpoint(ctx.dir)
        ctx.progress(f"resuming from {Path(checkpoint).name}" if checkpoint else "training")
        train(ctx.config.profile, resume=checkpoint is not None, overwrite=checkpoint is None)
    return json.loads((final / INFO_FILE).read_text(encoding="utf-8")), checkpoint


def log_records(path: Path) -> list[dict[str, Any]]:
    """A train_log.jsonl's records ([] when missing)."""
    from adelie.train.logs import read_log

    return read_log(path) if path.is_file() else []


def _training_numbers(ctx: Context, info: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    metrics = info.get("metrics", {})
    numbers = {k: metrics.get(k) for k in ("global_step", "train_loss", "eval_loss") if k in metrics}
    train_logs = [r for r in log_records(ctx.dir / LOG_FILE) if "loss" in r]
    if train_logs:
        numbers["final_loss"] = train_logs[-1]["loss"]
        numbers.update({k: train_logs[-1][k] for k in keys if k in train_logs[-1]})
    numbers["train_records"] = info.get("data", {}).get("train_records")
    return numbers


def _outputs(ctx: Context) -> dict[str, str]:
    return {"model": _rel(ctx, model_dir(ctx.dir)), "log": _rel(ctx, ctx.dir / LOG_FILE)}


def run_sft(ctx: Context) -> StageResult:
    from adelie.train.sft import train_sft

    info, checkpoint = _train(ctx, train_sft)
    numbers = _training_numbers(ctx, info, ())
    numbers["resumed_from"] = Path(checkpoint).name if checkpoint else None
    return StageResult(_outputs(ctx), numbers, f"{fmt(numbers.get('global_step'))} steps, final loss "
                                               f"{fmt(numbers.get('final_loss'))}, eval loss "
                                               f"{fmt(numbers.get('eval_loss'))}")


def run_feedback(ctx: Context) -> StageResult:
    from adelie.feedback import build_feedback

    sft_model = model_dir(ctx.config.stage_dir("sft"))
    # config.json refuses a folder built with another model path or config; a stage folder only ever holds work of
    # the current fingerprint (it is emptied otherwise), so a moved run directory may resume its sample cache
    (ctx.dir / "config.json").unlink(missing_ok=True)
    manifest = build_feedback(str(sft_model), ctx.config.feedback, ctx.dir,
                              progress=lambda name: ctx.progress(f"reading {name}"))
    if not manifest["pairs"]:
        raise AdelieError(
            f"{ctx.dir}: IEFeedback made no preference pair from {manifest['prompts']} prompts (every sample perfect "
            "or no gap above feedback.margin); DPO needs pairs: raise feedback.prompts_per_dataset or samples"
        )
    numbers = {"prompts": manifest["prompts"], "pairs": manifest["pairs"], "mean_gap": manifest["mean_gap"],
               **{f"pairs_{k}": v for k, v in manifest["pairs_by_kind"].items()}}
    outputs = {name: _rel(ctx, ctx.dir / name) for name in ("pairs.jsonl", "manifest.json", "samples.jsonl")}
    return StageResult(outputs, numbers, f"{numbers['pairs']} pairs from {numbers['prompts']} prompts, mean gap "
                                         f"{fmt(numbers['mean_gap'])}")


def run_dpo(ctx: Context) -> StageResult:
    from adelie.train.dpo import train_dpo

    info, checkpoint = _train(ctx, train_dpo)
    numbers = _training_numbers(ctx, info, ("rewards/margins", "rewards/accuracies"))
    numbers["resumed_from"] = Path(checkpoint).name if checkpoint else None
    return StageResult(_outputs(ctx), numbers, f"{fmt(numbers.get('global_step'))} steps, final loss "
                                               f"{fmt(numbers.get('final_loss'))}, reward margin "
                                               f"{fmt(numbers.get('rewards/margins'))}, accuracy "
                                               f"{fmt(numbers.get('rewards/accuracies'))}")


STAGE_FUNCTIONS: dict[str, Callable[[Context], StageResult]] = {
    "instruct": run_instruct, "sft": run_sft, "feedback": run_feedback, "dpo": run_dpo, "eval": run_eval_stage,
    "report": run_report_stage,
}
