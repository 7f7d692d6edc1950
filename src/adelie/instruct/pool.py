"""The candidate pool: the instances that training and validation records can be made from.

For each train-role dataset: its train-role split (checked with `registry.check_trainable`) read once, examples
sharing a sentence with a protected split dropped, validation examples taken from the dataset's dev split (or
held back from train when it has none), and every task's instances made by the task modules. Synthetic
on-demand examples are made from the kept training examples of the source datasets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adelie.datasets import registry
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import DatasetSpec
from adelie.errors import AdelieError
from adelie.instruct import ondemand
from adelie.instruct.config import InstructConfig
from adelie.instruct.guard import GuardReport, ProtectedIndex
from adelie.instruct.seeding import rng
from adelie.schema import Example, Task
from adelie.tasks import get_task
from adelie.tasks.base import Instance


@dataclass(frozen=True)
class Candidate:
    """One instance that a record can be made from."""

    dataset: str  # the record's dataset ("odie_synth" for synthetic on-demand items)
    split: str
    inst: Instance
    key: str  # unique within the dataset: the instance id
    source: str = ""  # the dataset a synthetic item was made from

    @property
    def task(self) -> Task:
        return self.inst.task


@dataclass
class DatasetPool:
    """A dataset's candidates and how they were obtained."""

    name: str
    licence_class: str
    train_split: str
    validation_from: str  # a dev split name, or "held back from <split>"
    train: list[Candidate] = field(default_factory=list)
    validation: list[Candidate] = field(default_factory=list)
    train_examples: list[Example] = field(default_factory=list)
    validation_examples: list[Example] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)  # split -> examples read
    skipped_invalid: int = 0
    dropped_overlap: int = 0


def train_datasets(cfg: InstructConfig) -> list[tuple[DatasetSpec, str]]:
    """(spec, train-role split) of every dataset the config asks for, each checked with check_trainable.
    Naming a dataset that has no train-role split raises HeldOutError."""
    licences = [c for c in ("open", "non-commercial", "research-only", "unstated") if c not in cfg.exclude_licences]
    pairs = registry.training_pool(licences=licences, names=cfg.datasets)
    excluded = set(cfg.exclude_datasets)
    unknown = sorted(excluded - set(registry.all_specs()))
    if unknown:
        raise AdelieError(f"exclude_datasets names unknown datasets: {', '.join(unknown)}")
    out = []
    for spec, split in pairs:
        if spec.name in excluded:
            continue
        registry.check_trainable(spec.name, split.name)
        out.append((spec, split.name))
    if not out:
        raise AdelieError("the config selects no train-role dataset (check datasets, exclude_datasets and "
                          "exclude_licences)")
    return out


def _read(spec: DatasetSpec, split: str, root: str | Path | None, pool: DatasetPool) -> list[Example]:
    ctx = ReadContext(skip_invalid=True)
    examples = list(registry.iter_examples(spec.name, split, root, ctx))
    pool.read[split] = len(examples)
    pool.skipped_invalid += len(ctx.skipped)
    return examples


def _clean(examples: list[Example], where: str, index: ProtectedIndex, guard: GuardReport, pool: DatasetPool
           ) -> list[Example]:
    kept = []
    for ex in examples:
        hits = index.example_hits(ex)
        if hits:
            guard.note(where, hits)
            pool.dropped_overlap += 1
        else:
            kept.append(ex)
    return kept


def candidates(examples: Sequence[Example], spec: DatasetSpec, split: str) -> list[Candidate]:
    """Every task's instances of `examples`, as candidates."""
    out = []
    for task in spec.tasks:
        module = get_task(task)
        for ex in examples:
            for i, inst in enumerate(module.instances_from_spec(ex, spec)):
                key = str(inst.meta.get("instance_id") or f"{ex.id}#{i}")
                out.append(Candidate(spec.name, split, inst, f"{task.value}:{key}"))
    return out


def read_pool(
    spec: DatasetSpec, split: str, cfg: InstructConfig, index: ProtectedIndex, guard: GuardReport
) -> DatasetPool:
    """The candidates of one dataset (see the module docstring)."""
    dev = next((s.name for s in spec.splits if s.role == "dev"), None)
    pool = DatasetPool(spec.name, spec.licence_class, split, dev or f"held back from {split}")
    guard.trainable_checked.append(f"{spec.name}/{split}")
    train = _clean(_read(spec, split, cfg.data_dir, pool), f"{spec.name}/{split}", index, guard, pool)
    if dev is not None and cfg.validation_per_dataset:
        val = _clean(_read(spec, dev, cfg.data_dir, pool), f"{spec.name}/{dev}", index, guard, pool)
    else:
        n = min(cfg.validation_per_dataset, len(train) // 10)
        held = set(rng(cfg.seed, "validation", spec.name).sample(range(len(train)), n))
        val = [ex for i, ex in enumerate(train) if i in held]
        train = [ex for i, ex in enumerate(train) if i not in held]
    pool.train_examples, pool.validation_examples = train, val
    pool.train = candidates(train, spec, split)
    pool.validation = candidates(val, spec, dev or split)
    return pool


def on_demand_pool(pools: Sequence[DatasetPool], cfg: InstructConfig) -> DatasetPool:
    """Synthetic on-demand candidates, an equal quota from each source dataset (train and validation)."""
    names = cfg.on_demand.sources
    by_name = {p.name: p for p in pools}
    if names is not None:
        missing = sorted(set(names) - set(by_name))
        if missing:
            raise AdelieError(f"on_demand.sources names datasets that are not in the build: {', '.join(missing)}")
    sources = [by_name[n] for n in names] if names is not None else list(pools)
    specs = {p.name: registry.get(p.name) for p in sources}
    sources = [p for p in sources if specs[p.name].entity_labels or specs[p.name].relation_labels
               or specs[p.name].event_types]
    pool = DatasetPool(ondemand.DATASET, "mixed", "train", "validation examples of the sources")
    if not sources:
        return pool
    module = get_task(Task.ON_DEMAND)
    per_train = share(cfg.on_demand.cap, [len(p.train_examples) for p in sources])
    per_val = share(cfg.validation_per_dataset, [len(p.validation_examples) for p in sources])

    def make(examples: list[Example], spec: DatasetSpec, quota: int, split: str, out: list[Candidate]) -> None:
        order = rng(cfg.seed, "on-demand-order", spec.name, split).sample(range(len(examples)), len(examples))
        made = 0
        for i in order[: quota * 3]:
            synth = ondemand.synthesize(rng(cfg.seed, "on-demand", spec.name, examples[i].id), examples[i], spec)
            if synth is None:
                continue
            for j, inst in enumerate(module.instances(synth, {})):
                out.append(Candidate(ondemand.DATASET, split, inst, f"{synth.id}#{j}", source=spec.name))
            made += 1
            if made >= quota:
                break

    for p, n_train, n_val in zip(sources, per_train, per_val, strict=True):
        make(p.train_examples, specs[p.name], n_train, "train", pool.train)
        make(p.validation_examples, specs[p.name], n_val, "validation", pool.validation)
    return pool


def share(total: int, sizes: Sequence[int]) -> list[int]:
    """Split `total` into equal quotas, a source smaller than its quota giving the rest to the others."""
    quotas = [0] * len(sizes)
    left, open_ = total, sorted(range(len(sizes)), key=lambda i: (sizes[i], i))
    while open_ and left > 0:
        each = math.ceil(left / len(open_))
        i = open_.pop(0)
        quotas[i] = min(sizes[i], each)
        left -= quotas[i]
    return quotas


def build_pools(
    cfg: InstructConfig, index: ProtectedIndex, guard: GuardReport,
    progress: Callable[[str], None] = lambda _: None,
) -> list[DatasetPool]:
    """Every dataset's pool, then the synthetic on-demand pool when enabled."""
    pools = []
    for spec, split in train_datasets(cfg):
        progress(spec.name)
        pools.append(read_pool(spec, split, cfg, index, guard))
    if cfg.on_demand.enabled and cfg.on_demand.cap:
        progress(ondemand.DATASET)
        pools.append(on_demand_pool(pools, cfg))
    for p in pools:  # the examples were kept for the synthesis only
        p.train_examples, p.validation_examples = [], []
    return pools
