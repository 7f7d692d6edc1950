"""The IE tasks: one module each, every one an `IETask` (instances, templates, prompts, answers in three
formats, one parser, one scorer), shared by IEInstruct, IEFeedback, evaluation and extraction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from adelie.schema import Example, Task
from adelie.tasks.base import (
    FORMATS,
    Counts,
    Format,
    IETask,
    Instance,
    Item,
    LabelMapError,
    Parsed,
    TaskError,
    Template,
    TemplateError,
    UnknownTaskError,
    instance_score,
)
from adelie.tasks.event_arguments import EventArgumentsTask
from adelie.tasks.event_detection import EventDetectionTask
from adelie.tasks.event_relation import EventRelationTask
from adelie.tasks.ner import NerTask
from adelie.tasks.on_demand import OnDemandTask
from adelie.tasks.open_ie import OpenIETask
from adelie.tasks.relation_classification import RelationClassificationTask
from adelie.tasks.relation_extraction import RelationExtractionTask

if TYPE_CHECKING:
    from adelie.datasets.registry import DatasetSpec

TASKS: dict[Task, IETask] = {
    t.task: t
    for t in (
        NerTask(), RelationClassificationTask(), RelationExtractionTask(), EventDetectionTask(),
        EventArgumentsTask(), EventRelationTask(), OpenIETask(), OnDemandTask(),
    )
}


def get_task(name: Task | str) -> IETask:
    """The task module for `name` (a Task or its value, e.g. "ner"); UnknownTaskError lists the tasks."""
    try:
        return TASKS[Task(name)]
    except ValueError:
        raise UnknownTaskError(
            f"unknown task {name!r}; the tasks are: {', '.join(t.value for t in Task)}"
        ) from None


def prompt_grammar(
    inst: Instance, messages: Sequence[Mapping[str, str]], fmt: Format, no_answer: str = "NA"
) -> str | None:
    """The answer grammar for a chat prompt about `inst` (`IETask.answer_grammar`), with an `[Explanation]:` line
    allowed when its last user turn asks for one; None for free answer formats."""
    from adelie.tasks.grammar import asks_explanation

    user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    return get_task(inst.task).answer_grammar(inst, fmt, no_answer, asks_explanation(user))


def instances_for(task: Task | str, example: Example, spec: DatasetSpec) -> list[Instance]:
    """The `task` instances of `example`, with label maps taken from the dataset's registry entry."""
    return get_task(task).instances_from_spec(example, spec)


__all__ = [
    "FORMATS",
    "TASKS",
    "Counts",
    "Format",
    "IETask",
    "Instance",
    "Item",
    "LabelMapError",
    "Parsed",
    "TaskError",
    "Template",
    "TemplateError",
    "UnknownTaskError",
    "get_task",
    "instance_score",
    "instances_for",
    "prompt_grammar",
]
