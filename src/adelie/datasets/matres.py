"""MATRES: start-point temporal relations between verb events (Ning et al., ACL 2018) on TempEval-3 text.

`{timebank,aquaint,platinum}.txt` list pairs, one a line: `docid<TAB>verb1<TAB>verb2<TAB>eiid1<TAB>eiid2<TAB>
relation` (BEFORE / AFTER / EQUAL / VAGUE). The text is the `<TEXT>` element of `tempeval3/<part>/<docid>.tml`
(TimeML) with its tags stripped; `<EVENT eid=..>` gives a trigger's offsets and `<MAKEINSTANCE eiid="ei<n>"
eventID="e<m>">` maps the pair's eiid to the event. One Example per document that has pairs, in file order.

Trigger spans drop whitespace inside the EVENT tag (` Taking` -> `Taking`) and carry the eiid as `id`
(`ei415`). A pair whose eiid has no MAKEINSTANCE, whose event is not in the text, or whose trigger does not
read as the pair's verb is left out and listed in `meta["unaligned"]` (4 TimeBank pairs: WSJ910225-0066 pairs
eiid 0, which that file does not define). TimeML here has no sentence tags: `sentences` come from a simple
splitter (blank-line paragraphs, then `. ! ?` before a capitalised word, skipping common abbreviations).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adelie.datasets._event_common import build_example, ensure
from adelie.datasets.reading import ReadContext, require_file
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import EventRelation, Example, Span, Task, make_span

NAME = "matres"
RELATION_LABELS: dict[str, str] = {"BEFORE": "before", "AFTER": "after", "EQUAL": "simultaneous", "VAGUE": "vague"}
_PARTS = {"timebank": "TimeBank", "aquaint": "AQUAINT", "platinum": "te3-platinum"}
_EXPECTED = "a TimeML document with a <TEXT> element, EVENT tags with eid and MAKEINSTANCE tags with eiid/eventID"
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "inc", "corp", "co", "ltd", "gen", "sen", "rep", "gov", "lt", "col",
    "sgt", "capt", "prof", "no", "vs", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "u.s",
    "u.n", "u.k", "a.m", "p.m", "mt", "ft", "rev", "pres", "calif", "fla", "mass", "n.y", "wash",
}
_SPACE = re.compile(r"\s*")
_SENTENCE_END = re.compile(r"[.!?]+['\")\]]*(?=\s+['\"(\[`]*[A-Z0-9])")


@dataclass(frozen=True)
class Pair:
    """One MATRES line."""

    lineno: int
    verbs: tuple[str, str]
    eiids: tuple[str, str]
    label: str


@dataclass(frozen=True)
class TimeML:
    """The stripped text of a .tml file, each event's span by eid, eiid -> eid, and the document date."""

    text: str
    events: dict[str, Span]
    instances: dict[str, str]
    dct: str | None


def read_matres(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one part (`timebank`, `aquaint`, `platinum`): one Example per document with MATRES pairs."""
    path = require_file(folder / f"{split}.txt")
    for doc, pairs in _read_pairs(path, ctx).items():
        tml = require_file(folder / "tempeval3" / _PARTS[split] / f"{doc}.tml")
        try:
            root = ET.parse(tml).getroot()
        except ET.ParseError as exc:
            ctx.fail(tml, exc.position[0], f"expected well-formed TimeML XML ({exc})")
            continue
        example = build_example(tml, doc, ctx, _EXPECTED, lambda r=root, d=doc, p=pairs: _fields(r, d, p, split))
        if example is not None:
            yield example


def _read_pairs(path: Path, ctx: ReadContext) -> dict[str, list[Pair]]:
    """The pairs of each document, documents in first-seen order."""
    out: dict[str, list[Pair]] = {}
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != 6 or fields[5] not in RELATION_LABELS or not (fields[3] + fields[4]).isdigit():
                ctx.fail(path, lineno, f"expected 'docid<TAB>verb1<TAB>verb2<TAB>eiid1<TAB>eiid2<TAB>relation' "
                                       f"with a relation in {sorted(RELATION_LABELS)}, got {line.strip()!r}")
                continue
            doc, v1, v2, e1, e2, label = fields
            out.setdefault(doc, []).append(Pair(lineno, (v1, v2), (e1, e2), label))
    return out


def _fields(root: ET.Element, doc: str, pairs: list[Pair], split: str) -> dict[str, Any]:
    tml = _timeml(root)
    relations, unaligned = [], []
    for pair in pairs:
        spans = [_trigger(tml, eiid, verb) for eiid, verb in zip(pair.eiids, pair.verbs, strict=True)]
        problems = [s for s in spans if isinstance(s, str)]
        if problems:
            unaligned.append(f"line {pair.lineno}: {'; '.join(problems)}")
            continue
        head, tail = spans
        relations.append(EventRelation(head=head, tail=tail, label=pair.label))
    meta: dict[str, Any] = {"dct": tml.dct}
    if unaligned:
        meta["unaligned"] = unaligned
    return dict(id=f"{NAME}-{doc}", dataset=NAME, split=split, text=tml.text, doc_id=doc,
                sentences=split_sentences(tml.text), event_relations=tuple(relations), meta=meta)


def _trigger(tml: TimeML, eiid: str, verb: str) -> Span | str:
    """The trigger span of instance `ei<eiid>` (its id set), or why it cannot be aligned."""
    eid = tml.instances.get(f"ei{eiid}")
    if eid is None:
        return f"eiid {eiid} ({verb}) has no MAKEINSTANCE"
    span = tml.events.get(eid)
    if span is None:
        return f"event {eid} of eiid {eiid} is not in the text"
    if span.text != verb:
        return f"eiid {eiid} reads {span.text!r}, the pair says {verb!r}"
    return span.model_copy(update={"id": f"ei{eiid}"})


def _timeml(root: ET.Element) -> TimeML:
    """Strip the tags of <TEXT>, keeping each EVENT's offsets; trim the text's outer whitespace."""
    body = root.find("TEXT")
    ensure(body is not None, "a <TEXT> element")
    parts: list[str] = [body.text or ""]  # type: ignore[union-attr]
    raw: dict[str, tuple[int, int]] = {}
    for child in body:  # type: ignore[union-attr]
        start = sum(map(len, parts))
        parts.append("".join(child.itertext()))
        if child.tag == "EVENT":
            ensure(child.get("eid") is not None, f"an eid on every EVENT, got {ET.tostring(child)[:80]!r}")
            raw[child.get("eid")] = (start, start + len(parts[-1]))  # type: ignore[index]
        parts.append(child.tail or "")
    full = "".join(parts)
    lead = len(full) - len(full.lstrip())
    text = full.strip()
    events = {}
    for eid, (start, end) in raw.items():
        inner = full[start:end]
        start += len(inner) - len(inner.lstrip()) - lead
        events[eid] = make_span(text, start, start + len(inner.strip()))
    instances = {m.get("eiid", ""): m.get("eventID", "") for m in root.iter("MAKEINSTANCE")}
    dct = root.find("DCT/TIMEX3")
    return TimeML(text, events, instances, dct.get("value") if dct is not None else None)


def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence boundaries: paragraphs at blank lines, then a split after `. ! ?` (and closing quotes) that is
    followed by a capitalised word or a digit, unless the word before the period is a known abbreviation or a
    single letter."""
    bounds = []
    for para in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", text, flags=re.S):
        start = para.start()
        for end in _SENTENCE_END.finditer(text, para.start(), para.end()):
            word = text[start : end.start() + 1].split()[-1].rstrip(".").lstrip("(\"'`").lower()
            if end.group().startswith(".") and (word in _ABBREVIATIONS or len(word) == 1):
                continue
            bounds.append((start, end.end()))
            start = _SPACE.match(text, end.end()).end()  # type: ignore[union-attr]
        bounds.append((start, para.end()))
    return tuple(bounds)


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="matres",
        tasks=(Task.EVENT_RELATION,),
        splits=(
            SplitSpec("timebank", "held-out", 182, "documents with MATRES pairs (183 .tml files)"),
            SplitSpec("aquaint", "held-out", 73),
            SplitSpec("platinum", "held-out", 20),
        ),
        licence_class="research-only",
        reader=read_matres,
        description="MATRES: temporal order of event start points (before, after, equal, vague) between verb "
        "events in TempEval-3 news documents (TimeBank, AQUAINT, Platinum).",
        relation_labels=RELATION_LABELS,
    )
]
