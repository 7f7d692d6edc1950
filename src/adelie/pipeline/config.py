"""The pipeline config: one YAML file with a section per stage, resolved against a run directory.

Sections: ``model:``, ``sft:``, ``dpo:`` (``adelie.train``), ``instruct:`` (``adelie.instruct``), ``feedback:``
(``adelie.feedback``), ``eval:`` (``EvalSettings`` below) and ``pipeline:`` (``PipelineSettings``). Each is validated
by its own loader, so an unknown key inside a section is an error naming the file and the key. The stage folders
of the run directory replace every data/output path (``sft.data`` = RUN/instruct, ``sft.output`` = RUN/sft,
``dpo.data`` = RUN/feedback, ``dpo.init`` = RUN/sft/model, ...), so one config serves any run directory.

``QUICK`` is the whole reduced profile behind ``--quick``, merged over the file (configs/quick.yaml spells out the
same sizes; a test keeps the two equal).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from adelie import __version__
from adelie.configfile import read_yaml_mapping
from adelie.constrained import DECODINGS
from adelie.errors import AdelieError
from adelie.feedback import FeedbackConfig, feedback_config_from_dict
from adelie.instruct.config import InstructConfig, config_from_dict
from adelie.train.config import TRAIN_SECTIONS, Profile, profile_from_dict

STAGES: tuple[str, ...] = ("instruct", "sft", "feedback", "dpo", "eval", "report")
DEPENDS: dict[str, tuple[str, ...]] = {
    "instruct": (), "sft": ("instruct",), "feedback": ("sft",), "dpo": ("sft", "feedback"), "eval": ("sft", "dpo"),
    "report": ("eval",),
}
SECTIONS: tuple[str, ...] = (*TRAIN_SECTIONS, "instruct", "feedback", "eval", "pipeline")
MODELS: tuple[str, ...] = ("base", "sft", "dpo")
_STRICT = ConfigDict(extra="forbid")

# --quick: every stage still runs; sized for SmolLM2-135M on 2 CPU cores in under 20 minutes (eval dominates:
# 3 models x (3 held-out sets x 3 x 2 shot counts + 8 in-domain + 4 GSM8K) = 90 generations of <= 96 tokens).
QUICK: dict[str, Any] = {
    "instruct": {"datasets": ["conll04", "phee", "fewrel"], "per_dataset_cap": 25, "validation_per_dataset": 4,
                 "on_demand": {"cap": 15}, "length": {"max_tokens": 768}},
    "sft": {"max_steps": 12, "learning_rate": 1.0e-4, "lr_scheduler": "cosine", "warmup_ratio": 0.1,
            "per_device_batch_size": 1, "global_batch_size": 4, "max_length": 768, "sequences": "padding_free",
            "save_steps": 6, "logging_steps": 2, "eval_max_records": 8},
    "feedback": {"datasets": ["conll04", "phee", "fewrel", "scierc"], "prompts_per_dataset": 4, "samples": 4,
                 "max_new_tokens": 96, "batch_size": 8},
    "dpo": {"max_steps": 6, "learning_rate": 5.0e-6, "lr_scheduler": "linear", "warmup_ratio": 0.1,
            "per_device_batch_size": 1, "global_batch_size": 2, "max_length": 768, "save_steps": 3,
            "logging_steps": 1, "eval_max_records": 8},
    "eval": {"datasets": ["crossner_ai", "carb", "odie"], "shots": [0, 4], "limit": 3,
             "indomain_datasets": ["conll04"], "indomain_limit": 4, "general": ["arc_easy", "mmlu", "gsm8k"],
             "general_limit": 4, "general_max_new_tokens": 96, "max_new_tokens": 96, "batch_size": 8, "draws": 200},
}


@dataclass
class EvalSettings:
    """The ``eval:`` section: which models, suites, shots and sizes the eval stage runs."""

    __pydantic_config__ = _STRICT

    models: list[str] = field(default_factory=lambda: list(MODELS))  # any of base, sft, dpo
    heldout: str = "heldout"  # suite (adelie.evaluate.resolve_suite) evaluated zero- and few-shot
    datasets: list[str] | None = None  # keep only these datasets of the held-out suite
    shots: list[int] = field(default_factory=lambda: [0, 4])
    limit: int | None = 5  # instances per held-out set (a seeded subset; None: all)
    indomain: str | None = "indomain"  # suite of in-domain test splits (None: skip)
    indomain_datasets: list[str] | None = None
    indomain_shots: int = 0
    indomain_limit: int | None = 2
    general: list[str] = field(default_factory=lambda: ["arc_easy", "arc_challenge", "mmlu", "gsm8k"])  # []: skip
    general_limit: int | None = 10  # questions per general source
    general_max_new_tokens: int = 192  # GSM8K answers
    max_new_tokens: int = 256
    batch_size: int = 8
    seed: int = 0
    format: str = "canonical"
    decoding: str = "constrained"  # constrained (answers follow each instance's grammar) | free
    compat: str = "none"  # none | adelie (ADELIE's published scoring rules)
    draws: int = 1000  # bootstrap resamples
    data_dir: str | None = None  # default: pipeline.data_dir, else $ADELIE_DATA_DIR
    general_dir: str | None = None  # default: pipeline.general_dir, else $ADELIE_GENERAL_DIR

    def check(self, source: str) -> None:
        """Raise AdelieError for values out of range or unknown suites, datasets and sources."""
        from adelie.evaluate.compat import COMPAT_MODES
        from adelie.evaluate.general import SOURCES
        from adelie.evaluate.suites import resolve_suite
        from adelie.tasks import FORMATS

        problems = []
        if not self.models or set(self.models) - set(MODELS):
            problems.append(f"models must be some of {list(MODELS)}, got {self.models}")
        if not self.shots or min(self.shots) < 0 or self.indomain_shots < 0:
            problems.append(f"shots must be a non-empty list of numbers >= 0, got {self.shots}")
        for name in ("limit", "indomain_limit", "general_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (or null for all)")
        if min(self.max_new_tokens, self.general_max_new_tokens, self.batch_size, self.draws) < 1:
            problems.append("max_new_tokens, general_max_new_tokens, batch_size and draws must be positive")
        if set(self.general) - set(SOURCES):
            problems.append(f"general must be some of {list(SOURCES)}, got {self.general}")
        if self.decoding not in DECODINGS:
            problems.append(f"decoding must be constrained or free, got {self.decoding!r}")
        if self.format not in FORMATS or self.compat not in COMPAT_MODES:
            problems.append(f"format must be one of {list(FORMATS)} and compat one of {list(COMPAT_MODES)}")
        if problems:
            raise AdelieError(f"{source}: invalid eval config: " + "; ".join(problems))
        try:
            resolve_suite(self.heldout, self.datasets)
            if self.indomain:
                resolve_suite(self.indomain, self.indomain_datasets)
        except (AdelieError, KeyError) as exc:
            raise AdelieError(f"{source}: eval: {exc}") from None


@dataclass
class PipelineSettings:
    """The ``pipeline:`` section: defaults shared by every stage."""

    __pydantic_config__ = _STRICT

    data_dir: str | None = None  # IE data for instruct, feedback and eval (default: $ADELIE_DATA_DIR)
    general_dir: str | None = None  # general data for instruct and the general check (default: $ADELIE_GENERAL_DIR)


@dataclass
class PipelineConfig:
    """Every stage's config, with paths resolved against ``run_dir``."""

    source: str
    run_dir: Path
    quick: bool
    profile: Profile
    instruct: InstructConfig
    feedback: FeedbackConfig
    eval: EvalSettings
    pipeline: PipelineSettings

    def stage_dir(self, stage: str) -> Path:
        return self.run_dir / stage

    def settings(self, stage: str) -> dict[str, Any]:
        """The settings that decide a stage's outputs (paths set by the pipeline left out)."""
        model = asdict(self.profile.model)
        if stage == "instruct":
            return self.instruct.to_dict()
        if stage == "sft":
            return {"model": model, "sft": _without(asdict(self.profile.sft), "data", "output")}
        if stage == "feedback":
            return asdict(self.feedback)
        if stage == "dpo":
            return {"model": model, "dpo": _without(asdict(self.profile.dpo), "data", "output", "init")}
        if stage == "eval":
            return {"base": self.profile.model.base, "eval": asdict(self.eval)}
        return {}

    def fingerprints(self) -> dict[str, str]:
        """sha256 per stage over its settings, adelie's version and the fingerprints of the stages it needs."""
        out: dict[str, str] = {}
        for stage in STAGES:
            payload = {"stage": stage, "adelie": __version__, "settings": self.settings(stage),
                       "depends": {d: out[d] for d in DEPENDS[stage]}}
            out[stage] = digest(payload)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The resolved config, one section per stage (written to RUN/config.yaml)."""
        profile = self.profile.to_dict()
        return {"model": profile["model"], "instruct": self.instruct.to_dict(), "sft": profile["sft"],
                "feedback": asdict(self.feedback), "dpo": profile["dpo"], "eval": asdict(self.eval),
                "pipeline": asdict(self.pipeline)}


def digest(data: Any) -> str:
    """sha256 of canonical JSON."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` merged in: mappings recursively, everything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _section(data: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AdelieError(f"{source}: section {name!r} must be a mapping of fields, got {type(value).__name__}")
    return copy.deepcopy(value)


def _typed(cls: type, data: dict[str, Any], source: str, name: str) -> Any:
    try:
        return TypeAdapter(cls).validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(f"{name}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise AdelieError(f"{source}: invalid {name} config: {problems}") from None


def pipeline_config_from_dict(data: dict[str, Any], run_dir: str | Path, *, quick: bool = False,
                              source: str = "config") -> PipelineConfig:
    """Validate a pipeline mapping (``--quick`` overrides merged in when ``quick``) and resolve it for
    ``run_dir``."""
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        hint = " (the evaluation section is `eval:`)" if unknown[0] == "evaluate" else ""
        raise AdelieError(f"{source}: unknown section {unknown[0]!r}{hint}; expected sections {list(SECTIONS)}")
    if quick:
        data = merge(data, QUICK)
    run = Path(run_dir).absolute()  # the same paths whether the run directory was given relative or absolute
    settings = _typed(PipelineSettings, _section(data, "pipeline", source), source, "pipeline")

    sft = {**_section(data, "sft", source), "data": str(run / "instruct"), "output": str(run / "sft")}
    dpo = {**_section(data, "dpo", source), "data": str(run / "feedback"), "output": str(run / "dpo"),
           "init": str(run / "sft" / "model")}
    profile = profile_from_dict({"model": _section(data, "model", source), "sft": sft, "dpo": dpo}, source)

    instruct = _section(data, "instruct", source)
    _fill(instruct, "data_dir", settings.data_dir)
    if settings.general_dir is not None:
        _fill(instruct.setdefault("general", {}), "dir", settings.general_dir)
    if isinstance(instruct.get("length", {}), dict) and "tokenizer" not in instruct.get("length", {}):
        instruct.setdefault("length", {})["tokenizer"] = profile.model.base  # measure with the trained tokenizer
    instruct_cfg = config_from_dict(instruct, f"{source} [instruct]")

    feedback = _section(data, "feedback", source)
    _fill(feedback, "data_dir", settings.data_dir)
    feedback_cfg = feedback_config_from_dict(feedback, f"{source} [feedback]")

    ev = _section(data, "eval", source)
    _fill(ev, "data_dir", settings.data_dir)
    _fill(ev, "general_dir", settings.general_dir)
    eval_cfg = _typed(EvalSettings, ev, source, "eval")
    eval_cfg.check(source)
    _check_datasets(instruct_cfg, feedback_cfg, source)
    return PipelineConfig(source, run, quick, profile, instruct_cfg, feedback_cfg, eval_cfg, settings)


def _fill(section: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(section, dict) and section.get(key) is None and value is not None:
        section[key] = value


def _check_datasets(instruct: InstructConfig, feedback: FeedbackConfig, source: str) -> None:
    """Fail before any work when instruct or feedback name a dataset they cannot train on (registry only)."""
    from adelie.feedback import train_splits
    from adelie.instruct.pool import train_datasets

    for name, check in (("instruct", lambda: train_datasets(instruct)), ("feedback", lambda: train_splits(feedback))):
        try:
            check()
        except AdelieError as exc:
            raise AdelieError(f"{source} [{name}]: {exc}") from None


def load_pipeline_config(path: str | Path, run_dir: str | Path, *, quick: bool = False) -> PipelineConfig:
    """The pipeline config in YAML file ``path`` resolved for ``run_dir`` (see ``pipeline_config_from_dict``)."""
    return pipeline_config_from_dict(read_yaml_mapping(path, f"sections {list(SECTIONS)}"), run_dir, quick=quick,
                                     source=str(path))
