"""SemEval-2010 Task 8: directional relation classification between two marked nominals.

Official format, one block per sentence separated by blank lines: `ID<TAB>"sentence with <e1>..</e1> and
<e2>..</e2>"`, the label line (`Cause-Effect(e2,e1)` or `Other`), a `Comment:` line. The test block labels
come from TEST_FILE_FULL.TXT and are checked against TEST_FILE_KEY.TXT (which has them without direction).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from adelie.datasets.reading import ReadContext, require_file
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Example, Relation, Task, make_span

NAME = "semeval2010_task8"

# Raw directional label -> a predicate reading head (e1) -> tail (e2).
RELATION_LABELS: dict[str, str] = {
    "Cause-Effect(e1,e2)": "causes",
    "Cause-Effect(e2,e1)": "is caused by",
    "Component-Whole(e1,e2)": "is a component of",
    "Component-Whole(e2,e1)": "has as a component",
    "Content-Container(e1,e2)": "is contained in",
    "Content-Container(e2,e1)": "contains",
    "Entity-Destination(e1,e2)": "moves into",
    "Entity-Destination(e2,e1)": "is the destination of",
    "Entity-Origin(e1,e2)": "originates from",
    "Entity-Origin(e2,e1)": "is the origin of",
    "Instrument-Agency(e1,e2)": "is an instrument used by",
    "Instrument-Agency(e2,e1)": "uses as an instrument",
    "Member-Collection(e1,e2)": "is a member of",
    "Member-Collection(e2,e1)": "has as a member",
    "Message-Topic(e1,e2)": "is about",
    "Message-Topic(e2,e1)": "is the topic of",
    "Product-Producer(e1,e2)": "is produced by",
    "Product-Producer(e2,e1)": "produces",
    "Other": "other",
}

_FILES = {"train": "TRAIN_FILE.TXT", "test": "TEST_FILE_FULL.TXT"}
_KEY_FILE = "TEST_FILE_KEY.TXT"
_SENTENCE = re.compile(r'(\d+)\t"(.*)"')
_MARKER = re.compile(r"(</?e[12]>)")
_EXPECTED = 'a block of \'ID<TAB>"sentence with <e1>..</e1> and <e2>..</e2>"\' then a SemEval relation label line'


def read_semeval(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one split; each block becomes an Example with one relation, e1 as head and e2 as tail."""
    path = require_file(folder / _FILES[split])
    keys = _read_keys(require_file(folder / _KEY_FILE), ctx) if split == "test" else None
    for lineno, lines in _blocks(path):
        match = _SENTENCE.fullmatch(lines[0])
        label = lines[1].strip() if len(lines) > 1 else ""
        if match is None or label not in RELATION_LABELS:
            ctx.fail(path, lineno, f"expected {_EXPECTED}, got {lines[:2]!r}")
            continue
        sid, marked = match.groups()
        if keys is not None and keys.get(sid) != label.split("(")[0]:
            ctx.fail(path, lineno, f"expected {_KEY_FILE} to give {sid} the label {label.split('(')[0]!r}, "
                                   f"it gives {keys.get(sid)!r}")
            continue
        try:
            text, e1, e2 = _strip_markers(marked)
        except ValueError as exc:
            ctx.fail(path, lineno, f"expected each of <e1>, </e1>, <e2>, </e2> once, in order; {exc}")
            continue
        head, tail = make_span(text, *e1), make_span(text, *e2)
        example = ctx.example(path, lineno, id=f"{NAME}-{sid}", dataset=NAME, split=split, text=text,
                              entities=(head, tail), relations=(Relation(head=head, tail=tail, label=label),))
        if example is not None:
            yield example


def _blocks(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each blank-line-separated block."""
    block: list[str] = []
    start = 0
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if line.strip():
                if not block:
                    start = lineno
                block.append(line)
            elif block:
                yield start, block
                block = []
    if block:
        yield start, block


def _strip_markers(marked: str) -> tuple[str, tuple[int, int], tuple[int, int]]:
    """The sentence without entity markers, with the (start, end) of e1 and of e2 in it."""
    parts = _MARKER.split(marked)
    found = parts[1::2]
    if found not in (["<e1>", "</e1>", "<e2>", "</e2>"], ["<e2>", "</e2>", "<e1>", "</e1>"]):
        raise ValueError(f"got markers {found}")
    text, pos = "", {}
    for i, part in enumerate(parts):
        if i % 2:
            pos[part] = len(text)
        else:
            text += part
    return text, (pos["<e1>"], pos["</e1>"]), (pos["<e2>"], pos["</e2>"])


def _read_keys(path: Path, ctx: ReadContext) -> dict[str, str]:
    """TEST_FILE_KEY.TXT: `ID<TAB>label` per line."""
    keys: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != 2:
                ctx.fail(path, lineno, f"expected 'ID<TAB>label', got {line.strip()!r}")
                continue
            keys[fields[0].strip()] = fields[1].strip()
    return keys


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="semeval2010_task8",
        tasks=(Task.RELATION_CLASSIFICATION,),
        splits=(
            SplitSpec("train", "never", 8000, "the whole dataset is held out: training on it would leak the test"),
            SplitSpec("test", "held-out", 2717, "labels from TEST_FILE_FULL.TXT, checked against TEST_FILE_KEY.TXT"),
        ),
        licence_class="open",
        reader=read_semeval,
        description="SemEval-2010 Task 8: 9 directional semantic relations (+ Other) between marked nominals.",
        relation_labels=RELATION_LABELS,
        no_relation="Other",
    )
]
