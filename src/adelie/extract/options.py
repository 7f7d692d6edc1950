"""The arguments of an extraction call, checked: each mistake raises ExtractionError saying what was expected.

Tasks and their options (`labels` stands for a task's own label list, which may also be spelled
relation_labels, event_types or roles): ner (labels), relations (relation_labels, entity_labels), events
(event_types, roles), arguments (roles, trigger, event_type), open_ie (none), table (instruction). Options
that do not apply to a task must be None or empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass
from typing import Any

from adelie.extract.errors import ExtractionError
from adelie.schema import Task
from adelie.tasks.formats import normalise

TASKS: dict[str, Task] = {
    "ner": Task.NER,
    "relations": Task.RELATION_EXTRACTION,
    "events": Task.EVENT_DETECTION,
    "arguments": Task.EVENT_ARGUMENTS,
    "open_ie": Task.OPEN_IE,
    "table": Task.ON_DEMAND,
}
OPTIONS: dict[str, frozenset[str]] = {
    "ner": frozenset({"labels"}),
    "relations": frozenset({"labels", "relation_labels", "entity_labels"}),
    "events": frozenset({"labels", "event_types", "roles"}),
    "arguments": frozenset({"labels", "roles", "trigger", "event_type"}),
    "open_ie": frozenset(),
    "table": frozenset({"instruction"}),
}
ALL_OPTIONS = frozenset().union(*OPTIONS.values())
_LABELS_OPTION = {"ner": "labels", "relations": "relation_labels", "events": "event_types", "arguments": "roles"}


@dataclass(frozen=True)
class Request:
    """A checked call: the task, its labels, the arguments query and the options of related passes."""

    task: str
    labels: tuple[str, ...] = ()
    entity_labels: tuple[str, ...] = ()
    roles: Mapping[str, tuple[str, ...]] | None = None  # events: roles per type ("" = every type)
    trigger: str | tuple[int, int] | None = None
    event_type: str | None = None
    instruction: str | None = None


def check_texts(texts: Any) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    if not isinstance(texts, Sequence) or isinstance(texts, bytes | bytearray):
        raise ExtractionError(f"texts must be a string or a list of strings, got {type(texts).__name__}")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ExtractionError(f"texts[{i}] must be a string, got {type(t).__name__}")
    return list(texts)


def _label_list(value: Any, name: str) -> tuple[str, ...]:
    """A non-empty list of non-blank strings, without repeats."""
    if isinstance(value, str):
        raise ExtractionError(
            f"{name} must be a list of strings such as ['person', 'location'], got the single string {value!r}"
        )
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ExtractionError(f"{name} must be a non-empty list of strings, got {type(value).__name__}")
    out = []
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v.strip():
            raise ExtractionError(f"{name}[{i}] must be a non-empty string, got {v!r}")
        out.append(v.strip())
    if not out:
        raise ExtractionError(f"{name} must be a non-empty list of strings, got an empty one")
    return tuple(dict.fromkeys(out))


def _present(value: Any) -> bool:
    if value is None:
        return False
    return not (isinstance(value, Sized) and not isinstance(value, str) and len(value) == 0)


def check_request(task: Any, options: Mapping[str, Any]) -> Request:
    """The checked form of a call: ExtractionError for an unknown task or a missing, misshapen or foreign
    option."""
    if not isinstance(task, str) or task not in TASKS:
        raise ExtractionError(f"unknown task {task!r}; the tasks are: {', '.join(TASKS)}")
    unknown = sorted(set(options) - ALL_OPTIONS)
    if unknown:
        known = ", ".join(sorted(ALL_OPTIONS))
        raise ExtractionError(f"unknown option(s) {', '.join(unknown)}; the options are: {known}")
    given = {k: v for k, v in options.items() if _present(v)}
    foreign = sorted(set(given) - OPTIONS[task])
    if foreign:
        takes = ", ".join(sorted(OPTIONS[task])) or "no options"
        raise ExtractionError(f"option(s) {', '.join(foreign)} do not apply to task {task!r} (it takes: {takes})")
    labels: tuple[str, ...] = ()
    if task in _LABELS_OPTION:
        own = _LABELS_OPTION[task]
        both = own != "labels" and "labels" in given and own in given
        if both and _label_list(given["labels"], "labels") != _label_list(given[own], own):
            raise ExtractionError(f"labels and {own} are the same option for {task!r}; give one of them")
        value = given.get(own, given.get("labels"))
        if value is None:
            got = options.get(own, options.get("labels"))
            found = "" if got is None else f", got {got!r}"
            raise ExtractionError(f"task {task!r} needs {own}: a non-empty list of strings{found}")
        labels = _label_list(value, own if own in given else "labels")
    if task == "relations":
        entity = _label_list(given["entity_labels"], "entity_labels") if "entity_labels" in given else ()
        return Request(task, labels, entity_labels=entity)
    if task == "events":
        return Request(task, labels, roles=_roles(given.get("roles"), labels))
    if task == "arguments":
        event_type = given.get("event_type")
        if event_type is not None and (not isinstance(event_type, str) or not event_type.strip()):
            raise ExtractionError(f"event_type must be a non-empty string or None, got {event_type!r}")
        return Request(task, labels, trigger=_trigger(given.get("trigger")),
                        event_type=event_type.strip() if event_type else None)
    if task == "table":
        instruction = given.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            raise ExtractionError(f"task 'table' needs instruction: a non-empty string, got {instruction!r}")
        return Request(task, instruction=instruction.strip())
    return Request(task, labels)


def _roles(value: Any, event_types: tuple[str, ...]) -> Mapping[str, tuple[str, ...]] | None:
    """Roles for `events`: one list for every type (key "") or a list per event type."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return {"": _label_list(value, "roles")}
    known = {normalise(t) for t in event_types}
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or normalise(k) not in known:
            raise ExtractionError(f"roles names the event type {k!r}, which is not one of event_types "
                                  f"({', '.join(event_types)})")
        out[k] = _label_list(v, f"roles[{k!r}]")
    return out


def _trigger(value: Any) -> str | tuple[int, int]:
    """A trigger string, or (start, end) offsets from a tuple or a span dict."""
    if isinstance(value, str):
        if not value.strip():
            raise ExtractionError("trigger must be a non-empty string")
        return value.strip()
    if isinstance(value, Mapping):
        value = (value.get("start"), value.get("end"))
    if isinstance(value, tuple | list) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    raise ExtractionError(
        f"trigger must be a string, a span dict with integer start and end, or (start, end); got {value!r}"
    )


