"""Label-set diversity: which labels a record offers, under which names, and what the prompt says about them.

A `LabelPlan` is decided once per record and applied by label name to the query instance and to every
demonstration, so a renamed, symbolic or dropped label is treated the same way in every turn. Knobs:
class dropout (a dropped label's gold leaves the answer), coarse types (where the dataset has a hierarchy),
synonyms, symbolic names (with a legend), distractor labels from other datasets of the same task, and label
notes (definitions, "such as A, B, C" examples from training mentions) appended to the prompt.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from adelie.instruct.config import LabelKnobs
from adelie.tasks.base import Instance, Item

# Item fields that hold a label name (as offered in the prompt) rather than text from the input.
LABEL_FIELDS = frozenset({"type", "label", "relation", "role", "event_type", "entity_type", "relation_type"})
SYMBOL_STYLES: tuple[Callable[[int], str], ...] = (
    lambda i: f"LABEL_{i}",
    lambda i: f"type {_letters(i)}",
    lambda i: f"T{i}",
    lambda i: f"class {_letters(i)}",
)
NOTE_HEADERS = ("Label definitions:", "What the labels mean:", "Notes on the labels:", "Label guide:")
SYMBOL_HEADERS = ("The labels are codes. Legend:", "Use these label codes:", "Label codes and their meaning:")


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def label_positions(fields: Sequence[str]) -> tuple[int, ...]:
    """Positions of label-valued fields in a task's items."""
    return tuple(i for i, f in enumerate(fields) if f in LABEL_FIELDS)


@dataclass(frozen=True)
class LabelPlan:
    """How one record's labels are shown. Identity by default."""

    rename: Mapping[str, str] = field(default_factory=dict)  # label -> shown name
    drop: frozenset[str] = frozenset()
    distractors: tuple[str, ...] = ()  # extra options, in their shown form
    describe: bool = False
    exemplify: bool = False
    order_key: str = ""  # shuffles the options when distractors are added
    knobs: tuple[str, ...] = ()  # names of the knobs that fired

    def shown(self, label: str) -> str:
        return self.rename.get(label, label)

    def apply(self, inst: Instance, positions: Sequence[int]) -> Instance:
        """`inst` with its options and gold items as this plan shows them. Dropout never empties the options."""
        if not positions and not inst.labels:
            return inst
        kept = [lab for lab in inst.labels if lab not in self.drop] or list(inst.labels)
        dropped = set(inst.labels) - set(kept)
        options = list(dict.fromkeys(self.shown(lab) for lab in kept))
        extra = [d for d in self.distractors if d not in options]
        if extra:
            options = sorted(options + extra, key=lambda s: hashlib.sha256(f"{self.order_key}\x1f{s}".encode())
                             .hexdigest())
        gold: list[Item] = []
        for item in inst.gold:
            if any(item[p] in dropped for p in positions if p < len(item)):
                continue
            new = tuple(self.shown(v) if p in positions else v for p, v in enumerate(item))
            if new not in gold:
                gold.append(new)
        return replace(inst, labels=tuple(options), gold=tuple(gold))

    def original(self, shown: str) -> list[str]:
        """The labels shown as `shown` (several for a coarse type; itself for a distractor or an unchanged label)."""
        found = [k for k, v in self.rename.items() if v == shown]
        return found or [shown]


def plan_labels(
    r: random.Random,
    knobs: LabelKnobs,
    vocab: Sequence[str],
    *,
    distractor_pool: Sequence[str] = (),
    coarse: Mapping[str, str] | None = None,
    synonyms: Callable[[str], Sequence[str]] = lambda _: (),
    allow_dropout: bool = True,
    draw: Callable[[str], float] | None = None,
) -> LabelPlan:
    """Decide the label knobs of one record. `vocab` is every label the dataset offers for this task;
    `coarse` maps fine labels to coarse ones; `distractor_pool` holds labels of other datasets of the task
    (sorted, without `vocab` and the stoplist). `draw(decision)` gives the number in [0, 1) that decides
    "coarse", "symbolic", "synonyms", "distractors", "describe" and "exemplify" (default: `r.random()`);
    per-label choices (dropout, which synonym, which distractors) always come from `r`."""
    vocab = sorted(set(vocab))
    u = draw or (lambda _: r.random())
    fired: list[str] = []
    rename: dict[str, str] = {}
    taken = {v.casefold() for v in vocab}
    if coarse and u("coarse") < knobs.coarse_rate:
        rename = {lab: coarse[lab] for lab in vocab if lab in coarse}
        fired.append("coarse")
    elif len(vocab) <= knobs.symbolic_max_labels and u("symbolic") < knobs.symbolic_rate:
        fired.append("symbolic")
    elif u("synonyms") < knobs.synonym_rate:
        # each label with synonyms is renamed with probability synonym_share, at least one of them
        having = [lab for lab in vocab if synonyms(lab)]
        forced = r.choice(having) if having else None
        for lab in having:
            options = [s for s in synonyms(lab) if s.casefold() not in taken]
            if options and (lab == forced or r.random() < knobs.synonym_share):
                rename[lab] = r.choice(sorted(options))
                taken.add(rename[lab].casefold())
        if rename:
            fired.append("synonyms")
    drop: set[str] = set()
    if allow_dropout and len(vocab) > 1:
        drop = {lab for lab in vocab if r.random() < knobs.class_dropout}
        if drop:
            fired.append("dropout")
    distractors: list[str] = []
    if knobs.distractors and distractor_pool and u("distractors") < knobs.distractor_rate:
        # the pool comes sorted, without the dataset's own labels and the stoplist; drop renamed clashes
        pool = [d for d in distractor_pool if d.casefold() not in taken] if rename else list(distractor_pool)
        distractors = r.sample(pool, min(len(pool), r.randint(1, max(1, knobs.distractor_max))))
        if distractors:
            fired.append("distractors")
    if "symbolic" in fired:
        style = r.choice(SYMBOL_STYLES)
        names = vocab + distractors
        numbers = r.sample(range(len(names)), len(names))
        rename = {lab: style(n) for lab, n in zip(names, numbers, strict=True)}
        distractors = [rename[d] for d in distractors]
    describe = u("describe") < knobs.description_rate
    exemplify = u("exemplify") < knobs.example_rate
    return LabelPlan(rename, frozenset(drop), tuple(distractors), describe, exemplify, f"{r.random():.17f}",
                     tuple(fired))


class LabelExamples:
    """Training mentions per (task, label), for "such as A, B, C" notes."""

    def __init__(self, top: int = 30) -> None:
        self.top = top
        self._counts: dict[tuple[str, str], Counter[str]] = {}
        self._frequent: dict[tuple[str, tuple[str, ...]], list[str]] = {}

    def add(self, inst: Instance, positions: Sequence[int]) -> None:
        """Count the mentions of `inst`'s gold items under their labels."""
        for item in inst.gold:
            mention = _mention(item, positions, inst.query)
            if not mention:
                continue
            for p in positions:
                if p < len(item):
                    self._counts.setdefault((inst.task.value, item[p]), Counter())[mention] += 1
        self._frequent.clear()

    def frequent(self, task: str, labels: Sequence[str]) -> list[str]:
        """The most frequent mentions of any of `labels` (twice `top`, most frequent first; cached)."""
        key = (task, tuple(labels))
        if key not in self._frequent:
            counts: Counter[str] = Counter()
            for lab in labels:
                counts.update(self._counts.get((task, lab), Counter()))
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: 2 * self.top]
            self._frequent[key] = [m for m, _ in ranked]
        return self._frequent[key]

    def pick(self, r: random.Random, task: str, labels: Sequence[str], k: int, avoid_text: str) -> list[str]:
        """Up to `k` of the `top` most frequent mentions of any of `labels`, none occurring in `avoid_text`."""
        low = avoid_text.casefold()
        usable = [m for m in self.frequent(task, labels) if m.casefold() not in low][: self.top]
        return r.sample(usable, min(k, len(usable)))


def _mention(item: Item, positions: Sequence[int], query: Mapping[str, str]) -> str:
    text = [v for p, v in enumerate(item) if p not in positions and v]
    if not text and query.get("head") and query.get("tail"):
        text = [query["head"], query["tail"]]
    if len(text) == 1:
        return text[0]
    return f"({'; '.join(text)})" if text else ""


def label_notes(
    r: random.Random,
    plan: LabelPlan,
    task: str,
    options: Sequence[str],
    text: str,
    knobs: LabelKnobs,
    describe: Callable[[str], str | None],
    examples: LabelExamples | None,
) -> tuple[str, list[str]]:
    """The note appended to the prompt: a legend for symbolic names, and definitions and examples when the
    plan asks for them and the record offers few enough labels; and which of "descriptions" and "examples"
    it holds. Empty when there is nothing to say."""
    symbolic = "symbolic" in plan.knobs
    want_desc = plan.describe and len(options) <= knobs.description_max_labels
    want_ex = plan.exemplify and examples is not None and len(options) <= knobs.example_max_labels
    lines, used = [], set()
    for shown in options:
        originals = plan.original(shown)
        parts = []
        if symbolic:
            parts.append(" / ".join(originals))
        if want_desc:
            desc = describe(shown if "coarse" in plan.knobs else originals[0])
            if desc:
                parts.append(desc.rstrip("."))
                used.add("descriptions")
        if want_ex and examples is not None:
            found = examples.pick(r, task, originals, knobs.examples_per_label, text)
            if found:
                parts.append("such as " + ", ".join(found))
                used.add("examples")
        if parts:
            lines.append(f"- {shown}: " + "; ".join(parts))
    if not lines:
        return "", []
    header = r.choice(SYMBOL_HEADERS if symbolic else NOTE_HEADERS)
    return header + "\n" + "\n".join(lines), sorted(used)
