"""PHEE: pharmacovigilance event extraction from PubMed case-report sentences (Sun et al., EMNLP 2022).

Each line of `{split}.json` is a JSON object `{id, context, is_mult_event, annotations: [{events: [...]}]}`.
An event has `event_id`, `event_type`, a `Trigger` and nested arguments with character offsets, e.g.
`Treatment: {text, start, entity_id, Drug: {...}, Route: {...}, Combination: [sub-events]}`,
`Subject: {..., Age: {...}}`, `Effect: {...}` and the attributes `Speculated` / `Negated` / `Severity`, which
also carry a `value`. A mention is `text: [[fragment, ...], ...]` with the matching `start: [[offset, ...]]`.

Flattening: the argument path is the raw role (`Treatment`, `Treatment.Drug`, `Subject.Age`, `Severity`); every
fragment of a (possibly discontinuous) mention becomes one Argument with that role. An attribute's value goes in
the Argument label (`Severity` -> `High`). A `Combination` sub-event (drugs taken together) becomes its own
Event of type `Combination` with `Drug` arguments; `meta["combination_of"]` maps it to its parent event. A
trigger has one fragment in all but one record (dev, a Combination trigger `increased ... PB`): its first
fragment is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._event_common import build_example, ensure
from adelie.datasets.reading import ReadContext, iter_jsonl
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Argument, Event, Example, Span, Task, make_argument, make_span

NAME = "phee"

EVENT_TYPES: dict[str, str] = {
    "Adverse_event": "adverse event",
    "Potential_therapeutic_event": "potential therapeutic event",
    "Combination": "drug combination",
}

ROLES: dict[str, str] = {
    "Subject": "subject",
    "Subject.Age": "subject age",
    "Subject.Gender": "subject gender",
    "Subject.Population": "subject population",
    "Subject.Race": "subject race",
    "Subject.Disorder": "subject disorder",
    "Treatment": "treatment",
    "Treatment.Drug": "drug",
    "Treatment.Dosage": "dosage",
    "Treatment.Route": "route of administration",
    "Treatment.Freq": "frequency",
    "Treatment.Duration": "duration",
    "Treatment.Time_elapsed": "time elapsed",
    "Treatment.Disorder": "treated disorder",
    "Effect": "effect",
    "Speculated": "speculation",
    "Negated": "negation",
    "Severity": "severity",
    "Drug": "drug",  # the argument of a Combination event
}

_MAIN_ROLES = tuple(r for r in ROLES if r != "Drug")
EVENT_ROLES = {"Adverse_event": _MAIN_ROLES, "Potential_therapeutic_event": _MAIN_ROLES, "Combination": ("Drug",)}
_SKIP = {"event_id", "event_type", "Trigger", "text", "start", "entity_id", "value", "Combination"}
_EXPECTED = "a PHEE record {id, context, annotations: [{events: [{event_id, event_type, Trigger, ...}]}]}"


def read_phee(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one split (`train`, `dev`, `test`): one Example per sentence."""
    path = folder / f"{split}.json"
    for lineno, record in iter_jsonl(path, ctx):
        example = build_example(path, lineno, ctx, _EXPECTED, lambda r=record: _fields(r, split))
        if example is not None:
            yield example


def _fields(record: dict[str, Any], split: str) -> dict[str, Any]:
    text, rid = record["context"], record["id"]
    ensure(isinstance(text, str) and isinstance(rid, str), "'id' and 'context' must be strings")
    events: list[Event] = []
    combination_of: dict[str, str] = {}
    for annotation in record["annotations"][:1]:  # one annotation set per record in the release
        for raw in annotation["events"]:
            events.append(_event(text, raw, raw["event_type"], _arguments(text, raw, "")))
            for sub in raw.get("Treatment", {}).get("Combination", []):
                events.append(_event(text, sub, "Combination", _arguments(text, sub, "")))
                combination_of[sub["event_id"]] = raw["event_id"]
    meta: dict[str, Any] = {"is_mult_event": record.get("is_mult_event")}
    if combination_of:
        meta["combination_of"] = combination_of
    return dict(id=f"{NAME}-{rid}", dataset=NAME, split=split, text=text, doc_id=rid.split("_")[0],
                events=tuple(events), meta=meta)


def _event(text: str, raw: dict[str, Any], event_type: str, arguments: list[Argument]) -> Event:
    ensure(event_type in EVENT_TYPES, f"an event_type in {sorted(EVENT_TYPES)}, not {event_type!r}")
    trigger = _fragments(text, raw["Trigger"])[0]
    return Event(trigger=trigger, type=event_type, arguments=tuple(dict.fromkeys(arguments)), id=raw["event_id"])


def _arguments(text: str, node: dict[str, Any], prefix: str) -> list[Argument]:
    """Every argument under `node`, its role the dotted path of keys (`Treatment.Drug`)."""
    out: list[Argument] = []
    for key, value in node.items():
        if key in _SKIP or not isinstance(value, dict):
            continue
        role = prefix + key
        label = str(value["value"]) if "value" in value else None
        out += [make_argument(text, s.start, s.end, role, label) for s in _fragments(text, value)]
        out += _arguments(text, value, role + ".")
    return out


def _fragments(text: str, mention: dict[str, Any]) -> list[Span]:
    """The spans of every fragment of every mention in `{text: [[...]], start: [[...]]}`, each checked."""
    spans = []
    ensure(len(mention["text"]) == len(mention["start"]), "as many 'start' lists as 'text' lists")
    for frags, starts in zip(mention["text"], mention["start"], strict=True):
        ensure(len(frags) == len(starts) > 0, f"one start per fragment, got {frags!r} and {starts!r}")
        for frag, start in zip(frags, starts, strict=True):
            found = text[start : start + len(frag)]
            ensure(found == frag, f"context[{start}:{start + len(frag)}] == {frag!r}, found {found!r}")
            spans.append(make_span(text, start, start + len(frag)))
    return spans


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="phee",
        tasks=(Task.EVENT_DETECTION, Task.EVENT_ARGUMENTS),
        splits=(
            SplitSpec("train", "train", 2898),
            SplitSpec("dev", "dev", 961),
            SplitSpec("test", "in-domain test", 968),
        ),
        licence_class="open",
        reader=read_phee,
        description="PHEE: adverse and potential therapeutic drug events in PubMed case-report sentences, with "
        "nested arguments (subject, treatment and its drug/dosage/route..., effect) flattened to dotted roles.",
        event_types=EVENT_TYPES,
        roles=ROLES,
        event_roles=EVENT_ROLES,
    )
]
