"""Relation classification: label the relation between a given head and tail.

Instances: one per relation of an example, over its whole text; the query holds `head` and `tail` (named
with context when their text occurs more than once). Options are the readable relation names of the map,
minus the dataset's no-relation label (`no_relation`, e.g. SemEval `Other`), whose instances get an empty
gold: the right answer is NA.

Answers: canonical `[Answer]: founder of`; JSON `{"relation": "founder of"}` (`{"relation": "NA"}`);
natural `The relation between "Jobs" and "Apple" is founder of.` (NA: `There is no relation between
"Jobs" and "Apple" (NA).`). Scoring: the first parsed item against the gold label; an unreadable answer
counts as one wrong prediction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from adelie.schema import Example, Span, Task
from adelie.tasks.base import Instance, Item
from adelie.tasks.context import mention, options, readable, require_map
from adelie.tasks.items import NA_ALTERNATIVES, LabelTask
from adelie.tasks.prompting import AnswerHelp

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec


class RelationClassificationTask(LabelTask):
    """Items (relation,): one, or none when no offered relation holds."""

    task = Task.RELATION_CLASSIFICATION
    fields = ("relation",)
    slots = ("text", "head", "tail", "labels", "no_answer")
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "relation": ("relation", "label", "answer", "type", "relationtype", "class", "predicate"),
    }
    natural_subject = "between {head} and {tail}"
    na_sentence = "There is no relation between {head} and {tail} ({na})."
    na_pattern = re.compile(rf"^there is no relation\b|^the relation\b.* is (?:{NA_ALTERNATIVES})$", re.I)
    help = AnswerHelp(
        nothing="none of the given relations holds between them",
        canonical="relation",
        json='{"relation": "..."}',
        natural='one sentence such as: The relation between "Steve Jobs" and "Apple" is founder of.',
    )

    def instances(
        self, example: Example, labels: Mapping[str, str], no_relation: str | None = None
    ) -> list[Instance]:
        """One instance per relation; `labels` maps raw relation labels to readable names and
        `no_relation` is the raw label meaning "none" (its instances have empty gold)."""
        require_map(labels, "relation labels", example)
        offered = options(labels, [no_relation] if no_relation else [])
        out = []
        for i, rel in enumerate(example.relations):
            gold: tuple[Item, ...] = ()
            if rel.label != no_relation:
                gold = ((readable(labels, rel.label, "relation label", example),),)
            out.append(Instance(
                task=self.task, dataset=example.dataset, example_id=example.id, text=example.text, gold=gold,
                labels=offered, query=pair_query(example.text, rel.head, rel.tail),
                meta={"instance_id": f"{example.id}#r{i}", "head_text": rel.head.text, "tail_text": rel.tail.text},
            ))
        return out

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """`instances` with the dataset's relation label map and no-relation label."""
        return self.instances(example, spec.relation_labels, spec.no_relation)


def pair_query(text: str, head: Span, tail: Span, offset: int = 0) -> dict[str, str]:
    """The `head` and `tail` query strings for two mentions of `text` (whose offsets are `offset` ahead)."""
    return {
        "head": mention(text, head.start - offset, head.end - offset),
        "tail": mention(text, tail.start - offset, tail.end - offset),
    }
