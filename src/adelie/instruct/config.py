"""The IEInstruct build configuration: every diversity knob in one dataclass, ADELIE's values as defaults.

A YAML file sets any subset of the fields (nested sections as mappings); unknown keys and wrong types are
errors naming the file and the key. `InstructConfig()` is the built-in default: every train-role dataset,
5,000 records each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from adelie.configfile import read_yaml_mapping
from adelie.errors import AdelieError

_STRICT = ConfigDict(extra="forbid")


@dataclass
class LabelKnobs:
    """How the offered label set is varied. Rates are per record."""

    __pydantic_config__ = _STRICT

    description_rate: float = 0.2  # add a definition of each label ...
    description_max_labels: int = 10  # ... when the record offers at most this many labels
    example_rate: float = 0.2  # add "such as A, B, C" from the dataset's training mentions ...
    example_max_labels: int = 15  # ... when the record offers at most this many labels
    examples_per_label: int = 3
    class_dropout: float = 0.1  # each label leaves the options (and its gold leaves the answer) with this rate
    coarse_rate: float = 0.2  # use coarse types instead of fine ones, where the dataset has a hierarchy
    synonym_rate: float = 0.1  # rename labels to synonyms (tasks.labels.synonyms) ...
    synonym_share: float = 0.5  # ... each label with this probability
    symbolic_rate: float = 0.05  # replace label names by symbols ("LABEL_3", "type A"), legend in the prompt ...
    symbolic_max_labels: int = 20  # ... for label sets of at most this many labels (a legend of 60 codes is noise)
    distractors: bool = True  # add labels of other datasets of the same task to the options
    distractor_rate: float = 0.5
    distractor_max: int = 3
    # labels too common to be distractors: most texts mention them, so offering them would teach the model
    # to ignore real mentions that the dataset did not annotate
    distractor_stoplist: list[str] = field(
        default_factory=lambda: ["person", "location", "organization", "miscellaneous", "other", "time", "date",
                                 "number", "place"]
    )


@dataclass
class FewShot:
    """Few-shot conversion: demonstrations as earlier user/assistant turns from the same dataset's train split."""

    __pydantic_config__ = _STRICT

    rate: float = 0.5
    min_shots: int = 1
    max_shots: int = 8


EXPLANATION_FALLBACKS = ("gold", "none")


@dataclass
class Explanations:
    """`[Explanation]: ... [Answer]: ...` records: their share, the teacher explanations to merge (`adelie build
    explain`), and what a record drawn for one gets when the teacher has none for it."""

    __pydantic_config__ = _STRICT

    rate: float = 0.1
    path: str | None = None  # explanations JSONL written by `adelie build explain`
    fallback: str = "gold"  # "gold": a rationale made from the gold answer (instruct.rationale); "none": no explanation


@dataclass
class General:
    """General chat data mixed into the IE records."""

    __pydantic_config__ = _STRICT

    share: float = 0.1  # general records = share x IE records
    dir: str | None = None  # default: $ADELIE_GENERAL_DIR, else ../shared/general
    sources: list[str] | None = None  # built-in source names or paths to JSONL/JSON files; None: all built-ins


@dataclass
class OnDemand:
    """Synthetic on-demand IE items made from gold annotations of train-role datasets."""

    __pydantic_config__ = _STRICT

    enabled: bool = True
    cap: int = 5000  # records of the synthetic "odie_synth" dataset in total
    sources: list[str] | None = None  # datasets to draw from; None: every train-role dataset with annotations


@dataclass
class Length:
    """The length limit, in tokens of the target model's tokenizer."""

    __pydantic_config__ = _STRICT

    tokenizer: str | None = "default"  # adelie.models.load_tokenizer spec; None: no limit, lengths not counted
    max_tokens: int = 4096  # records longer lose demonstrations, then are dropped


@dataclass
class InstructConfig:
    """Everything that decides the IEInstruct corpus; the same config and seed give byte-identical files."""

    __pydantic_config__ = _STRICT

    seed: int = 42
    datasets: list[str] | None = None  # None: every train-role dataset
    exclude_datasets: list[str] = field(default_factory=list)
    exclude_licences: list[str] = field(default_factory=list)  # e.g. ["non-commercial"] (IE and general data)
    data_dir: str | None = None  # default: $ADELIE_DATA_DIR, else ../shared/datasets
    per_dataset_cap: int = 5000
    caps: dict[str, int] = field(default_factory=dict)  # per-dataset overrides of the cap
    validation_per_dataset: int = 100  # from the dataset's dev split when it has one, else held back from train
    no_answer_max: float = 0.2  # at most this share of a dataset's records have an empty answer
    no_answer: str = "NA"  # what an empty answer says
    formats: dict[str, float] = field(default_factory=lambda: {"canonical": 0.8, "json": 0.1, "natural": 0.1})
    labels: LabelKnobs = field(default_factory=LabelKnobs)
    few_shot: FewShot = field(default_factory=FewShot)
    explanations: Explanations = field(default_factory=Explanations)
    general: General = field(default_factory=General)
    on_demand: OnDemand = field(default_factory=OnDemand)
    length: Length = field(default_factory=Length)

    def cap_for(self, dataset: str) -> int:
        """The record cap of `dataset`."""
        return self.caps.get(dataset, self.per_dataset_cap)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data (for the manifest and for saving as YAML)."""
        return asdict(self)


_ADAPTER = TypeAdapter(InstructConfig)


def config_from_dict(data: dict[str, Any], source: str = "config") -> InstructConfig:
    """Validate `data` into a config; errors name `source` and the offending key."""
    try:
        cfg = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise AdelieError(f"{source}: invalid IEInstruct config: {problems}") from None
    check(cfg, source)
    return cfg


def load_config(path: str | Path | None = None) -> InstructConfig:
    """The config in YAML file `path`, or the built-in default when `path` is None. A file with an `instruct:`
    section (a pipeline config, which also holds other stages' sections) gives that section."""
    if path is None:
        return InstructConfig()
    data = read_yaml_mapping(path)
    if "instruct" in data:
        data = data["instruct"] if data["instruct"] is not None else {}
        if not isinstance(data, dict):
            raise AdelieError(f"{path}: the `instruct` section must be a mapping of config fields")
    return config_from_dict(data, str(path))


def check(cfg: InstructConfig, source: str = "config") -> None:
    """Raise AdelieError when a value is out of range (rates outside [0, 1], unknown formats...)."""
    from adelie.tasks.base import FORMATS

    rates = {
        "no_answer_max": cfg.no_answer_max, "few_shot.rate": cfg.few_shot.rate,
        "explanations.rate": cfg.explanations.rate, "general.share": cfg.general.share,
        **{f"labels.{k}": v for k, v in asdict(cfg.labels).items() if k.endswith(("_rate", "_share", "dropout"))},
    }
    for name, value in rates.items():
        if not 0.0 <= value <= 1.0:
            raise AdelieError(f"{source}: {name} must be between 0 and 1, got {value}")
    unknown = sorted(set(cfg.formats) - set(FORMATS))
    if unknown or not cfg.formats or any(w < 0 for w in cfg.formats.values()) or sum(cfg.formats.values()) <= 0:
        raise AdelieError(
            f"{source}: formats must map some of {list(FORMATS)} to non-negative weights with a positive sum; "
            f"got {cfg.formats}"
        )
    if not 0 <= cfg.few_shot.min_shots <= cfg.few_shot.max_shots or cfg.few_shot.max_shots < 1:
        raise AdelieError(f"{source}: few_shot needs 0 <= min_shots <= max_shots and max_shots >= 1")
    for name, value in (("per_dataset_cap", cfg.per_dataset_cap), ("on_demand.cap", cfg.on_demand.cap),
                        ("validation_per_dataset", cfg.validation_per_dataset), *cfg.caps.items()):
        if value < 0:
            raise AdelieError(f"{source}: {name} must not be negative, got {value}")
    if cfg.explanations.fallback not in EXPLANATION_FALLBACKS:
        raise AdelieError(f"{source}: explanations.fallback must be one of {', '.join(EXPLANATION_FALLBACKS)}, "
                          f"got {cfg.explanations.fallback!r}")
    if cfg.length.max_tokens < 16:
        raise AdelieError(f"{source}: length.max_tokens must be at least 16, got {cfg.length.max_tokens}")
