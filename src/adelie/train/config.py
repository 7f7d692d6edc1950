"""Training profiles: one YAML file with a section per stage (``model:``, ``sft:``, ``dpo:``), read in one place.

A profile file may also hold the sections of other pipeline stages (``instruct:``, ``feedback:``, ...): this loader
keeps them as raw mappings for their own loaders and rejects any other top-level key. Inside the training sections
every key must be a known field; errors name the file and the dotted key. ``Profile()`` is the embedded default,
``configs/smol-cpu.yaml`` spells it out (a test keeps the two equal).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter, ValidationError

from adelie.configfile import read_yaml_mapping
from adelie.errors import AdelieError

_STRICT = ConfigDict(extra="forbid")
TRAIN_SECTIONS: tuple[str, ...] = ("model", "sft", "dpo")
# Sections owned by other stages' loaders; kept raw so one file can drive the whole pipeline.
OTHER_STAGE_SECTIONS: tuple[str, ...] = (
    "instruct", "feedback", "eval", "evaluate", "pipeline", "serve", "extract",
)
Precision = Literal["auto", "fp32", "bf16", "fp16"]
Sequences = Literal["padded", "padding_free", "packed"]


@dataclass
class ModelSettings:
    """The base model and how to load it."""

    __pydantic_config__ = _STRICT

    base: str = "default"  # adelie.models spec: "default", a local HF directory, or a hub name
    chat_template: str | None = None  # None: the tokenizer's own if it has generation markers, else adelie's chatml
    attn_implementation: str = "sdpa"  # sdpa | eager | flash_attention_2 | ...
    dtype: str | None = None  # weight dtype; None: float32 (mixed precision comes from `precision`)
    trust_remote_code: bool = False


@dataclass
class LoRASettings:
    """PEFT LoRA; the adapter is merged into the base weights when the final model is saved."""

    __pydantic_config__ = _STRICT

    enabled: bool = False
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | str = "all-linear"


@dataclass
class StageSettings:
    """Fields shared by the SFT and DPO stages (the optimizer, batching, schedule, checkpoints and logs)."""

    __pydantic_config__ = _STRICT

    data: str | None = None  # an IEInstruct/IEFeedback directory (train.jsonl, ...) or a JSONL file
    output: str = "runs/stage"  # run directory: checkpoints/, train_log.jsonl, model/ (the final model)
    epochs: float = 1.0
    max_steps: int | None = None  # overrides epochs when set
    learning_rate: float = 2e-5
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    per_device_batch_size: int = 8
    global_batch_size: int | None = None  # None: per_device_batch_size x devices (no accumulation)
    max_length: int = 1024  # records longer than this (in tokens) are dropped, never truncated
    precision: Precision = "auto"  # auto: bf16 where the hardware has it natively (GPU, AVX512-BF16/AMX CPU), else fp32
    gradient_checkpointing: bool = False
    save_steps: int = 100
    save_total_limit: int | None = 2
    logging_steps: int = 5
    eval_max_records: int = 64  # validation records scored at the end (0: none)
    eval_steps: int | None = None  # also evaluate every N steps (None: only at the end)
    report_to: list[str] | None = None  # None: tensorboard when installed
    seed: int = 42
    lora: LoRASettings = field(default_factory=LoRASettings)


@dataclass
class SFTSettings(StageSettings):
    """Supervised fine-tuning: loss on assistant turns only (completions for prompt/completion records)."""

    data: str | None = "runs/instruct"
    output: str = "runs/sft"
    epochs: float = 1.0
    max_steps: int | None = 56
    learning_rate: float = 1e-4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    per_device_batch_size: int = 1  # on CPU one record per micro-batch is fastest (BENCHMARKS.md)
    global_batch_size: int | None = 8
    max_length: int = 1024
    save_steps: int = 10
    sequences: Sequences = "padding_free"  # padded | padding_free (flattened batch) | packed (best-fit rows)


@dataclass
class DPOSettings(StageSettings):
    """Direct preference optimisation from the SFT model against a frozen copy of it."""

    data: str | None = "runs/feedback"
    output: str = "runs/dpo"
    init: str | None = None  # policy (and reference) model; None: the SFT stage's final model
    epochs: float = 1.0
    max_steps: int | None = 8
    learning_rate: float = 5e-6  # the paper's 5e-7 hardly moves a model in a few steps
    lr_scheduler: str = "linear"
    warmup_ratio: float = 0.1
    per_device_batch_size: int = 1
    global_batch_size: int | None = 8
    max_length: int = 1024
    save_steps: int = 4
    logging_steps: int = 2
    beta: float = 0.1
    loss_type: list[str] = field(default_factory=lambda: ["sigmoid"])  # any TRL DPO loss type; several are summed
    loss_weights: list[float] | None = None
    label_smoothing: float = 0.0
    precompute_ref_log_probs: bool = False  # score the reference once up front instead of keeping it in memory


@dataclass
class Profile:
    """A training profile: the model plus one section per stage, and other stages' raw sections."""

    __pydantic_config__ = _STRICT

    model: ModelSettings = field(default_factory=ModelSettings)
    sft: SFTSettings = field(default_factory=SFTSettings)
    dpo: DPOSettings = field(default_factory=DPOSettings)
    # sections of other stages, unparsed; not part of the training profile, so left out of comparisons
    other: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data (written into each trained model's adelie.json)."""
        return asdict(self)


_ADAPTER = TypeAdapter(Profile)


def profile_from_dict(data: dict[str, Any], source: str = "config") -> Profile:
    """Validate a mapping with ``model``/``sft``/``dpo`` sections (plus other stages' sections) into a Profile."""
    unknown = [k for k in data if k not in TRAIN_SECTIONS and k not in OTHER_STAGE_SECTIONS]
    if unknown:
        raise AdelieError(
            f"{source}: unknown section {unknown[0]!r}; expected sections {list(TRAIN_SECTIONS + OTHER_STAGE_SECTIONS)}"
        )
    known = {k: v for k, v in data.items() if k in TRAIN_SECTIONS}
    for name, value in known.items():
        if value is not None and not isinstance(value, dict):
            raise AdelieError(f"{source}: section {name!r} must be a mapping of fields, got {type(value).__name__}")
    known = {k: v for k, v in known.items() if v is not None}
    other = {k: v for k, v in data.items() if k in OTHER_STAGE_SECTIONS}
    try:
        profile = _ADAPTER.validate_python({**known, "other": other})
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors()[:5])
        raise AdelieError(f"{source}: invalid training config: {problems}") from None
    check(profile, source)
    return profile


def _describe(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "unexpected_keyword_argument" or error["type"] == "extra_forbidden":
        return f"unknown key {where!r}"
    return f"{where}: {error['msg']}"


def load_profile(path: str | Path | None = None) -> Profile:
    """The profile in YAML file ``path``, or the embedded default (``configs/smol-cpu.yaml``) when None."""
    if path is None:
        return Profile()
    return profile_from_dict(read_yaml_mapping(path, f"sections {list(TRAIN_SECTIONS)}"), str(path))


def check(profile: Profile, source: str = "config") -> None:
    """Raise AdelieError for values out of range, naming ``source`` and the key."""
    for name in ("sft", "dpo"):
        stage: StageSettings = getattr(profile, name)
        positive = {
            "per_device_batch_size": stage.per_device_batch_size, "max_length": stage.max_length,
            "save_steps": stage.save_steps, "logging_steps": stage.logging_steps, "learning_rate": stage.learning_rate,
            "lora.r": stage.lora.r,
        }
        optional = {"max_steps": stage.max_steps, "global_batch_size": stage.global_batch_size,
                    "eval_steps": stage.eval_steps, "save_total_limit": stage.save_total_limit}
        positive.update({k: v for k, v in optional.items() if v is not None})
        if stage.max_steps is None:
            positive["epochs"] = stage.epochs
        if stage.eval_max_records < 0:
            raise AdelieError(f"{source}: {name}.eval_max_records must not be negative, got {stage.eval_max_records}")
        for key, value in positive.items():
            if value <= 0:
                raise AdelieError(f"{source}: {name}.{key} must be positive, got {value}")
        if not 0.0 <= stage.warmup_ratio < 1.0:
            raise AdelieError(f"{source}: {name}.warmup_ratio must be in [0, 1), got {stage.warmup_ratio}")
        if not 0.0 <= stage.lora.dropout < 1.0:
            raise AdelieError(f"{source}: {name}.lora.dropout must be in [0, 1), got {stage.lora.dropout}")
    dpo = profile.dpo
    if dpo.beta <= 0:
        raise AdelieError(f"{source}: dpo.beta must be positive, got {dpo.beta}")
    if not dpo.loss_type:
        raise AdelieError(f"{source}: dpo.loss_type must name at least one TRL loss type")
    if dpo.loss_weights is not None and len(dpo.loss_weights) != len(dpo.loss_type):
        raise AdelieError(
            f"{source}: dpo.loss_weights has {len(dpo.loss_weights)} weights for {len(dpo.loss_type)} loss types"
        )
