"""Event relation classification: label the (temporal) relation between two given event triggers.

Instances: one per event-relation pair. The text is the sentence(s) containing both triggers (from the
sentence of the earlier trigger to that of the later one, `Example.sentences`; the whole text when the
example has no sentence boundaries). The query holds the triggers as `head` and `tail`, each followed by a
few words of context when its text occurs more than once in that text. Options are the readable relation
names (e.g. MATRES before / after / equal / vague), minus `no_relation` when the dataset has one.

Answers: canonical `[Answer]: before`; JSON `{"relation": "before"}`; natural
`The relation between the events "said" and "left" is before.` Scoring as relation classification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from adelie.schema import Example, Task
from adelie.tasks.base import Instance, Item
from adelie.tasks.context import clip, covering, options, readable, require_map
from adelie.tasks.items import NA_ALTERNATIVES, LabelTask
from adelie.tasks.prompting import AnswerHelp
from adelie.tasks.relation_classification import pair_query

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec


class EventRelationTask(LabelTask):
    """Items (relation,): one, or none when no offered relation holds."""

    task = Task.EVENT_RELATION
    fields = ("relation",)
    slots = ("text", "head", "tail", "labels", "no_answer")
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "relation": ("relation", "label", "answer", "type", "relationtype", "temporalrelation", "class"),
    }
    natural_subject = "between the events {head} and {tail}"
    na_sentence = "There is no relation between the events {head} and {tail} ({na})."
    na_pattern = re.compile(rf"^there is no relation\b|^the relation\b.* is (?:{NA_ALTERNATIVES})$", re.I)
    help = AnswerHelp(
        nothing="none of the given relations holds between the two events",
        canonical="relation",
        json='{"relation": "..."}',
        natural='one sentence such as: The relation between the events "said" and "left" is before.',
    )

    def instances(
        self, example: Example, labels: Mapping[str, str], no_relation: str | None = None
    ) -> list[Instance]:
        """One instance per event relation; `labels` maps raw relation labels to readable names."""
        require_map(labels, "event relation labels", example)
        offered = options(labels, [no_relation] if no_relation else [])
        out = []
        for i, rel in enumerate(example.event_relations):
            start, end = min(rel.head.start, rel.tail.start), max(rel.head.end, rel.tail.end)
            window = covering(example, start, end)
            text, base = clip(example.text, window)
            gold: tuple[Item, ...] = ()
            if rel.label != no_relation:
                gold = ((readable(labels, rel.label, "event relation label", example),),)
            out.append(Instance(
                task=self.task, dataset=example.dataset, example_id=example.id, text=text, gold=gold,
                labels=offered, query=pair_query(text, rel.head, rel.tail, base),
                meta={
                    "instance_id": f"{example.id}#p{i}", "head_text": rel.head.text, "tail_text": rel.tail.text,
                    "window": window,
                },
            ))
        return out

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """`instances` with the dataset's relation label map."""
        return self.instances(example, spec.relation_labels, spec.no_relation)
