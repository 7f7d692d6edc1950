"""Relation extraction: find (head; relation; tail) triples of the offered relation types.

Instances: one per example, over its whole text. Options are the readable relation names of the map, minus
the dataset's no-relation label (`no_relation`), whose relations are not gold triples. Gold: (head text,
readable relation, tail text) for every other relation, in text order, without repeats.

Answers: canonical `[Answer]: (Obama; born in; Hawaii); (Obama; president of; USA)`; JSON
`[{"head": "Obama", "relation": "born in", "tail": "Hawaii"}]`; natural
`"Obama" has the relation born in with "Hawaii".`; NA: `NA` / `[]` /
`No relations of the given types are mentioned (NA).`
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from adelie.schema import Example, Task
from adelie.tasks.base import Instance
from adelie.tasks.context import gold_items, options, readable, require_map
from adelie.tasks.items import TripleTask
from adelie.tasks.prompting import AnswerHelp

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec


class RelationExtractionTask(TripleTask):
    """Items (head, relation, tail)."""

    task = Task.RELATION_EXTRACTION
    fields = ("head", "relation", "tail")
    slots = ("text", "labels", "no_answer")
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "head": ("head", "subject", "headentity", "source", "e1", "entity1", "arg1", "subj"),
        "relation": ("relation", "label", "type", "predicate", "relationtype", "rel"),
        "tail": ("tail", "object", "tailentity", "target", "e2", "entity2", "arg2", "obj"),
    }
    na_sentence = "No relations of the given types are mentioned ({na})."
    na_pattern = re.compile(r"^(?:there (?:are|is) )?no (?:relations?|triples?)\b", re.I)
    help = AnswerHelp(
        nothing="no relation of the given types is mentioned",
        canonical="(head; relation; tail); (head; relation; tail)",
        json='[{"head": "...", "relation": "...", "tail": "..."}]',
        natural='one sentence per triple, such as: "Barack Obama" has the relation born in with "Hawaii".',
    )

    def instances(
        self, example: Example, labels: Mapping[str, str], no_relation: str | None = None
    ) -> list[Instance]:
        """One instance per example; `labels` maps raw relation labels to readable names."""
        require_map(labels, "relation labels", example)
        gold = gold_items([
            ((r.head.start, r.tail.start), (r.head.text, readable(labels, r.label, "relation label", example),
                                            r.tail.text))
            for r in example.relations if r.label != no_relation
        ])
        return [Instance(
            task=self.task, dataset=example.dataset, example_id=example.id, text=example.text, gold=gold,
            labels=options(labels, [no_relation] if no_relation else []), meta={"instance_id": example.id},
        )]

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """`instances` with the dataset's relation label map and no-relation label."""
        return self.instances(example, spec.relation_labels, spec.no_relation)
