"""Direct preference optimisation over TRL's DPOTrainer: the policy starts from the SFT model and is pulled
towards the chosen answers against a frozen copy of itself (beta 0.1, sigmoid loss unless configured)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError
from adelie.train.config import DPOSettings, ModelSettings, Profile
from adelie.train.data import drop_long, locate, preference_record, read_records
from adelie.train.logs import JsonlLogCallback, ThroughputMixin
from adelie.train.runtime import (
    LOG_FILE,
    adelie_version,
    final_metrics,
    load_for_training,
    lora_config,
    model_dir,
    prepare_run_dir,
    resolve_init,
    save_final,
    train_from,
    trainer_arguments,
)

logger = logging.getLogger(__name__)


def dpo_config(settings: DPOSettings, run_dir: Path, has_validation: bool = False) -> Any:
    """TRL's DPOConfig for ``settings``."""
    from trl import DPOConfig

    return DPOConfig(
        **trainer_arguments(settings, run_dir, "dpo", has_validation),
        max_length=settings.max_length,
        beta=settings.beta,
        loss_type=list(settings.loss_type),
        loss_weights=settings.loss_weights,
        label_smoothing=settings.label_smoothing,
        precompute_ref_log_probs=settings.precompute_ref_log_probs,
        dataset_num_proc=None,
    )


def _trainer_class() -> type:
    from trl import DPOTrainer

    class AdelieDPOTrainer(ThroughputMixin, DPOTrainer):
        """DPOTrainer that logs tokens/s."""

    return AdelieDPOTrainer


def policy_spec(profile: Profile) -> str:
    """The model DPO starts from: ``dpo.init``, else the SFT stage's final model."""
    if profile.dpo.init:
        return resolve_init(profile.dpo.init)
    sft_model = model_dir(profile.sft.output)
    if not (sft_model / "config.json").is_file():
        raise AdelieError(
            f"DPO starts from the SFT model, but {sft_model} holds none: run `adelie train sft` first, "
            "or set dpo.init (or pass --model) to a model directory"
        )
    return str(sft_model)


def build_dpo_trainer(
    model_settings: ModelSettings, settings: DPOSettings, run_dir: Path, init: str
) -> tuple[Any, dict[str, Any]]:
    """A DPO trainer from the model ``init`` on ``settings.data`` and a description of its data.

    The reference is a frozen second copy of ``init`` (with LoRA: the policy with its adapter switched off; with
    ``precompute_ref_log_probs``: reference scores computed once before training).
    """
    from datasets import Dataset

    model, tokenizer = load_for_training(model_settings, init)
    ref_model = None
    if not settings.lora.enabled and not settings.precompute_ref_log_probs:
        ref_model, _ = load_for_training(model_settings, init)
        ref_model.eval().requires_grad_(False)
    source = locate(settings.data, "dpo")
    train, dropped = drop_long(read_records(source.train, preference_record), tokenizer, settings.max_length)
    if not train:
        raise AdelieError(f"{source.train}: every pair is longer than dpo.max_length={settings.max_length} tokens")
    if dropped:
        total = len(train) + dropped
        logger.warning("dropped %d of %d pairs longer than %d tokens", dropped, total, settings.max_length)
    validation = None
    if source.validation is not None and settings.eval_max_records > 0:
        records, _ = drop_long(read_records(source.validation, preference_record), tokenizer, settings.max_length)
        validation = Dataset.from_list(records[: settings.eval_max_records]) if records else None
    try:
        trainer = _trainer_class()(
            model=model,
            ref_model=ref_model,
            args=dpo_config(settings, run_dir, validation is not None),
            train_dataset=Dataset.from_list(train),
            eval_dataset=validation,
            processing_class=tokenizer,
            peft_config=lora_config(settings.lora),
            callbacks=[JsonlLogCallback(run_dir / LOG_FILE)],
        )
    except ValueError as exc:  # e.g. an unknown loss type
        raise AdelieError(f"dpo: {exc}") from None
    data_info = {
        **source.describe(),
        "train_records": len(train),
        "dropped_too_long": dropped,
        "validation_records": len(validation) if validation is not None else 0,
    }
    return trainer, data_info


def train_dpo(profile: Profile, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Run the DPO stage of ``profile``; returns the final model directory (``<dpo.output>/model``)."""
    settings = profile.dpo
    run_dir = Path(settings.output)
    init = policy_spec(profile)
    checkpoint = prepare_run_dir(run_dir, resume, overwrite)
    trainer, data_info = build_dpo_trainer(profile.model, settings, run_dir, init)
    output = train_from(trainer, checkpoint)
    eval_metrics = trainer.evaluate() if trainer.eval_dataset is not None else None
    info = {
        "adelie_version": adelie_version(),
        "stage": "dpo",
        "base_model": profile.model.base,
        "init": init,
        "data": data_info,
        "config": profile.to_dict(),
        "metrics": final_metrics(output, eval_metrics),
    }
    return save_final(trainer, trainer.processing_class, run_dir, info)
