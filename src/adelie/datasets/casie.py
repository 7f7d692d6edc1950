"""CASIE: cybersecurity event extraction from news articles (Satyapanich et al., AAAI 2020).

`annotation/<n>.json` holds one article: `content` (the text), `info` (title, date, link) and `cyberevent:
{hopper: [{index, relation?, events: [...]}]}`. A hopper groups coreferent events; an event has `type`
(Attack / Vulnerability-related), `subtype` (Databreach, Phishing, Ransom, DiscoverVulnerability,
PatchVulnerability), `realis`, a `nugget` (the trigger) and `argument`s, each with `startOffset`/`endOffset`
into `content`, `text`, a `role: {type}` and an entity `type`.

Events carry the subtype as their type (`coarse` maps it to the type); argument labels are the entity types.
There is no official split: the sorted file names are shuffled with `random.Random(42)` and cut 800/100/100
into train/dev/test.

Offsets: in 32 of the 1000 files every offset is shifted by the same amount (-1 in 30 files, -2 in 996.json,
-12 in 999.json): `content` lacks the first characters of the text that was annotated. When offsets do not
match, the reader looks for the one shift (closest to 0, at most 50) that makes every annotation of the file
match and records it in `meta["offset_shift"]`. One annotation (464.json, `been leaked.`) runs one character
past the end of `content`, which lost its final period: it is cut to the text that is there and listed in
`meta["clipped"]`. An annotation that still does not match is reported through `ctx.fail`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._event_common import build_example, ensure
from adelie.datasets.reading import ReadContext, read_json
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.errors import DataFormatError, MissingDataError
from adelie.schema import Event, Example, Task, make_argument, make_span

NAME = "casie"
SEED = 42
_MAX_SHIFT = 50

EVENT_TYPES: dict[str, str] = {
    "Databreach": "data breach",
    "Phishing": "phishing",
    "Ransom": "ransom",
    "DiscoverVulnerability": "discover vulnerability",
    "PatchVulnerability": "patch vulnerability",
}
COARSE: dict[str, str] = {
    "Databreach": "Attack", "Phishing": "Attack", "Ransom": "Attack",
    "DiscoverVulnerability": "Vulnerability-related", "PatchVulnerability": "Vulnerability-related",
}
ROLES: dict[str, str] = {
    "Attacker": "attacker", "Victim": "victim", "Tool": "tool", "Time": "time", "Place": "place",
    "Purpose": "purpose", "Attack-Pattern": "attack pattern", "Damage-Amount": "damage amount",
    "Compromised-Data": "compromised data", "Number-of-Data": "number of data", "Number-of-Victim": "number of victims",
    "Trusted-Entity": "trusted entity", "Price": "price", "Payment-Method": "payment method",
    "Vulnerability": "vulnerability", "Vulnerable_System": "vulnerable system",
    "Vulnerable_System_Owner": "vulnerable system owner", "Vulnerable_System_Version": "vulnerable system version",
    "Supported_Platform": "supported platform", "Discoverer": "discoverer", "Capabilities": "capabilities",
    "CVE": "CVE identifier", "Releaser": "releaser", "Patch": "patch", "Patch-Number": "patch number",
    "Issues-Addressed": "issues addressed",
}
_COMMON = ("Attacker", "Victim", "Tool", "Time", "Place", "Attack-Pattern", "Damage-Amount")
_VULNERABILITY = ("Vulnerability", "Vulnerable_System", "Vulnerable_System_Version", "Supported_Platform", "CVE",
                  "Time")
EVENT_ROLES: dict[str, tuple[str, ...]] = {
    "Databreach": (*_COMMON, "Purpose", "Compromised-Data", "Number-of-Data", "Number-of-Victim"),
    "Phishing": (*_COMMON, "Purpose", "Trusted-Entity"),
    "Ransom": (*_COMMON, "Price", "Payment-Method"),
    "DiscoverVulnerability": (*_VULNERABILITY, "Discoverer", "Vulnerable_System_Owner", "Capabilities"),
    "PatchVulnerability": (*_VULNERABILITY, "Releaser", "Patch", "Patch-Number", "Issues-Addressed"),
}
ENTITY_LABELS: dict[str, str] = {
    "Person": "person", "Organization": "organization", "GPE": "geopolitical entity", "Time": "time",
    "Vulnerability": "vulnerability", "Capabilities": "capabilities", "System": "system", "PII": "personal data",
    "Data": "data", "Software": "software", "Patch": "patch", "Device": "device", "File": "file",
    "Purpose": "purpose", "Malware": "malware", "Version": "version", "Money": "money", "Website": "website",
    "CVE": "CVE identifier", "Number": "number", "PaymentMethod": "payment method",
}
_EXPECTED = ("a CASIE article {content, info, cyberevent: {hopper: [{events: [{nugget, subtype, realis, "
             "argument: [{startOffset, endOffset, text, role: {type}, type}]}]}]}}")


def split_files(folder: Path) -> dict[str, list[Path]]:
    """The seeded 80/10/10 split: {split: sorted files}. The same files always land in the same split."""
    files = sorted((folder / "annotation").glob("*.json"), key=lambda p: p.name)
    if not files:
        raise MissingDataError(f"no CASIE annotation files (*.json) in {folder / 'annotation'}")
    random.Random(SEED).shuffle(files)
    n_train, n_dev = round(0.8 * len(files)), round(0.1 * len(files))
    parts = {"train": files[:n_train], "dev": files[n_train : n_train + n_dev], "test": files[n_train + n_dev :]}
    return {split: sorted(part, key=lambda p: p.name) for split, part in parts.items()}


def read_casie(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one split of the seeded train/dev/test split: one Example per article."""
    for path in split_files(folder)[split]:
        try:
            record = read_json(path)
        except DataFormatError as exc:
            ctx.fail(path, exc.where, exc.message)
            continue
        example = build_example(path, path.stem, ctx, _EXPECTED, lambda p=path, r=record: _fields(p, r, split))
        if example is not None:
            yield example


def _fields(path: Path, record: dict[str, Any], split: str) -> dict[str, Any]:
    text = record["content"]
    ensure(isinstance(text, str), "'content' must be a string")
    hoppers = record["cyberevent"].get("hopper", [])
    raw_events = [ev for hopper in hoppers for ev in hopper["events"]]
    mentions = [m for ev in raw_events for m in (ev["nugget"], *ev.get("argument", []))]
    shift = _shift(text, mentions)
    if shift is None:
        bad = next(m for m in mentions if _locate(text, m, 0) is None)
        raise ValueError(f"offsets [{bad['startOffset']}, {bad['endOffset']}) to give {bad['text']!r} (annotation "
                         f"{bad.get('index')}), found {text[bad['startOffset'] : bad['endOffset']]!r}, and no "
                         f"shift within {_MAX_SHIFT} characters aligns every annotation")
    clipped = [m.get("index") for m in mentions if _at(text, m, shift)[1] != m["endOffset"] + shift]
    events = []
    for ev in raw_events:
        ensure(ev["subtype"] in EVENT_TYPES, f"a subtype in {sorted(EVENT_TYPES)}, not {ev['subtype']!r}")
        arguments = tuple(
            make_argument(text, *_at(text, a, shift), role=a["role"]["type"], label=a["type"])
            for a in ev.get("argument", [])
        )
        trigger = make_span(text, *_at(text, ev["nugget"], shift))
        events.append(Event(trigger=trigger, type=ev["subtype"], arguments=arguments, id=ev["index"]))
    info = record.get("info") or {}
    meta: dict[str, Any] = {
        **{key: info.get(key) for key in ("title", "date", "link")},
        "realis": {ev["index"]: ev["realis"] for ev in raw_events},
        "hoppers": [[ev["index"] for ev in h["events"]] for h in hoppers],
    }
    if shift:
        meta["offset_shift"] = shift
    if clipped:
        meta["clipped"] = clipped
    return dict(id=f"{NAME}-{path.stem}", dataset=NAME, split=split, text=text, doc_id=path.stem,
                events=tuple(events), meta=meta)


def _shift(text: str, mentions: list[dict[str, Any]]) -> int | None:
    """The offset correction (closest to 0) under which every mention matches `text`, or None."""
    for shift in sorted(range(-_MAX_SHIFT, _MAX_SHIFT + 1), key=lambda k: (abs(k), k)):
        if all(_locate(text, m, shift) is not None for m in mentions):
            return shift
    return None


def _locate(text: str, mention: dict[str, Any], shift: int) -> tuple[int, int] | None:
    """(start, end) of `mention` under `shift` if the text there is the mention's text, or the part of it
    that `text` still holds when the mention runs past the end; else None."""
    start, end, surface = mention["startOffset"] + shift, mention["endOffset"] + shift, mention["text"]
    ensure(isinstance(surface, str) and end - start == len(surface), f"endOffset - startOffset == len(text) in "
                                                                     f"{mention!r}")
    if start < 0:
        return None
    if text[start:end] == surface:
        return start, end
    if start < len(text) < end and surface.startswith(text[start:]):
        return start, len(text)
    return None


def _at(text: str, mention: dict[str, Any], shift: int) -> tuple[int, int]:
    """`_locate` for a mention known to match under `shift`."""
    found = _locate(text, mention, shift)
    ensure(found is not None, f"annotation {mention.get('index')} to match the text under shift {shift}")
    return found  # type: ignore[return-value]


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="casie",
        tasks=(Task.EVENT_DETECTION, Task.EVENT_ARGUMENTS),
        splits=(
            SplitSpec("train", "train", 800, f"seeded split (random.Random({SEED}) over sorted file names), 80%"),
            SplitSpec("dev", "dev", 100, "seeded split, 10%"),
            SplitSpec("test", "in-domain test", 100, "seeded split, 10%"),
        ),
        licence_class="unstated",
        reader=read_casie,
        description="CASIE: cybersecurity events (data breach, phishing, ransom, vulnerability discovery and "
        "patch) with arguments, in 1000 news articles.",
        entity_labels=ENTITY_LABELS,
        event_types=EVENT_TYPES,
        roles=ROLES,
        event_roles=EVENT_ROLES,
        coarse=COARSE,
    )
]
