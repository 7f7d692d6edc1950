"""What the SFT and DPO trainers share: loading the model to train, Trainer arguments from a stage's settings,
precision, LoRA, the run directory (checkpoints, resume) and the atomic final save with ``adelie.json``.

A run directory holds ``checkpoints/checkpoint-N`` (Trainer checkpoints), ``train_log.jsonl`` and, once training
ends, ``model/``: a Hugging Face model directory (safetensors, tokenizer with its chat template, ``adelie.json``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from adelie.errors import AdelieError
from adelie.models import cpu_has_native_bf16
from adelie.train.config import LoRASettings, ModelSettings, StageSettings

logger = logging.getLogger(__name__)

MODEL_DIR = "model"
CHECKPOINT_DIR = "checkpoints"
LOG_FILE = "train_log.jsonl"
INFO_FILE = "adelie.json"


def model_dir(run_dir: str | Path) -> Path:
    """The final model directory of a run directory."""
    return Path(run_dir) / MODEL_DIR


def resolve_init(spec: str | Path) -> str:
    """A model spec for loading: a run directory is replaced by its final ``model/`` directory."""
    path = Path(spec).expanduser()
    if path.is_dir() and not (path / "config.json").is_file() and (path / MODEL_DIR / "config.json").is_file():
        return str(path / MODEL_DIR)
    return str(spec)


def load_for_training(settings: ModelSettings, spec: str | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) to train, on CPU (the Trainer places it), in float32 unless ``settings.dtype`` says
    otherwise, with the configured attention implementation. The tokenizer carries the training chat template."""
    from adelie.models import load_model

    model, tokenizer = load_model(
        resolve_init(spec or settings.base),
        dtype=settings.dtype or "float32",
        device="cpu",
        trust_remote_code=settings.trust_remote_code,
        chat_template=settings.chat_template,
    )
    try:
        model.set_attn_implementation(settings.attn_implementation)
    except (ImportError, ValueError) as exc:
        raise AdelieError(
            f"attention implementation {settings.attn_implementation!r} is not available here ({exc}); "
            "set model.attn_implementation to 'sdpa' or 'eager'"
        ) from None
    model.train()
    return model, tokenizer


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def precision_flags(precision: str) -> dict[str, bool]:
    """Trainer ``bf16``/``fp16`` flags. ``auto``: bf16 on a GPU that supports it, else fp16 on a GPU; on CPU bf16
    autocast where the CPU has native bf16 (measured 1.5x faster than fp32 for SmolLM2-135M, BENCHMARKS.md), else
    fp32. ``bf16`` on CPU means autocast (weights and optimizer stay float32)."""
    import torch

    if precision == "auto":
        if not cuda_available():
            return {"bf16": cpu_has_native_bf16(), "fp16": False}
        bf16 = torch.cuda.is_bf16_supported()
        return {"bf16": bf16, "fp16": not bf16}
    if precision == "fp16" and not cuda_available():
        raise AdelieError("precision fp16 needs a GPU; use bf16 or fp32 on CPU")
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def world_size() -> int:
    """Processes in this (possibly distributed) launch."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def accumulation_steps(stage: StageSettings, section: str) -> int:
    """Gradient accumulation giving ``global_batch_size`` from the per-device batch and the number of processes."""
    if stage.global_batch_size is None:
        return 1
    per_step = stage.per_device_batch_size * world_size()
    if stage.global_batch_size % per_step:
        raise AdelieError(
            f"{section}.global_batch_size {stage.global_batch_size} is not a multiple of per_device_batch_size "
            f"{stage.per_device_batch_size} x {world_size()} processes"
        )
    return stage.global_batch_size // per_step


def report_to(stage: StageSettings) -> list[str]:
    """The configured log integrations; by default TensorBoard when it is installed, else none."""
    if stage.report_to is not None:
        return stage.report_to
    try:
        metadata.version("tensorboard")
    except metadata.PackageNotFoundError:
        return []
    return ["tensorboard"]


def trainer_arguments(stage: StageSettings, run_dir: Path, section: str, has_validation: bool) -> dict[str, Any]:
    """Keyword arguments shared by TRL's SFTConfig and DPOConfig for a stage (periodic evaluation only when there
    is validation data)."""
    periodic = stage.eval_steps and has_validation
    eval_every = {"eval_strategy": "steps", "eval_steps": stage.eval_steps} if periodic else {}
    return dict(
        output_dir=str(run_dir / CHECKPOINT_DIR),
        num_train_epochs=stage.epochs,
        max_steps=stage.max_steps if stage.max_steps is not None else -1,
        learning_rate=stage.learning_rate,
        lr_scheduler_type=stage.lr_scheduler,
        warmup_steps=stage.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=stage.weight_decay,
        max_grad_norm=stage.max_grad_norm,
        per_device_train_batch_size=stage.per_device_batch_size,
        per_device_eval_batch_size=stage.per_device_batch_size,
        gradient_accumulation_steps=accumulation_steps(stage, section),
        activation_checkpointing=stage.gradient_checkpointing,  # TRL defaults it on; transformers 5 name
        save_strategy="steps",
        save_steps=stage.save_steps,
        save_total_limit=stage.save_total_limit,
        logging_steps=stage.logging_steps,
        logging_first_step=True,
        report_to=report_to(stage),
        seed=stage.seed,
        data_seed=stage.seed,
        use_cpu=not cuda_available(),
        dataloader_num_workers=0,
        **precision_flags(stage.precision),
        **eval_every,
    )


def lora_config(settings: LoRASettings) -> Any:
    """The PEFT LoraConfig of a stage (None when LoRA is off)."""
    if not settings.enabled:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )


def prepare_run_dir(run_dir: Path, resume: bool, overwrite: bool) -> str | None:
    """Check the run directory and return the checkpoint to resume from (None: start fresh).

    A directory with checkpoints or a final model is refused unless ``resume`` (continue from the last checkpoint) or
    ``overwrite`` (delete them) is given.
    """
    from transformers.trainer_utils import get_last_checkpoint

    checkpoints = run_dir / CHECKPOINT_DIR
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if resume:
        if last is None:
            raise AdelieError(f"--resume: {checkpoints} holds no checkpoint to resume from")
        logger.info("resuming from %s", last)
        return last
    if last is not None or model_dir(run_dir).exists():
        if not overwrite:
            raise AdelieError(
                f"{run_dir} already holds a run (checkpoints or a final model): pass --resume to continue it or "
                "--overwrite to start again"
            )
        shutil.rmtree(checkpoints, ignore_errors=True)
        shutil.rmtree(model_dir(run_dir), ignore_errors=True)
        (run_dir / LOG_FILE).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    return None


class _AlreadyFinished(Exception):
    """The checkpoint being resumed already reached the run's last step."""


class _StopIfFinished(TrainerCallback):
    """Stops a resumed run before its first step when the restored state is already at ``max_steps``."""

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if 0 < state.max_steps <= state.global_step:
            raise _AlreadyFinished


def train_from(trainer: Any, checkpoint: str | None) -> Any:
    """``trainer.train(resume_from_checkpoint=checkpoint)``, except that a checkpoint already at (or past) the run's
    last step is only loaded, and no step is trained: the Trainer's state says ``max_steps`` and ``global_step`` once
    it restored the checkpoint, and left alone it would run the rest of the checkpoint's epoch up to the first step
    past ``max_steps`` (one extra optimizer step when the run ends mid-epoch).

    Returns the Trainer's ``TrainOutput`` (for a finished run: its global step, loss 0 and the epoch reached).
    """
    from transformers.trainer_utils import TrainOutput

    guard = _StopIfFinished()
    callbacks = trainer.callback_handler.callbacks
    callbacks.insert(0, guard)  # first, so no progress bar or log writer starts for a run that will not train
    try:
        return trainer.train(resume_from_checkpoint=checkpoint)
    except _AlreadyFinished:
        state = trainer.state
        logger.info("%s is at step %d of %d: nothing left to train", checkpoint, state.global_step, state.max_steps)
        return TrainOutput(state.global_step, 0.0, {"epoch": state.epoch})
    finally:
        callbacks.remove(guard)


def adelie_version() -> str:
    try:
        return metadata.version("adelie")
    except metadata.PackageNotFoundError:
        return "unknown"


def save_final(trainer: Any, tokenizer: Any, run_dir: Path, info: dict[str, Any]) -> Path:
    """Write the final model to ``run_dir/model`` atomically: into a temporary sibling, renamed into place.

    LoRA adapters are merged into the base weights first, so the result is a plain model directory. ``info`` goes to
    ``adelie.json``. Every process must call this (distributed saves gather weights); only the main one writes.
    """
    target = model_dir(run_dir)
    partial = run_dir / f".{MODEL_DIR}.partial"
    main = trainer.accelerator.is_main_process
    if main:
        shutil.rmtree(partial, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    model = trainer.accelerator.unwrap_model(trainer.model)
    if hasattr(model, "merge_and_unload"):  # a PEFT model: fold the adapter into the weights
        model = model.merge_and_unload()
        if main:
            model.save_pretrained(partial)
    else:
        trainer.save_model(str(partial))
    if main:
        tokenizer.save_pretrained(partial)
        (partial / INFO_FILE).write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
        for leftover in ("training_args.bin", "README.md"):
            (partial / leftover).unlink(missing_ok=True)
        old = run_dir / f".{MODEL_DIR}.old"
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        partial.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    return target


def final_metrics(train_output: Any, eval_metrics: dict[str, float] | None) -> dict[str, Any]:
    """The metrics recorded in adelie.json: the Trainer's final training metrics plus the validation metrics."""
    metrics = {k: round(v, 6) if isinstance(v, float) else v for k, v in train_output.metrics.items()}
    metrics["global_step"] = train_output.global_step
    if eval_metrics:
        metrics.update({k: round(v, 6) if isinstance(v, float) else v for k, v in eval_metrics.items()})
    return metrics
