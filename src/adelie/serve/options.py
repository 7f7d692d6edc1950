"""The extraction tasks as the command line and the service present them, and the check of their options.

The rules are adelie.extract's own (`check_request`: one set of rules for the API, the CLI and the service);
this module adds what a form needs: which options each task requires and may take, and a line on what it does
(the playground, GET /v1/tasks and `adelie extract --help` use it), plus comma-separated lists for the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adelie.extract.options import check_request


@dataclass(frozen=True)
class TaskForm:
    """The options one task needs (`required`) and may take (`optional`), and what it extracts."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    help: str


LIST_OPTIONS = ("labels", "relation_labels", "entity_labels", "event_types", "roles")
TEXT_OPTIONS = ("trigger", "event_type", "instruction")

FORMS: dict[str, TaskForm] = {
    "ner": TaskForm(("labels",), (), "named entities of the given types"),
    "relations": TaskForm(("relation_labels",), ("entity_labels",), "relations of the given types between entities"),
    "events": TaskForm(("event_types",), ("roles",), "event triggers of the given types, with their arguments"),
    "arguments": TaskForm(("trigger", "roles"), ("event_type",), "the arguments of one event trigger"),
    "open_ie": TaskForm((), (), "open (subject, predicate, objects) triples"),
    "table": TaskForm(("instruction",), (), "a table built by following an instruction"),
}


def split_list(value: str | None) -> list[str] | None:
    """A comma-separated command-line list as a list (blank entries dropped); None stays None."""
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


def check_options(task: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The options given (None values dropped), after adelie.extract's check of them for `task`.

    Raises adelie.extract.ExtractionError (an AdelieError) naming the unknown task or the missing, misshapen or
    foreign option.
    """
    options = {name: value for name, value in given.items() if value is not None}
    check_request(task, options)
    return options
