"""Held-out evaluation prompts: one JSONL per held-out dataset, in the training record format.

Each record is the conversation (k demonstrations as earlier turns, then the prompt, then the gold answer
as the last assistant turn), its metadata, and `instance`: the prompt's `Instance` as JSON, from which the
evaluator rebuilds it (`records.instance_from_dict`) to call the task's parser and scorer. Prompts use the
evaluation-only templates and the canonical format, without label knobs. Held-out datasets have no training
split, so demonstrations come from the training data of the same task (the train-role datasets, cleaned by
the held-out guard; on-demand demonstrations are synthesised as for training).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from adelie.datasets import registry
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import DatasetSpec
from adelie.errors import AdelieError
from adelie.instruct.build import dumps_pretty
from adelie.instruct.config import InstructConfig
from adelie.instruct.guard import GuardReport, protected_index
from adelie.instruct.pool import Candidate, DatasetPool, build_pools
from adelie.instruct.records import dumps, instance_to_dict, metadata, write_text
from adelie.instruct.seeding import rng
from adelie.schema import Task
from adelie.tasks import get_task

Progress = Callable[[str], None]


def eval_splits(spec: DatasetSpec) -> list[str]:
    """The held-out splits of `spec` to evaluate on: its `test` split when that is held out, else all of its
    held-out splits (MATRES: TimeBank, AQUAINT and Platinum)."""
    held = [s.name for s in spec.splits if s.role == "held-out"]
    return ["test"] if "test" in held else held


def held_out_datasets(names: Sequence[str] | None = None) -> list[DatasetSpec]:
    """Every registered dataset with a held-out split (or the named ones, which must have one)."""
    specs = [s for s in registry.all_specs().values() if eval_splits(s)]
    if names is None:
        return specs
    wanted = [registry.get(n) for n in names]
    bad = [s.name for s in wanted if not eval_splits(s)]
    if bad:
        raise AdelieError(f"{', '.join(bad)} has no held-out split to evaluate on")
    return wanted


def _demo_pools(tasks: set[Task], seed: int, data_dir: str | None, progress: Progress) -> dict[Task, list[Candidate]]:
    """Training candidates of each task, from every train-role dataset of that task."""
    needed = {spec.name for spec, _ in registry.training_pool() if set(spec.tasks) & tasks}
    if Task.ON_DEMAND in tasks:
        needed = {spec.name for spec, _ in registry.training_pool()}
    if not needed:
        return {}
    cfg = InstructConfig(seed=seed, data_dir=data_dir, datasets=sorted(needed), validation_per_dataset=0)
    cfg.on_demand.enabled = Task.ON_DEMAND in tasks
    index = protected_index(data_dir)
    pools: list[DatasetPool] = build_pools(cfg, index, GuardReport(), progress)
    out: dict[Task, list[Candidate]] = {}
    for p in pools:
        for c in p.train:
            if c.task in tasks:
                out.setdefault(c.task, []).append(c)
    return out


def build_eval_prompts(
    out: str | Path,
    shots: int = 0,
    names: Sequence[str] | None = None,
    seed: int = 42,
    limit: int | None = None,
    data_dir: str | None = None,
    no_answer: str = "NA",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write `<dataset>.jsonl` for every held-out dataset into `out`, and `manifest.json`; the manifest."""
    report = progress or (lambda _: None)
    start = time.perf_counter()
    specs = held_out_datasets(names)
    demo_pool = _demo_pools({t for s in specs for t in s.tasks}, seed, data_dir, report) if shots else {}
    out = Path(out)
    summary: dict[str, Any] = {}
    for spec in specs:
        report(f"prompts for {spec.name}")
        records = []
        for split in eval_splits(spec):
            ctx = ReadContext(skip_invalid=True)
            examples = list(registry.iter_examples(spec.name, split, data_dir, ctx))
            for task in spec.tasks:
                module = get_task(task)
                templates = list(module.templates("eval"))
                for ex in examples:
                    for i, inst in enumerate(module.instances_from_spec(ex, spec)):
                        key = str(inst.meta.get("instance_id") or f"{ex.id}#{i}")
                        records.append(_record(module, inst, spec.name, split, key, templates,
                                               demo_pool.get(task, []), shots, seed, no_answer))
        if limit is not None and len(records) > limit:
            keep = set(rng(seed, "eval-limit", spec.name).sample(range(len(records)), limit))
            records = [r for i, r in enumerate(records) if i in keep]
        write_text(out / f"{spec.name}.jsonl", (dumps(r) + "\n" for r in records))
        summary[spec.name] = {
            "splits": eval_splits(spec), "tasks": [t.value for t in spec.tasks], "records": len(records),
            "with_demonstrations": sum(r["metadata"]["shots"] > 0 for r in records),
        }
    missing = sorted({t.value for s in specs for t in s.tasks if shots and not demo_pool.get(t)})
    manifest = {
        "shots": shots, "seed": seed, "no_answer": no_answer, "limit": limit, "datasets": summary,
        "tasks_without_demonstrations": missing,
        "record_format": "messages (demonstrations, prompt, gold answer last) + metadata + instance",
    }
    write_text(out / "manifest.json", [dumps_pretty(manifest)])
    report(f"done in {time.perf_counter() - start:.0f} s")
    return manifest


def _record(module: Any, inst: Any, dataset: str, split: str, key: str, templates: list, pool: list[Candidate],
            shots: int, seed: int, no_answer: str) -> dict[str, Any]:
    r = rng(seed, "eval", dataset, key)
    template = r.choice(templates)
    messages = []
    if shots and pool:
        for i in r.sample(range(len(pool)), min(shots, len(pool))):
            demo = pool[i].inst
            messages += [{"role": "user", "content": module.render_prompt(demo, template, "canonical", no_answer)},
                         {"role": "assistant", "content": module.render_answer(demo, "canonical", None, no_answer)}]
    messages += [{"role": "user", "content": module.render_prompt(inst, template, "canonical", no_answer)},
                 {"role": "assistant", "content": module.render_answer(inst, "canonical", None, no_answer)}]
    meta = metadata(dataset=dataset, task=inst.task.value, example_id=inst.example_id, split=split,
                    template=template.id, fmt="canonical", shots=len(messages) // 2 - 1,
                    no_answer=not (inst.table.rows if inst.table is not None else inst.gold))
    return {"messages": messages, "metadata": meta, "instance": instance_to_dict(inst)}
