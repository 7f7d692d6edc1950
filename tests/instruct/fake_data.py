"""A small fake registry for builder tests: train-role NER, joint NER+RE and event datasets, a held-out NER
set whose test shares one sentence with a training split, and a general chat file.

`install(monkeypatch, tmp_path)` (or `install_plain(tmp_path)` outside pytest) points the registry at these
datasets and $ADELIE_DATA_DIR / $ADELIE_GENERAL_DIR at folders under tmp_path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from adelie.datasets import registry
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Example, Task, make_argument, make_span

PEOPLE = ["Anna Berg", "Tom Hale", "Rita Moss", "Omar Said", "Lena Kurz", "Paul Ngo", "Ines Roth", "Karl Voss"]
ORGS = ["Acme Corp", "Blue River Bank", "Northwind Labs", "the Red Cross", "Delta Motors", "Orion Press"]
CITIES = ["Oslo", "Lima", "Perth", "Quito", "Riga", "Turin", "Hanoi", "Accra"]
DRUGS = ["aspirin", "ibuprofen", "valproate", "insulin", "warfarin"]
EFFECTS = ["rash", "nausea", "headache", "liver damage", "dizziness"]
LEAKED = "Anna Berg met the board of Acme Corp in Oslo on a rainy Tuesday morning."


def _ner_example(name: str, split: str, i: int) -> Example:
    if name == "toyner" and split == "train" and i == 3:
        text = LEAKED
    elif i % 5 == 4:
        text = f"Nothing of note happened on day {i} of the long and quiet {split} week."
        return Example(id=f"{name}-{split}-{i}", dataset=name, split=split, text=text)
    else:
        p, o, c = PEOPLE[i % len(PEOPLE)], ORGS[(i * 3) % len(ORGS)], CITIES[(i * 5) % len(CITIES)]
        text = f"{p} joined {o} in {c} after a long career, number {i} in the {split} list."
    ents = []
    for mention, label in [(p, "PER") for p in PEOPLE] + [(o, "ORG") for o in ORGS] + [(c, "LOC") for c in CITIES]:
        at = text.find(mention)
        if at >= 0:
            ents.append(make_span(text, at, at + len(mention), label))
    return Example(id=f"{name}-{split}-{i}", dataset=name, split=split, text=text,
                   entities=tuple(sorted(ents, key=lambda s: s.start)))


def _bio_example(name: str, split: str, i: int) -> Example:
    d, e = DRUGS[i % len(DRUGS)], EFFECTS[(i * 2) % len(EFFECTS)]
    text = f"Patient {i} developed {e} after taking {d} for the {split} study."
    ents = (make_span(text, text.find(e), text.find(e) + len(e), "Disease"),
            make_span(text, text.find(d), text.find(d) + len(d), "Chemical"))
    return Example(id=f"{name}-{split}-{i}", dataset=name, split=split, text=text,
                   entities=tuple(sorted(ents, key=lambda s: s.start)))


def _re_example(name: str, split: str, i: int) -> Example:
    p, o = PEOPLE[(i + 2) % len(PEOPLE)], ORGS[(i + 1) % len(ORGS)]
    text = f"{p} has worked for {o} since {1990 + i}, colleagues said in report {split}-{i}."
    head = make_span(text, 0, len(p), "Peop")
    tail = make_span(text, text.find(o), text.find(o) + len(o), "Org")
    from adelie.schema import Relation

    return Example(id=f"{name}-{split}-{i}", dataset=name, split=split, text=text, entities=(head, tail),
                   relations=(Relation(head=head, tail=tail, label="Work_For"),))


def _event_example(name: str, split: str, i: int) -> Example:
    d, e = DRUGS[(i + 1) % len(DRUGS)], EFFECTS[(i + 3) % len(EFFECTS)]
    text = f"A woman given {d} during trial {split}-{i} reported {e} two days later."
    from adelie.schema import Event

    trig = make_span(text, text.find("reported"), text.find("reported") + len("reported"))
    args = (make_argument(text, text.find(d), text.find(d) + len(d), "Treatment.Drug"),
            make_argument(text, text.find(e), text.find(e) + len(e), "Effect"),
            make_argument(text, 2, 7, "Subject"))
    return Example(id=f"{name}-{split}-{i}", dataset=name, split=split, text=text,
                   events=(Event(trigger=trig, type="Adverse_event", arguments=args),))


def _held_example(name: str, split: str, i: int) -> Example:
    if i == 0:
        text = "anna berg met the Board of ACME Corp in Oslo, on a rainy Tuesday morning!"
    else:
        text = f"Held-out sentence number {i} mentions {PEOPLE[i % 8]} and {CITIES[i % 8]} only here."
    ents = []
    for mention, label in [(p, "PER") for p in PEOPLE] + [(c, "LOC") for c in CITIES]:
        at = text.find(mention)
        if at >= 0:
            ents.append(make_span(text, at, at + len(mention), label))
    return Example(id=f"{name}-{split}-{i}", dataset=name, split=split, text=text,
                   entities=tuple(sorted(ents, key=lambda s: s.start)))


SIZES = {"train": 40, "dev": 8, "test": 10}
MAKERS = {"toyner": _ner_example, "toybio": _bio_example, "toyre": _re_example, "toyevent": _event_example,
          "toyheld": _held_example}


def _reader(name: str):
    def read(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
        for i in range(SIZES[split]):
            yield MAKERS[name](name, split, i)
    return read


def _split(name: str, role: str) -> SplitSpec:
    return SplitSpec(name, role, SIZES[name])  # type: ignore[arg-type]


def specs() -> dict[str, DatasetSpec]:
    ner_labels = {"PER": "person", "ORG": "organization", "LOC": "location"}
    return {
        "toyner": DatasetSpec("toyner", "toyner", (Task.NER,), (_split("train", "train"), _split("dev", "dev"),
                              _split("test", "in-domain test")), "open", _reader("toyner"), entity_labels=ner_labels),
        "toybio": DatasetSpec("toybio", "toybio", (Task.NER,), (_split("train", "train"),
                              _split("test", "in-domain test")), "non-commercial", _reader("toybio"),
                              entity_labels={"Chemical": "chemical", "Disease": "disease"}),
        "toyre": DatasetSpec("toyre", "toyre", (Task.NER, Task.RELATION_EXTRACTION), (_split("train", "train"),),
                             "unstated", _reader("toyre"),
                             entity_labels={"Peop": "person", "Org": "organization"},
                             relation_labels={"Work_For": "works for"}),
        "toyevent": DatasetSpec("toyevent", "toyevent", (Task.EVENT_DETECTION, Task.EVENT_ARGUMENTS),
                                (_split("train", "train"), _split("dev", "dev")), "open", _reader("toyevent"),
                                event_types={"Adverse_event": "adverse event"},
                                roles={"Treatment.Drug": "drug", "Effect": "effect", "Subject": "subject"},
                                event_roles={"Adverse_event": ("Subject", "Treatment.Drug", "Effect")}),
        "toyheld": DatasetSpec("toyheld", "toyheld", (Task.NER,), (_split("test", "held-out"),), "open",
                               _reader("toyheld"), entity_labels={"PER": "person", "LOC": "location"}),
    }


GENERAL = [
    {"id": "g1", "messages": [{"role": "user", "content": "Say hello."}, {"role": "assistant", "content": "Hello!"}]},
    {"id": "g2", "messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4."}]},
    {"id": "g3", "messages": [{"role": "user", "content": "Summarise: " + LEAKED},
                              {"role": "assistant", "content": "Someone met a board."}]},
    *({"id": f"g{i}", "messages": [{"role": "user", "content": f"Count to {i}."},
                                    {"role": "assistant", "content": " ".join(map(str, range(1, i + 1)))}]}
      for i in range(4, 30)),
]


def install_plain(tmp_path: Path) -> dict[str, DatasetSpec]:
    """Point the registry and the data folders at the fake datasets (no pytest needed)."""
    for name in MAKERS:
        (tmp_path / "data" / name).mkdir(parents=True, exist_ok=True)
    general = tmp_path / "general"
    general.mkdir(exist_ok=True)
    (general / "chat.jsonl").write_text("".join(json.dumps(r) + "\n" for r in GENERAL), encoding="utf-8")
    registry._SPECS = specs()
    os.environ["ADELIE_DATA_DIR"] = str(tmp_path / "data")
    os.environ["ADELIE_GENERAL_DIR"] = str(general)
    return registry._SPECS


def install(monkeypatch, tmp_path: Path) -> dict[str, DatasetSpec]:
    """`install_plain`, undone after the test."""
    monkeypatch.setattr(registry, "_SPECS", registry._SPECS)
    monkeypatch.setenv("ADELIE_DATA_DIR", "")
    monkeypatch.setenv("ADELIE_GENERAL_DIR", "")
    return install_plain(tmp_path)


def config_dict(tmp_path: Path, tokenizer: str | None, **overrides) -> dict:
    """A config for the fake datasets: small caps, the general chat file, the given tokenizer."""
    cfg = {
        "seed": 7,
        "per_dataset_cap": 30,
        "validation_per_dataset": 6,
        "general": {"share": 0.1, "sources": [str(tmp_path / "general" / "chat.jsonl")]},
        "on_demand": {"cap": 20},
        "length": {"tokenizer": tokenizer, "max_tokens": 1024},
    }
    cfg.update(overrides)
    return cfg


def echo_gold(body: dict) -> tuple[int, str]:
    """A well-behaved teacher: explains by naming each line of the gold answer, then restates it."""
    prompt = body["messages"][-1]["content"]
    answer = prompt.split("The correct answer to the task above is:\n", 1)[1].split("\n\nExplain briefly", 1)[0]
    return 200, f"The text states it directly: {answer.removeprefix('[Answer]:').strip()}.\n{answer}"
