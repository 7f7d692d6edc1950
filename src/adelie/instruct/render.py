"""Turning a candidate into a chat record: label plan, template, format, explanation, demonstrations, notes.

Every decision for a record draws from a random stream named after the record (`seeding.rng`), and the
rate decisions from its rank in its dataset's seeded order (`seeding.spread`), so a record renders the same
whatever the other datasets of the build are. Demonstrations are earlier user/assistant turns from the same
dataset (never the same example), rendered with the record's template, format and label plan; label notes
and the explanation request go in the final user turn only. A record drawn for an explanation gets the
teacher's (`adelie build explain`) when one matches its gold answer, else a gold-derived rationale
(`rationale.gold_rationale`, unless `explanations.fallback` is "none").
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adelie.instruct.config import InstructConfig
from adelie.instruct.explain import gold_signature, instance_key
from adelie.instruct.labels import LabelExamples, LabelPlan, label_notes, label_positions, plan_labels
from adelie.instruct.length import TokenCounter, fit
from adelie.instruct.pool import Candidate
from adelie.instruct.rationale import gold_rationale
from adelie.instruct.records import metadata
from adelie.instruct.seeding import rng, spread, weighted_at
from adelie.schema import Task
from adelie.tasks import get_task
from adelie.tasks import labels as label_resources
from adelie.tasks.base import IETask, Instance

Message = dict[str, str]
EXPLAIN_REQUESTS = (
    "Explain your reasoning first, after `[Explanation]:`, then give the answer.",
    "Start with a short explanation (`[Explanation]: ...`), then the answer on a new line.",
    "Before answering, justify the answer briefly after `[Explanation]:`.",
)
# The label resource kind of each task's options (None: the task offers no labels with resources).
LABEL_KIND: dict[Task, str] = {
    Task.NER: "entity", Task.RELATION_CLASSIFICATION: "relation", Task.RELATION_EXTRACTION: "relation",
    Task.EVENT_DETECTION: "event", Task.EVENT_ARGUMENTS: "role",
}
# Tasks whose single gold label must stay among the options (dropping it would change the question).
SINGLE_LABEL = frozenset({Task.RELATION_CLASSIFICATION, Task.EVENT_RELATION})


@dataclass
class Shared:
    """Build-wide state the renderer reads: label vocabularies, demonstration pools, explanations, tokens."""

    cfg: InstructConfig
    vocab: dict[tuple[str, Task], list[str]] = field(default_factory=dict)  # (dataset, task) -> labels
    distractors: dict[tuple[str, Task], list[str]] = field(default_factory=dict)
    coarse: dict[str, dict[str, str]] = field(default_factory=dict)  # dataset -> readable fine -> coarse
    demos: dict[tuple[str, Task], list[Candidate]] = field(default_factory=dict)
    examples: LabelExamples = field(default_factory=LabelExamples)
    explanations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    counter: TokenCounter | None = None

    def task(self, task: Task) -> IETask:
        return get_task(task)

    def positions(self, task: Task) -> tuple[int, ...]:
        return label_positions(get_task(task).fields)


def register(shared: Shared, dataset: str, cands: Sequence[Candidate], demo_pool: bool) -> None:
    """Record the label vocabulary (and, for training candidates, the demonstrations and label examples)."""
    for c in cands:
        vocab = shared.vocab.setdefault((dataset, c.task), [])
        for lab in c.inst.labels:
            if lab not in vocab:
                vocab.append(lab)
        if demo_pool:
            shared.demos.setdefault((dataset, c.task), []).append(c)
            shared.examples.add(c.inst, shared.positions(c.task))


def finish_distractors(shared: Shared) -> None:
    """Each (dataset, task)'s distractor pool: the labels of the other datasets of the same task, minus its
    own labels and the stoplist (compared ignoring case)."""
    stop = {s.casefold() for s in shared.cfg.labels.distractor_stoplist}
    for (dataset, task), own in shared.vocab.items():
        mine = {lab.casefold() for lab in own} | stop
        others = {lab for (d, t), labs in shared.vocab.items() if t == task and d != dataset for lab in labs}
        shared.distractors[(dataset, task)] = sorted(lab for lab in others if lab.casefold() not in mine)


def _synonyms(kind: str | None):
    def find(name: str) -> Sequence[str]:
        return label_resources.synonyms(name, kind) if kind else ()  # type: ignore[arg-type]
    return find


def coarse_applies(shared: Shared, cand: Candidate) -> bool:
    """Whether the candidate's dataset has coarse types for its task's labels."""
    return bool(shared.coarse.get(cand.dataset)) and cand.task in (Task.NER, Task.EVENT_DETECTION)


def has_synonyms(shared: Shared, cand: Candidate) -> bool:
    """Whether any label of the candidate's dataset and task has a synonym."""
    find = _synonyms(LABEL_KIND.get(cand.task))
    return any(find(lab) for lab in shared.vocab.get((cand.dataset, cand.task), ()))


def plan_for(shared: Shared, cand: Candidate, rank: int, sequence: str) -> LabelPlan:
    """The label plan of a candidate's record (identity for tasks without labels). `rank` is the candidate's
    position in the seeded order of its dataset's `sequence` ("train" or "validation"): knob decisions are
    spread along it (`seeding.spread`)."""
    if not shared.positions(cand.task) or not cand.inst.labels:
        return LabelPlan()
    seed = shared.cfg.seed
    r = rng(seed, "plan", cand.dataset, cand.key)
    return plan_labels(
        r, shared.cfg.labels, shared.vocab.get((cand.dataset, cand.task), list(cand.inst.labels)),
        distractor_pool=shared.distractors.get((cand.dataset, cand.task), ()),
        coarse=shared.coarse.get(cand.dataset) if coarse_applies(shared, cand) else None,
        synonyms=_synonyms(LABEL_KIND.get(cand.task)),
        allow_dropout=cand.task not in SINGLE_LABEL,
        draw=lambda decision: spread(seed, rank, decision, cand.dataset, sequence),
    )


def is_no_answer(inst: Instance) -> bool:
    """Whether the gold answer of `inst` is empty."""
    if inst.table is not None:
        return not inst.table.rows
    return not inst.gold


@dataclass
class Draft:
    """A record before the length limit: demonstration turns, the query turns and the metadata."""

    turns: list[list[Message]]
    query: list[Message]
    meta: dict[str, Any]
    explanation_drawn: bool = False
    explanation_source: str | None = None  # "teacher" or "gold" when the record has an explanation

    def texts(self) -> list[str]:
        return [m["content"] for t in [*self.turns, self.query] for m in t]


@dataclass
class Rendered:
    """A finished record (None: too long even without demonstrations), its length and whether
    demonstrations were dropped to fit."""

    record: dict[str, Any] | None
    tokens: int | None = None
    trimmed: bool = False


def finish(shared: Shared, draft: Draft) -> Rendered:
    """Fit a draft under the length limit (dropping its earliest demonstrations) and make the record."""
    kept, tokens = fit(shared.counter, draft.turns, draft.query, shared.cfg.length.max_tokens)
    if shared.counter is not None and tokens is None:
        return Rendered(None)
    meta = {**draft.meta, "shots": len(kept)}
    return Rendered({"messages": [m for t in kept for m in t] + draft.query, "metadata": meta}, tokens,
                    len(kept) < len(draft.turns))


def _pick_demos(r: random.Random, pool: Sequence[Candidate], cand: Candidate, k: int) -> list[Candidate]:
    if not k or not pool:
        return []
    picks = r.sample(range(len(pool)), min(len(pool), k + 8))
    out = [pool[i] for i in picks if pool[i].inst.example_id != cand.inst.example_id]
    return out[:k]


def render(shared: Shared, cand: Candidate, plan: LabelPlan, shown: Instance, rank: int, sequence: str) -> Draft:
    """The draft record of `cand` (shown as `shown` under `plan`); `rank` is its position among the selected
    records of its dataset's `sequence`, along which format, few-shot and explanation draws are spread."""
    cfg = shared.cfg
    task = shared.task(cand.task)
    positions = shared.positions(cand.task)
    r = rng(cfg.seed, "render", cand.dataset, cand.key)

    def u(decision: str) -> float:
        return spread(cfg.seed, rank, decision, cand.dataset, sequence)

    template = r.choice(list(task.templates("train")))
    fmt = weighted_at(u("format"), cfg.formats)
    explain_drawn = u("explanation") < cfg.explanations.rate
    few = u("few_shot") < cfg.few_shot.rate
    shots = r.randint(cfg.few_shot.min_shots, cfg.few_shot.max_shots) if few else 0
    # demonstrations come from the training pool, for validation records too
    demos = _pick_demos(r, shared.demos.get((cand.dataset, cand.task), ()), cand, shots)

    explanation, source = explain(shared, cand, shown) if explain_drawn else (None, None)
    na = cfg.no_answer
    prompt = task.render_prompt(shown, template, fmt, na)
    notes, used = label_notes(rng(cfg.seed, "notes", cand.dataset, cand.key), plan, cand.task.value, shown.labels,
                              shown.text, cfg.labels, _describer(LABEL_KIND.get(cand.task)), shared.examples)
    if notes:
        prompt += "\n\n" + notes
    if explanation is not None:
        prompt += "\n" + r.choice(EXPLAIN_REQUESTS)
    query = [{"role": "user", "content": prompt},
             {"role": "assistant", "content": task.render_answer(shown, fmt, explanation, na)}]
    turns = []
    for d in demos:
        d_shown = plan.apply(d.inst, positions)
        turns.append([{"role": "user", "content": task.render_prompt(d_shown, template, fmt, na)},
                      {"role": "assistant", "content": task.render_answer(d_shown, fmt, None, na)}])
    meta = metadata(
        dataset=cand.dataset, task=cand.task.value, example_id=cand.inst.example_id, split=cand.split,
        template=template.id, fmt=fmt, shots=len(turns), has_explanation=explanation is not None,
        no_answer=is_no_answer(shown), knobs=[*plan.knobs, *used], source=cand.source or None,
    )
    return Draft(turns, query, meta, explain_drawn, source)


def explain(shared: Shared, cand: Candidate, shown: Instance) -> tuple[str | None, str | None]:
    """The explanation of a record drawn for one, and its source: the teacher's when there is one for this
    gold answer as shown, else (with `explanations.fallback: gold`) a rationale made from the gold answer."""
    found = shared.explanations.get(instance_key(cand.inst))
    if found is not None and found.get("gold") == gold_signature(shown):
        return str(found["explanation"]), "teacher"
    if shared.cfg.explanations.fallback == "gold":
        r = rng(shared.cfg.seed, "rationale", cand.dataset, cand.key)
        return gold_rationale(shown, shown.gold, shown.labels, r), "gold"
    return None, None


def _describer(kind: str | None):
    def describe(name: str) -> str | None:
        return label_resources.description(name, kind) if kind else None  # type: ignore[arg-type]
    return describe
