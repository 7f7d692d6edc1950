"""Supervised fine-tuning over TRL's SFTTrainer: loss on assistant turns only, padding-free or packed batches,
checkpoints and resume, and a final model directory carrying the chat template it was trained with."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError
from adelie.train.config import ModelSettings, Profile, SFTSettings
from adelie.train.data import drop_long, locate, read_records, sft_record
from adelie.train.logs import JsonlLogCallback, ThroughputMixin
from adelie.train.runtime import (
    LOG_FILE,
    adelie_version,
    final_metrics,
    load_for_training,
    lora_config,
    prepare_run_dir,
    save_final,
    train_from,
    trainer_arguments,
)

logger = logging.getLogger(__name__)


def sft_config(settings: SFTSettings, run_dir: Path, conversational: bool, has_validation: bool = False) -> Any:
    """TRL's SFTConfig for ``settings``.

    ``padding_free`` flattens each batch into one sequence with restarting position ids (transformers then builds a
    block-diagonal causal mask for sdpa/eager, or uses varlen flash attention); ``packed`` also fills rows of
    ``max_length`` tokens by best fit. Overlong records were dropped before, so nothing is truncated here.
    """
    from trl import SFTConfig

    sequences = settings.sequences
    return SFTConfig(
        **trainer_arguments(settings, run_dir, "sft", has_validation),
        max_length=None if sequences == "padding_free" else settings.max_length,
        packing=sequences == "packed",
        packing_strategy="bfd",
        padding_free=sequences != "padded",
        assistant_only_loss=conversational,
        completion_only_loss=None if conversational else True,
        dataset_num_proc=None,
    )


def _trainer_class() -> type:
    from trl import SFTTrainer

    class AdelieSFTTrainer(ThroughputMixin, SFTTrainer):
        """SFTTrainer that logs tokens/s."""

    return AdelieSFTTrainer


def build_sft_trainer(
    model_settings: ModelSettings,
    settings: SFTSettings,
    run_dir: Path,
    model: Any = None,
    tokenizer: Any = None,
) -> tuple[Any, dict[str, Any]]:
    """An SFT trainer on ``settings.data`` (records over ``max_length`` dropped) and a description of its data.

    ``model``/``tokenizer`` default to ``load_for_training(model_settings)``.
    """
    from datasets import Dataset

    if model is None or tokenizer is None:
        model, tokenizer = load_for_training(model_settings)
    source = locate(settings.data, "sft")
    train = read_records(source.train, sft_record)
    train, dropped = drop_long(train, tokenizer, settings.max_length)
    if not train:
        raise AdelieError(f"{source.train}: every record is longer than sft.max_length={settings.max_length} tokens")
    if dropped:
        logger.warning("dropped %d of %d records longer than %d tokens", dropped, dropped + len(train),
                       settings.max_length)
    validation = None
    if source.validation is not None and settings.eval_max_records > 0:
        records, _ = drop_long(read_records(source.validation, sft_record), tokenizer, settings.max_length)
        validation = Dataset.from_list(records[: settings.eval_max_records]) if records else None
    conversational = "messages" in train[0]
    trainer = _trainer_class()(
        model=model,
        args=sft_config(settings, run_dir, conversational, validation is not None),
        train_dataset=Dataset.from_list(train),
        eval_dataset=validation,
        processing_class=tokenizer,
        peft_config=lora_config(settings.lora),
        callbacks=[JsonlLogCallback(run_dir / LOG_FILE)],
    )
    data_info = {
        **source.describe(),
        "train_records": len(train),
        "dropped_too_long": dropped,
        "validation_records": len(validation) if validation is not None else 0,
    }
    return trainer, data_info


def train_sft(profile: Profile, *, resume: bool = False, overwrite: bool = False) -> Path:
    """Run the SFT stage of ``profile``; returns the final model directory (``<sft.output>/model``)."""
    settings = profile.sft
    run_dir = Path(settings.output)
    checkpoint = prepare_run_dir(run_dir, resume, overwrite)
    trainer, data_info = build_sft_trainer(profile.model, settings, run_dir)
    output = train_from(trainer, checkpoint)
    eval_metrics = trainer.evaluate() if trainer.eval_dataset is not None else None
    info = {
        "adelie_version": adelie_version(),
        "stage": "sft",
        "base_model": profile.model.base,
        "data": data_info,
        "config": profile.to_dict(),
        "metrics": final_metrics(output, eval_metrics),
    }
    return save_final(trainer, trainer.processing_class, run_dir, info)
