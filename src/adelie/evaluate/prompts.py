"""Evaluation prompts: each instance of an evaluation set rendered with an evaluation-only template, in one
answer format, optionally after k demonstrations (user/assistant turns) from the same dataset.

Every choice is drawn from a stream named by (seed, purpose, set, instance), so a prompt does not depend on
`--limit` or on which other sets run. Demonstrations come from the dataset's `dev` split, else its `train`
split, else its other splits, else the evaluated split itself (never the query's own example). Demonstrations
together stay within DEMO_CHARS characters (about 2,000 tokens): a candidate that would overflow is passed over for
the next one, so document-level sets (Re-DocRED, WikiEvents, ODIE) may get fewer than k; each prediction records
the shots it actually got.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adelie.datasets.registry import get, load
from adelie.errors import AdelieError
from adelie.evaluate.suites import EvalSet
from adelie.instruct.records import instance_from_dict, read_jsonl
from adelie.instruct.seeding import rng
from adelie.schema import Task
from adelie.tasks import Format, Instance, get_task, instances_for

Message = dict[str, str]
DEMO_CHARS = 8000


@dataclass(frozen=True)
class EvalItem:
    """One prompt to answer: its key in predictions.jsonl, the instance, and the chat messages."""

    key: str
    inst: Instance
    messages: list[Message]
    template: str
    shots: int
    longest_gold: int = 0  # characters of the longest gold answer in the whole set (sizes the answer budget)


def answer_budget(longest_gold: int, cap: int) -> int:
    """New tokens allowed for answers of a set: about twice its longest gold answer (at 3 characters a token), at
    least 64, at most `cap`. The same for every model on that set, and independent of `--limit`; it keeps a model
    that rambles or loops from spending `cap` tokens on every prompt."""
    return max(64, min(cap, -(-2 * longest_gold // 3) + 32)) if longest_gold else cap


def set_instances(es: EvalSet, root: str | Path | None = None) -> list[Instance]:
    """Every instance of `es`, in reader order."""
    spec = get(es.dataset)
    return [inst for ex in load(es.dataset, es.split, root) for inst in instances_for(es.task, ex, spec)]


def demo_split(es: EvalSet) -> str:
    """The split demonstrations are drawn from (see the module docstring)."""
    names = get(es.dataset).split_names
    for preferred in ("dev", "train"):
        if preferred in names and preferred != es.split:
            return preferred
    others = [n for n in names if n != es.split]
    return others[0] if others else es.split


def pick(es: EvalSet, n: int, limit: int | None, seed: int) -> list[int]:
    """Indices of the instances to evaluate: all of them, or the first `limit` of a seeded shuffle, in index
    order (so a larger limit keeps every instance of a smaller one, and a resumed run reuses its answers)."""
    if limit is None or limit >= n:
        return list(range(n))
    order = list(range(n))
    rng(seed, "limit", es.name).shuffle(order)
    return sorted(order[:limit])


def build_items(
    es: EvalSet,
    *,
    shots: int = 0,
    limit: int | None = None,
    seed: int = 0,
    fmt: Format = "canonical",
    no_answer: str = "NA",
    root: str | Path | None = None,
) -> list[EvalItem]:
    """The prompts of `es` (see the module docstring); `limit` keeps a seeded random subset."""
    task = get_task(es.task)
    templates = list(task.templates("eval"))
    insts = set_instances(es, root)
    demos: Sequence[Instance] = ()
    if shots:
        split = demo_split(es)
        demos = insts if split == es.split else set_instances(EvalSet(es.dataset, split, es.task), root)
    longest = max((len(task.render_answer(inst, fmt, None, no_answer)) for inst in insts), default=0)
    items = []
    for i in pick(es, len(insts), limit, seed):
        inst, key = insts[i], f"{es.name}/{i}"
        r = rng(seed, "eval-prompt", key)
        template = r.choice(templates)
        messages: list[Message] = []
        if shots and demos:
            candidates = r.sample(range(len(demos)), min(len(demos), shots + 8))
            used = 0
            for j in (j for j in candidates if demos[j].example_id != inst.example_id):
                turn = [{"role": "user", "content": task.render_prompt(demos[j], template, fmt, no_answer)},
                        {"role": "assistant", "content": task.render_answer(demos[j], fmt, None, no_answer)}]
                size = sum(len(m["content"]) for m in turn)
                if used + size > DEMO_CHARS:
                    continue
                messages += turn
                used += size
                if len(messages) == 2 * shots:
                    break
        messages.append({"role": "user", "content": task.render_prompt(inst, template, fmt, no_answer)})
        items.append(EvalItem(key, inst, messages, template.id, len(messages) // 2, longest))
    return items


def read_built_items(es: EvalSet, prompts_dir: str | Path, limit: int | None = None, seed: int = 0) -> list[EvalItem]:
    """The prompts of `es` from `adelie build eval-prompts` output (`<dir>/<dataset>.jsonl`: messages ending with
    the gold answer, metadata, instance), the gold turn removed; `limit` keeps a seeded subset."""
    path = Path(prompts_dir) / f"{es.dataset}.jsonl"
    if not path.is_file():
        raise AdelieError(f"{path} is missing: build it with `adelie build eval-prompts` or drop --prompts")
    rows = [r for r in read_jsonl(path)
            if r.get("metadata", {}).get("split") == es.split and Task(r["instance"]["task"]) == es.task]
    longest = max((len(r["messages"][-1].get("content", "")) for r in rows if r["messages"]), default=0)
    items = []
    for i in pick(es, len(rows), limit, seed):
        r = rows[i]
        messages = list(r["messages"])
        if not messages or messages[-1].get("role") != "assistant":
            raise AdelieError(f"{path}: record {i} of {es.name} does not end with the gold assistant turn")
        items.append(EvalItem(f"{es.name}/{i}", instance_from_dict(r["instance"]), messages[:-1],
                              str(r["metadata"].get("template", "")), len(messages[:-1]) // 2, longest))
    return items
