"""Event detection: find event triggers and their types.

Instances: one per sentence window of an example. A text longer than `max_chars` (2000) that has sentence
boundaries is cut into windows of whole consecutive sentences (`context.windows`), so long documents become
several prompts a small model can read; shorter texts are one window. A trigger belongs to the window
holding its first character. Options are the readable event types (the caller's raw -> readable map).

Answers: canonical `[Answer]: attacked: attack; fled: transport`; JSON
`[{"trigger": "attacked", "type": "attack"}]`; natural `"attacked" triggers an attack event.`;
NA: `NA` / `[]` / `No events of the given types are mentioned (NA).`
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from adelie.schema import Example, Task
from adelie.tasks.base import Instance
from adelie.tasks.context import clip, gold_items, options, readable, require_map, windows
from adelie.tasks.items import PairTask
from adelie.tasks.prompting import AnswerHelp

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec


class EventDetectionTask(PairTask):
    """Items (trigger, type)."""

    task = Task.EVENT_DETECTION
    fields = ("trigger", "type")
    span_tokens = 8  # triggers are a word or a few
    slots = ("text", "labels", "no_answer")
    max_chars: ClassVar[int] = 2000
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "trigger": ("trigger", "text", "word", "triggerword", "triggertext", "mention", "span"),
        "type": ("type", "eventtype", "label", "event", "category", "class"),
    }
    natural_form = "{text} triggers {art} {label} event."
    natural_re = r"{a} (?:triggers|is) (?:an? |the )?{b}(?: event)?"
    na_sentence = "No events of the given types are mentioned ({na})."
    na_pattern = re.compile(r"^(?:there (?:are|is) )?no (?:events?|triggers?)\b", re.I)
    help = AnswerHelp(
        nothing="no event of the given types is mentioned",
        canonical="trigger: event type; trigger: event type",
        json='[{"trigger": "...", "type": "..."}]',
        natural='one sentence per trigger, such as: "attacked" triggers an attack event.',
    )

    def instances(self, example: Example, labels: Mapping[str, str]) -> list[Instance]:
        """One instance per sentence window (see the module docstring); `labels` maps the dataset's raw
        event types to readable names."""
        require_map(labels, "event types", example)
        offered = options(labels)
        cuts = windows(example, self.max_chars)
        out = []
        for k, (ws, we) in enumerate(cuts):
            gold = gold_items([
                (ev.trigger.start, (ev.trigger.text, readable(labels, ev.type, "event type", example)))
                for ev in example.events if ws <= ev.trigger.start < we
            ])
            text, _ = clip(example.text, (ws, we))
            iid = example.id if len(cuts) == 1 else f"{example.id}#w{k}"
            out.append(Instance(
                task=self.task, dataset=example.dataset, example_id=example.id, text=text, gold=gold,
                labels=offered, meta={"instance_id": iid, "window": (ws, we)},
            ))
        return out

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """`instances` with the dataset's event type map."""
        return self.instances(example, spec.event_types)
