"""WikiEvents: document-level event extraction on news articles cited in Wikipedia (Li et al., NAACL 2021).

Each line of `{split}.jsonl` is one document: `doc_id`, `tokens`, `text`, `sentences` (`[[[token, start, end],
...], sentence text]`), `entity_mentions` (`{id, start, end, entity_type, text}`, token offsets, end exclusive),
`relation_mentions` (empty here) and `event_mentions` (`{id, event_type, trigger: {start, end, text},
arguments: [{entity_id, role, text}]}`). `coref/{split}.jsonlines` groups the entity mentions into clusters.

Text: the token offsets point into the original document, where sentences are separated by whitespace that the
`text` field drops (it glues sentences together: `...in SyriaThe desert...`). The reader rebuilds the document
by placing each sentence text at its first token's offset, with spaces in between, so every token, mention
and trigger lies at its source offsets (checked). An entity's `id` is its coreference cluster (`<doc>-C<n>`)
or, outside every cluster, its mention id; an argument is the span of the mention its `entity_id` names, with
that mention's entity type as label and entity id as id (`meta["mention_ids"]` lists the source mention id
of each entity, in order).

Roles per event type: the SCPRG `meta.json` (shipped as `role_meta_scprg.json`) plus three roles that dev/test
use but meta.json lacks (DemonstrateWithViolence: Regulator; StartPosition: Place, Position).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._event_common import build_example, ensure, parse_ontology, words
from adelie.datasets.reading import ReadContext, iter_jsonl
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Argument, Event, Example, Span, Task, make_span

NAME = "wikievents"

_ONTOLOGY = """
ArtifactExistence.DamageDestroyDisableDismantle.Damage: Place Instrument Damager Artifact
ArtifactExistence.DamageDestroyDisableDismantle.Destroy: Place Instrument Artifact Destroyer
ArtifactExistence.DamageDestroyDisableDismantle.DisableDefuse: Disabler Instrument Artifact
ArtifactExistence.DamageDestroyDisableDismantle.Dismantle: Place Components Instrument Dismantler Artifact
ArtifactExistence.DamageDestroyDisableDismantle.Unspecified: DamagerDestroyer Instrument Artifact Place
ArtifactExistence.ManufactureAssemble.Unspecified: Place ManufacturerAssembler Components Artifact
Cognitive.IdentifyCategorize.Unspecified: Place IdentifiedRole IdentifiedObject Identifier
Cognitive.Inspection.SensoryObserve: Place Instrument Observer ObservedEntity
Cognitive.Research.Unspecified: Place Researcher Subject
Cognitive.TeachingTrainingLearning.Unspecified: TeacherTrainer Learner
Conflict.Attack.DetonateExplode: Place ExplosiveDevice Attacker Target Instrument
Conflict.Attack.Unspecified: Place Instrument Target Attacker
Conflict.Defeat.Unspecified: Place Victor Defeated
Conflict.Demonstrate.DemonstrateWithViolence: Demonstrator Regulator
Conflict.Demonstrate.Unspecified: Topic Target Demonstrator
Contact.Contact.Broadcast: Place Topic Communicator Instrument Recipient
Contact.Contact.Correspondence: Participant Topic Place
Contact.Contact.Meet: Participant Topic Place
Contact.Contact.Unspecified: Participant Topic Place
Contact.RequestCommand.Broadcast: Recipient Communicator
Contact.RequestCommand.Meet: Recipient Communicator
Contact.RequestCommand.Unspecified: Recipient Communicator Place
Contact.ThreatenCoerce.Broadcast: Recipient Communicator
Contact.ThreatenCoerce.Correspondence: Recipient Communicator
Contact.ThreatenCoerce.Unspecified: Recipient Communicator
Control.ImpedeInterfereWith.Unspecified: Place Impeder
Disaster.Crash.Unspecified: Place CrashObject Vehicle
Disaster.DiseaseOutbreak.Unspecified: Place Disease Victim
GenericCrime.GenericCrime.GenericCrime: Place Perpetrator Victim
Justice.Acquit.Unspecified: Defendant
Justice.ArrestJailDetain.Unspecified: Place Detainee Jailer
Justice.ChargeIndict.Unspecified: Place JudgeCourt Defendant Prosecutor
Justice.Convict.Unspecified: JudgeCourt Defendant
Justice.InvestigateCrime.Unspecified: Place Investigator Observer Defendant ObservedEntity
Justice.ReleaseParole.Unspecified: JudgeCourt Defendant
Justice.Sentence.Unspecified: Place JudgeCourt Defendant
Justice.TrialHearing.Unspecified: Place JudgeCourt Defendant Prosecutor
Life.Die.Unspecified: Place Victim Killer
Life.Infect.Unspecified: Victim
Life.Injure.Unspecified: Instrument Injurer Victim BodyPart
Medical.Intervention.Unspecified: Place Patient Treater
Movement.Transportation.Evacuation: PassengerArtifact Transporter Destination Origin
Movement.Transportation.IllegalTransportation: PassengerArtifact Destination Transporter Vehicle
Movement.Transportation.PreventPassage: Destination Preventer Transporter Origin Vehicle PassengerArtifact
Movement.Transportation.Unspecified: Destination Transporter Origin Vehicle PassengerArtifact
Personnel.EndPosition.Unspecified: PlaceOfEmployment Employee
Personnel.StartPosition.Unspecified: PlaceOfEmployment Employee Place Position
Transaction.Donation.Unspecified: ArtifactMoney Recipient Giver
Transaction.ExchangeBuySell.Unspecified: PaymentBarter Recipient AcquiredEntity Giver
"""
EVENT_ROLES: dict[str, tuple[str, ...]] = parse_ontology(_ONTOLOGY)
ROLES: dict[str, str] = {r: words(r) for roles in EVENT_ROLES.values() for r in roles}
ENTITY_LABELS: dict[str, str] = {
    "PER": "person", "ORG": "organization", "GPE": "geopolitical entity", "LOC": "location", "FAC": "facility",
    "VEH": "vehicle", "WEA": "weapon", "VAL": "value", "MON": "money", "COM": "commodity", "TTL": "title",
    "MHI": "medical or health issue", "SID": "side of a conflict", "ABS": "abstract entity", "BOD": "body part",
    "CRM": "crime", "INF": "information", "LAW": "law", "RES": "result", "SEN": "judicial sentence",
    "BAL": "ballot", "AML": "animal", "PLA": "plant", "NAT": "natural resource", "PTH": "pathogen",
}
_EXPECTED = ("a WikiEvents document {doc_id, sentences: [[[token, start, end], ...], text], entity_mentions, "
             "event_mentions: [{id, event_type, trigger: {start, end}, arguments: [{entity_id, role}]}]}")


def _type_name(event_type: str) -> str:
    """`Conflict.Attack.DetonateExplode` -> `attack: detonate explode`; `Life.Die.Unspecified` -> `die`."""
    _, level2, level3 = (words(part) for part in event_type.split("."))
    return level2 if level3 in ("unspecified", level2) else f"{level2}: {level3}"


EVENT_TYPES: dict[str, str] = {t: _type_name(t) for t in EVENT_ROLES}
COARSE: dict[str, str] = {t: t.rsplit(".", 1)[0] for t in EVENT_ROLES}


def read_wikievents(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one split (`dev`, `test`): one Example per document."""
    path = folder / f"{split}.jsonl"
    clusters = _clusters(folder / "coref" / f"{split}.jsonlines", ctx)
    for lineno, record in iter_jsonl(path, ctx):
        example = build_example(path, lineno, ctx, _EXPECTED, lambda r=record: _fields(r, split, clusters))
        if example is not None:
            yield example


def _clusters(path: Path, ctx: ReadContext) -> dict[str, str]:
    """Mention id -> cluster id (`<doc>-C<n>`, n counting from 0 in file order) from the coreference file."""
    out: dict[str, str] = {}
    for lineno, record in iter_jsonl(path, ctx):
        try:
            for n, cluster in enumerate(record["clusters"]):
                out.update({mention: f"{record['doc_key']}-C{n}" for mention in cluster})
        except (KeyError, TypeError) as exc:
            ctx.fail(path, lineno, f"expected {{doc_key, clusters: [[mention id, ...], ...]}}; got {exc!r}")
    return out


def _fields(record: dict[str, Any], split: str, clusters: dict[str, str]) -> dict[str, Any]:
    doc_id = record["doc_id"]
    text, tokens, bounds = _document(record["sentences"])
    entities: dict[str, Span] = {}
    for m in record["entity_mentions"]:
        span = _token_span(text, tokens, m["start"], m["end"], m["text"])
        entities[m["id"]] = make_span(text, span.start, span.end, m["entity_type"], clusters.get(m["id"], m["id"]))
    events = []
    for ev in record["event_mentions"]:
        trigger = ev["trigger"]
        arguments = []
        for arg in ev["arguments"]:
            ensure(arg["entity_id"] in entities, f"argument entity_id {arg['entity_id']!r} among entity_mentions")
            arguments.append(Argument(**entities[arg["entity_id"]].model_dump(), role=arg["role"]))
        events.append(Event(trigger=_token_span(text, tokens, trigger["start"], trigger["end"], trigger.get("text")),
                            type=ev["event_type"], arguments=tuple(arguments), id=ev["id"]))
    return dict(id=f"{NAME}-{doc_id}", dataset=NAME, split=split, text=text, doc_id=doc_id, sentences=bounds,
                entities=tuple(entities.values()), events=tuple(events),
                meta={"mention_ids": list(entities)})


def _document(sentences: list[Any]) -> tuple[str, list[tuple[int, int]], tuple[tuple[int, int], ...]]:
    """The document text rebuilt at the source offsets, every token's (start, end), and sentence bounds."""
    chars: list[str] = []
    tokens: list[tuple[int, int]] = []
    bounds = []
    for toks, sentence_text in sentences:
        first = toks[0][1]
        ensure(first >= len(chars), f"sentences in order without overlap, sentence at {first} overlaps")
        chars += [" "] * (first - len(chars)) + list(sentence_text)
        bounds.append((first, toks[-1][2]))
        for token, start, end in toks:
            ensure("".join(chars[start:end]) == token, f"token {token!r} at [{start}, {end}) of its sentence text")
            tokens.append((start, end))
    return "".join(chars), tokens, tuple(bounds)


def _token_span(text: str, tokens: list[tuple[int, int]], start: int, end: int, surface: str | None) -> Span:
    """The span over tokens [start, end), checked against the source's `text` of the mention."""
    ensure(0 <= start < end <= len(tokens), f"token range [{start}, {end}) inside the {len(tokens)} tokens")
    span = make_span(text, tokens[start][0], tokens[end - 1][1])
    ensure(surface is None or span.text == surface, f"tokens [{start}, {end}) to read {surface!r}, not {span.text!r}")
    return span


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="wikievents",
        tasks=(Task.EVENT_DETECTION, Task.EVENT_ARGUMENTS),
        splits=(
            SplitSpec("dev", "train", 20, "the training pool: WikiEvents train is absent from this snapshot"),
            SplitSpec("test", "held-out", 20),
        ),
        licence_class="unstated",
        reader=read_wikievents,
        description="WikiEvents: document-level event detection and argument extraction (KAIROS ontology, "
        "49 event types) on news articles cited by Wikipedia, with entity mentions and coreference.",
        entity_labels=ENTITY_LABELS,
        event_types=EVENT_TYPES,
        roles=ROLES,
        event_roles=EVENT_ROLES,
        coarse=COARSE,
    )
]
