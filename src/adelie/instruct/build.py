"""Build the IEInstruct corpus: train.jsonl, validation.jsonl and manifest.json in one output folder.

Order of work: the held-out guard's index of protected sentences; every train-role dataset's candidates
(`pool`); label vocabularies, demonstration pools and label examples (`render.Shared`); per dataset, a
label plan for every candidate, then a seeded selection under the dataset cap and the no-answer cap, then
rendering; general chat records mixed in; a seeded shuffle; atomic writes. Same config, same seed: the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adelie import __version__
from adelie.datasets import registry
from adelie.instruct import general as general_data
from adelie.instruct.config import InstructConfig
from adelie.instruct.explain import load_explanations
from adelie.instruct.guard import GuardReport, ProtectedIndex, protected_index
from adelie.instruct.length import TokenCounter, load_counter, percentiles
from adelie.instruct.manifest import GENERAL_TASK, KnobTally, summarize
from adelie.instruct.pool import Candidate, DatasetPool, build_pools
from adelie.instruct.records import dumps, metadata, write_text
from adelie.instruct.render import (
    SINGLE_LABEL,
    Draft,
    Shared,
    coarse_applies,
    finish,
    finish_distractors,
    has_synonyms,
    is_no_answer,
    plan_for,
    register,
    render,
)
from adelie.instruct.seeding import rng

SPLITS = ("train", "validation")
Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class SplitState:
    """Records of one output split and what happened on the way."""

    records: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    trimmed: int = 0
    too_long: dict[str, int] = field(default_factory=dict)
    explanation_drawn: int = 0
    explanation_sources: Counter[str] = field(default_factory=Counter)  # kept records' explanations by source
    selection: dict[str, dict[str, int]] = field(default_factory=dict)
    knobs: KnobTally = field(default_factory=KnobTally)


def select(cands: Sequence[Candidate], show: Callable[[Candidate, int], tuple[Any, Any]], cap: int,
           na_max: float, seed: int, name: str, split: str) -> list[tuple[Candidate, Any, Any]]:
    """A seeded choice of at most `cap` candidates, at most `na_max` of them no-answer, as (candidate, plan,
    shown) in a seeded order. Candidates are visited in that order and `show(candidate, rank)` (the label plan)
    is computed only until both quotas are full."""
    order = rng(seed, "select", name, split).sample(range(len(cands)), len(cands))
    na_limit = math.floor(na_max * cap)
    positive: list[tuple[int, Any, Any]] = []
    negative: list[tuple[int, Any, Any]] = []
    for rank, i in enumerate(order):
        if len(positive) >= cap and len(negative) >= na_limit:
            break
        plan, shown = show(cands[i], rank)
        (negative if is_no_answer(shown) else positive).append((rank, plan, shown))
    n_na = min(len(negative), na_limit)
    n_pos = min(len(positive), cap - n_na)
    if na_max < 1:
        n_na = min(n_na, math.floor(na_max / (1 - na_max) * n_pos + 1e-9))
    chosen = sorted(positive[:n_pos] + negative[:n_na], key=lambda t: t[0])
    return [(cands[order[rank]], plan, shown) for rank, plan, shown in chosen]


def _render_split(shared: Shared, pools: Sequence[DatasetPool], split: str, state: SplitState,
                  progress: Progress) -> None:
    cfg = shared.cfg
    drafts: list[tuple[DatasetPool, Candidate, Any, Draft]] = []
    for k, pool in enumerate(pools):
        progress(f"rendering {split}: {pool.name}", k, len(pools))
        cands = pool.train if split == "train" else pool.validation

        def show(c: Candidate, rank: int) -> tuple[Any, Any]:
            plan = plan_for(shared, c, rank, split)
            return plan, plan.apply(c.inst, shared.positions(c.task))

        if split == "validation":
            cap = cfg.validation_per_dataset
        else:
            cap = cfg.on_demand.cap if pool.name == "odie_synth" else cfg.cap_for(pool.name)
        chosen = select(cands, show, cap, cfg.no_answer_max, cfg.seed, pool.name, split)
        state.selection[pool.name] = {"candidates": len(cands), "selected": len(chosen)}
        drafts += [(pool, c, plan, render(shared, c, plan, shown, rank, split))
                   for rank, (c, plan, shown) in enumerate(chosen)]
    progress(f"counting tokens ({split})", len(pools), len(pools))
    if shared.counter is not None:
        shared.counter.texts([t for *_, d in drafts for t in d.texts()])
    for pool, c, plan, d in drafts:
        state.explanation_drawn += d.explanation_drawn
        out = finish(shared, d)
        if out.record is None:
            state.too_long[pool.name] = state.too_long.get(pool.name, 0) + 1
            continue
        state.records.append(out.record)
        if d.explanation_source is not None:
            state.explanation_sources[d.explanation_source] += 1
        state.knobs.add(c.inst.labels, plan, len(shared.vocab.get((pool.name, c.task), ())),
                        has_coarse=coarse_applies(shared, c), dropout_allowed=c.task not in SINGLE_LABEL,
                        has_synonyms=has_synonyms(shared, c), has_distractors=bool(shared.distractors.get(
                            (pool.name, c.task))), knobs=cfg.labels)
        state.trimmed += out.trimmed
        if out.tokens is not None:
            state.tokens.append(out.tokens)


def _general(cfg: InstructConfig, index: ProtectedIndex, guard: GuardReport, counter: TokenCounter | None,
             states: dict[str, SplitState]) -> dict[str, Any]:
    """Mix general conversations into each split: share x the split's IE records."""
    info: dict[str, Any] = {"share": cfg.general.share}
    if cfg.general.share <= 0:
        return info
    pool = general_data.load_sources(cfg.general.sources, cfg.general.dir, cfg.exclude_licences)
    kept = []
    for conv in pool.conversations:
        if index.text_hits(m["content"] for m in conv.messages):
            guard.dropped_general += 1
        else:
            kept.append(conv)
    order = rng(cfg.seed, "general").sample(range(len(kept)), len(kept))
    info.update({"available": len(kept), "skipped_empty": pool.skipped_empty,
                 "excluded_sources": pool.excluded_sources, "too_long": 0})
    pos = 0
    for split in SPLITS:
        state = states[split]
        want = round(cfg.general.share * len(state.records))
        added = 0
        while added < want and pos < len(order):
            conv = kept[order[pos]]
            pos += 1
            msgs = [dict(m) for m in conv.messages]
            n = counter.conversation(msgs) if counter is not None else None
            if n is not None and n > cfg.length.max_tokens:
                info["too_long"] += 1
                continue
            meta = metadata(dataset="general", task=GENERAL_TASK, example_id=conv.id, split=split,
                            source=conv.source)
            state.records.append({"messages": msgs, "metadata": meta})
            if n is not None:
                state.tokens.append(n)
            added += 1
        info[f"{split}_records"] = added
    return info


def _write(out: Path, name: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    lines = [dumps(r) + "\n" for r in records]
    write_text(out / name, lines)
    digest = hashlib.sha256("".join(lines).encode()).hexdigest()
    return {"records": len(lines), "sha256": digest}


def build_instruct(cfg: InstructConfig, out: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Build the corpus into `out` and return the manifest (also written as manifest.json)."""
    report = progress or (lambda *_: None)
    out = Path(out)
    start = time.perf_counter()
    report("indexing held-out splits", 0, 1)
    index = protected_index(cfg.data_dir)
    guard = GuardReport(protected_splits=list(index.splits))
    pools = build_pools(cfg, index, guard, lambda name: report(f"reading {name}", 0, 1))

    shared = Shared(cfg)
    for p in pools:
        register(shared, p.name, p.train, demo_pool=True)
        register(shared, p.name, p.validation, demo_pool=False)
        if p.name in registry.all_specs():
            spec = registry.get(p.name)
            shared.coarse[p.name] = {spec.label_name(raw): spec.coarse_name(c) for raw, c in spec.coarse.items()}
    finish_distractors(shared)
    if cfg.explanations.path:
        shared.explanations = load_explanations(cfg.explanations.path)
    shared.counter = load_counter(cfg.length.tokenizer)

    states = {split: SplitState() for split in SPLITS}
    for split in SPLITS:
        _render_split(shared, pools, split, states[split], report)
    general_info = _general(cfg, index, guard, shared.counter, states)
    for split in SPLITS:
        r = rng(cfg.seed, "shuffle", split)
        r.shuffle(states[split].records)

    files = {f"{split}.jsonl": _write(out, f"{split}.jsonl", states[split].records) for split in SPLITS}
    manifest = _manifest(cfg, pools, states, guard, general_info, shared, files)
    write_text(out / "manifest.json", [dumps_pretty(manifest)])
    report(f"done in {time.perf_counter() - start:.0f} s", 1, 1)
    return manifest


def dumps_pretty(data: Any) -> str:
    """Indented JSON with a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _manifest(cfg: InstructConfig, pools: Sequence[DatasetPool], states: dict[str, SplitState], guard: GuardReport,
              general_info: dict[str, Any], shared: Shared, files: dict[str, Any]) -> dict[str, Any]:
    train = summarize(states["train"].records)
    ie = train["ie_records"]
    drawn = states["train"].explanation_drawn
    explained = states["train"].explanation_sources
    datasets = {}
    for p in pools:
        datasets[p.name] = {
            "licence_class": p.licence_class, "train_split": p.train_split, "validation_from": p.validation_from,
            "examples_read": p.read, "skipped_invalid": p.skipped_invalid, "dropped_overlap": p.dropped_overlap,
            "train": states["train"].selection.get(p.name, {}),
            "validation": states["validation"].selection.get(p.name, {}),
            "too_long": {s: states[s].too_long.get(p.name, 0) for s in SPLITS},
        }
        if p.name == "odie_synth":
            sources: dict[str, int] = {}
            for c in p.train:
                sources[c.source] = sources.get(c.source, 0) + 1
            datasets[p.name]["candidates_by_source"] = sources
    return {
        "adelie_version": __version__,
        "seed": cfg.seed,
        "config": cfg.to_dict(),
        "files": files,
        "counts": {"train": train, "validation": summarize(states["validation"].records)},
        "rates": {
            "format": {f: {"configured": round(w / sum(cfg.formats.values()), 4),
                           "actual": train["rates"]["format"].get(f, 0.0)} for f, w in sorted(cfg.formats.items())},
            "few_shot": {"configured": cfg.few_shot.rate, "actual": train["rates"]["few_shot"],
                         "trimmed_for_length": states["train"].trimmed},
            "explanation": {"configured": cfg.explanations.rate, "drawn": round(drawn / ie, 4) if ie else 0.0,
                            "actual": train["rates"]["explanation"], "available": len(shared.explanations),
                            "fallback": cfg.explanations.fallback,
                            "by_source": {src: explained[src] for src in ("teacher", "gold")},
                            "validation_by_source": {src: states["validation"].explanation_sources[src]
                                                     for src in ("teacher", "gold")}},
            "no_answer": {"max_per_dataset": cfg.no_answer_max, "actual": train["rates"]["no_answer"],
                          "max_dataset": train["rates"]["no_answer_max_dataset"]},
            "general": {"configured": cfg.general.share, "actual": train["rates"]["general_share_of_ie"]},
            "label_knobs": states["train"].knobs.to_dict(cfg.labels),
            "knobs_in_prompts": train["rates"]["knobs"],
        },
        "datasets": datasets,
        "general": general_info,
        "length": {
            "tokenizer": cfg.length.tokenizer, "max_tokens": cfg.length.max_tokens,
            "base_tokens": shared.counter.base if shared.counter else None,
            "tokens_per_message": shared.counter.per_message if shared.counter else None,
            "too_long_dropped": {s: sum(states[s].too_long.values()) for s in SPLITS},
            "demonstrations_trimmed": {s: states[s].trimmed for s in SPLITS},
            "train_tokens": percentiles(states["train"].tokens),
            "validation_tokens": percentiles(states["validation"].tokens),
        },
        "guard": guard.to_dict(),
    }
