"""Event argument extraction: given a trigger and its event type, find the arguments and their roles.

Instances: one per event. `labels` maps the dataset's raw argument roles to readable names. The roles
offered for an event are those `event_roles` lists for its raw type (raw or readable role names), or
every role of the map when no list is given for the type; `event_types` maps raw event types to readable
names (raw names are shown when it is absent). The offered roles reach the prompt as `Instance.labels`
(the `{labels}` slot); the query holds `trigger` and `event_type`. A gold argument whose role is not
offered for the event type is left out of the gold and listed in `meta["dropped_roles"]`.

The text is the example's text, or for a text longer than `max_chars` (2500) with sentence boundaries, the
sentences around the trigger grown up to `max_chars` (`context.around`); arguments outside the window are
listed in `meta["outside_window"]`. The trigger is named with context when its text occurs more than once.

Answers: canonical `[Answer]: Obama: attacker; Baghdad: place`; JSON
`[{"argument": "Obama", "role": "attacker"}]`; natural `"Obama" is the attacker.`;
NA: `NA` / `[]` / `No arguments of the given roles are mentioned (NA).`
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from adelie.schema import Example, Task
from adelie.tasks.base import Instance
from adelie.tasks.context import around, clip, gold_items, mention, options, readable, require_map
from adelie.tasks.items import PairTask
from adelie.tasks.prompting import AnswerHelp

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec


class EventArgumentsTask(PairTask):
    """Items (argument, role)."""

    task = Task.EVENT_ARGUMENTS
    fields = ("argument", "role")
    span_tokens = 32  # arguments may be long noun phrases
    slots = ("text", "trigger", "event_type", "labels", "no_answer")
    max_chars: ClassVar[int] = 2500
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "argument": ("argument", "text", "entity", "value", "mention", "span", "argumenttext", "filler"),
        "role": ("role", "label", "type", "argumentrole", "rolename"),
    }
    natural_form = "{text} is the {label}."
    natural_re = r"{a} (?:is|plays|fills) (?:an? |the )?(?:role )?{b}(?: role)?"
    na_sentence = "No arguments of the given roles are mentioned ({na})."
    na_pattern = re.compile(r"^(?:there (?:are|is) )?no (?:arguments?|roles?)\b", re.I)
    help = AnswerHelp(
        nothing="no argument of the given roles is mentioned",
        canonical="argument: role; argument: role",
        json='[{"argument": "...", "role": "..."}]',
        natural='one sentence per argument, such as: "the rebels" is the attacker.',
    )

    def instances(
        self,
        example: Example,
        labels: Mapping[str, str],
        event_types: Mapping[str, str] | None = None,
        event_roles: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Instance]:
        """One instance per event (see the module docstring for how roles are offered)."""
        require_map(labels, "argument roles", example)
        out = []
        for i, ev in enumerate(example.events):
            raw_roles = (event_roles or {}).get(ev.type)
            offered = _role_options(labels, raw_roles, example) if raw_roles else options(labels)
            ws, we = around(example, ev.trigger.start, ev.trigger.end, self.max_chars)
            text, base = clip(example.text, (ws, we))
            items, dropped, outside = [], [], []
            for a in ev.arguments:
                role = readable(labels, a.role, "role", example)
                if role not in offered:
                    dropped.append(role)
                elif not (ws <= a.start and a.end <= we):
                    outside.append(a.text)
                else:
                    items.append((a.start, (a.text, role)))
            event_type = (event_types or {}).get(ev.type, ev.type)
            t0 = ev.trigger.start - base
            out.append(Instance(
                task=self.task, dataset=example.dataset, example_id=example.id, text=text,
                gold=gold_items(items), labels=offered,
                query={"trigger": mention(text, t0, t0 + len(ev.trigger.text)), "event_type": event_type},
                meta={
                    "instance_id": f"{example.id}#e{i}", "trigger_text": ev.trigger.text,
                    "trigger_span": (ev.trigger.start, ev.trigger.end), "window": (ws, we),
                    "dropped_roles": tuple(dropped), "outside_window": tuple(outside),
                },
            ))
        return out

    def instances_from_spec(self, example: Example, spec: DatasetSpec) -> list[Instance]:
        """`instances` with the dataset's role map, event type map and per-type role lists."""
        return self.instances(example, spec.roles, spec.event_types or None, spec.event_roles or None)


def _role_options(labels: Mapping[str, str], roles: Sequence[str], example: Example) -> tuple[str, ...]:
    """Readable names of an event type's roles, which may be listed raw or already readable."""
    names = set(labels.values())
    return tuple(dict.fromkeys(r if r not in labels and r in names else readable(labels, r, "role", example)
                               for r in roles))
