"""Named entity recognition: find the entities of the offered types.

Instances: one per example, over its whole text. Options are the readable names of the dataset's entity
labels (the caller's raw -> readable map, in map order). Gold: (entity text, readable type) for every
labelled entity span, in text order, without repeats; spans without a label are not NER annotations.

Answers: canonical `[Answer]: Obama: person; Hawaii: location`; JSON
`[{"entity": "Obama", "type": "person"}]`; natural `"Obama" is a person. "Hawaii" is a location.`;
NA: `NA` / `[]` / `No entities of the given types are mentioned (NA).`
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from adelie.schema import Example, Task
from adelie.tasks.base import Instance
from adelie.tasks.context import gold_items, options, readable, require_map
from adelie.tasks.items import PairTask
from adelie.tasks.prompting import AnswerHelp

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec


class NerTask(PairTask):
    """Items (entity, type)."""

    task = Task.NER
    fields = ("entity", "type")
    slots = ("text", "labels", "no_answer")
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "entity": ("entity", "text", "name", "mention", "span", "entityname", "entitytext", "value"),
        "type": ("type", "label", "entitytype", "category", "class", "tag"),
    }
    natural_form = "{text} is {art} {label}."
    natural_re = r"{a} is (?:an? |the )?{b}"
    na_sentence = "No entities of the given types are mentioned ({na})."
    na_pattern = re.compile(r"^(?:there (?:are|is) )?no entit(?:y|ies)\b", re.I)
    help = AnswerHelp(
        nothing="no entity of the given types is mentioned",
        canonical="entity: type; entity: type",
        json='[{"entity": "...", "type": "..."}]',
        natural='one sentence per entity, such as: "Barack Obama" is a person.',
    )

    def instances(self, example: Example, labels: Mapping[str, str]) -> list[Instance]:
        """One instance per example; `labels` maps the dataset's raw entity labels to readable names."""
        require_map(labels, "entity labels", example)
        gold = gold_items([
            (s.start, (s.text, readable(labels, s.label, "entity label", example)))
            for s in example.entities if s.label is not None
        ])
        return [Instance(
            task=self.task, dataset=example.dataset, example_id=example.id, text=example.text, gold=gold,
            labels=options(labels), meta={"instance_id": example.id},
        )]

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """`instances` with the dataset's entity label map."""
        return self.instances(example, spec.entity_labels)
