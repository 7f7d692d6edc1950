"""Synthetic on-demand IE items: an instruction asking for a table, and the gold table built from the
annotations of a training example.

ODIE has no training split (its test is held out), so on-demand training items are made from train-role
datasets: entity tables from entity annotations, relation tables ("people and the organisations they work
for") from relations, event tables ("each drug, its dosage and the adverse effect") from events. Column
names vary only when the instruction names them; otherwise a recipe's default header is used, so the
header is always inferable from the request. Missing cells are "N/A", as in ODIE.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from adelie.datasets.registry import DatasetSpec
from adelie.schema import Event, Example, Table

DATASET = "odie_synth"
MISSING = "N/A"


@dataclass(frozen=True)
class Column:
    """A table column: its default name, alternative names (used when the instruction names the columns),
    and where its cells come from (a relation side "head"/"tail", or an argument role)."""

    name: str
    alternatives: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Recipe:
    """A hand-written request: instruction phrasings (with `{columns}` where the header is stated) and columns."""

    requests: tuple[str, ...]
    columns: tuple[Column, ...]
    label: str = ""  # the raw relation label or event type it applies to


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


_COLUMNS_CLAUSE = (" Use the columns {columns}.", " Columns: {columns}.",
                   " The table should have the columns {columns}.", " Name the columns {columns}.")
_COLUMN_CLAUSE = (" Use the column name {columns}.", " Column: {columns}.", " Title the column {columns}.")

# Relation recipes by (dataset, raw label). Columns take the relation's head or tail.
RELATIONS: dict[tuple[str, str], Recipe] = {
    ("conll04", "Work_For"): Recipe((
        "Make a table of the people in the text and the organisations they work for.",
        "Who works for which organisation according to this text? Put each person and their employer in a table.",
    ), (Column("Person", ("Employee", "Name"), "head"), Column("Organisation", ("Employer", "Organization"), "tail"))),
    ("conll04", "Live_In"): Recipe((
        "List the people mentioned in the text together with the places where they live.",
        "Build a table of residents and where they live, based on the text.",
    ), (Column("Person", ("Resident", "Name"), "head"),
        Column("Place of residence", ("Location", "Lives in"), "tail"))),
    ("conll04", "OrgBased_In"): Recipe((
        "Which organisations are based where? Give each organisation and its location.",
        "Tabulate the organisations in the text and the places where they are based.",
    ), (Column("Organisation", ("Organization", "Company or body"), "head"),
        Column("Based in", ("Location", "Headquarters"), "tail"))),
    ("conll04", "Located_In"): Recipe((
        "List each place in the text and the larger place it is located in.",
        "Make a table of locations and the regions or countries that contain them.",
    ), (Column("Place", ("Location",), "head"), Column("Located in", ("Containing place", "Region"), "tail"))),
    ("conll04", "Kill"): Recipe((
        "From this text, list who killed whom.",
        "Make a table of each killer and their victim mentioned in the text.",
    ), (Column("Killer", ("Perpetrator",), "head"), Column("Victim", ("Person killed",), "tail"))),
    ("ade", "Adverse-Effect"): Recipe((
        "Make a table of the drugs in this text and the adverse effects they caused.",
        "Which side effects are attributed to which drug here? List each drug with its adverse effect.",
        "I am collecting adverse drug reactions. Extract every drug and the reaction it caused.",
    ), (Column("Drug", ("Medication", "Drug name"), "tail"),
        Column("Adverse effect", ("Side effect", "Reaction"), "head"))),
    ("scierc", "USED-FOR"): Recipe((
        "List the methods, tools or resources in this abstract and what each is used for.",
        "Make a table of what is used for what in this scientific text.",
    ), (Column("Method or resource", ("Used", "Technique"), "head"),
        Column("Used for", ("Purpose", "Application"), "tail"))),
    ("scierc", "EVALUATE-FOR"): Recipe((
        "Which metrics or datasets are used to evaluate what? Tabulate them from the abstract.",
    ), (Column("Evaluation means", ("Metric or data",), "head"), Column("Evaluated", ("What is evaluated",), "tail"))),
    ("scierc", "HYPONYM-OF"): Recipe((
        "List the terms in the text that are given as kinds of a broader term, with that broader term.",
    ), (Column("Term", ("Specific term",), "head"), Column("Kind of", ("Broader term",), "tail"))),
    ("scierc", "PART-OF"): Recipe((
        "Make a table of the components mentioned in the abstract and what they are part of.",
    ), (Column("Part", ("Component",), "head"), Column("Part of", ("Whole",), "tail"))),
    ("scierc", "FEATURE-OF"): Recipe((
        "List the features or properties in the text and what they are features of.",
    ), (Column("Feature", ("Property",), "head"), Column("Feature of", ("Owner",), "tail"))),
    ("scierc", "COMPARE"): Recipe((
        "Which things does the abstract compare? Give each pair.",
    ), (Column("Compared", ("First item",), "head"), Column("Compared with", ("Second item",), "tail"))),
}

# Event recipes by (dataset, raw event type). Columns take the arguments of a role.
EVENTS: dict[tuple[str, str], tuple[Recipe, ...]] = {
    ("phee", "Adverse_event"): (
        Recipe(("Make a table of each drug in the text, its dosage and the adverse effect it caused.",
                "I need the adverse drug events in this text: the drug, the dose given and the effect."),
               (Column("Drug", ("Medication",), "Treatment.Drug"), Column("Dosage", ("Dose",), "Treatment.Dosage"),
                Column("Adverse effect", ("Side effect", "Effect"), "Effect"))),
        Recipe(("Tabulate the patients described in the text, the drug they were taking and the adverse effect "
                "they had.",),
               (Column("Patient", ("Subject",), "Subject"), Column("Drug", ("Medication",), "Treatment.Drug"),
                Column("Adverse effect", ("Reaction",), "Effect"))),
        Recipe(("For each adverse event in the text, give the drug, the disorder it was treating and the "
                "adverse effect.",),
               (Column("Drug", (), "Treatment.Drug"),
                Column("Treated condition", ("Indication",), "Treatment.Disorder"),
                Column("Adverse effect", (), "Effect"))),
    ),
    ("phee", "Potential_therapeutic_event"): (
        Recipe(("Make a table of each drug in the text, the condition it treats and the therapeutic effect.",
                "Which drugs show a potential therapeutic benefit here? List drug, condition and effect."),
               (Column("Drug", ("Treatment",), "Treatment.Drug"),
                Column("Condition", ("Disorder",), "Treatment.Disorder"),
                Column("Effect", ("Outcome",), "Effect"))),
    ),
    ("casie", "Databreach"): (
        Recipe(("Summarise the data breaches in this article: who was behind each, who was affected and what "
                "data was exposed.",),
               (Column("Attacker", ("Perpetrator",), "Attacker"), Column("Victim", ("Affected party",), "Victim"),
                Column("Compromised data", ("Data exposed",), "Compromised-Data"))),
    ),
    ("casie", "Phishing"): (
        Recipe(("Make a table of the phishing attacks in the text: the attacker, the victim and the trusted "
                "entity they impersonated.",),
               (Column("Attacker", (), "Attacker"), Column("Victim", ("Target",), "Victim"),
                Column("Impersonated entity", ("Trusted entity",), "Trusted-Entity"))),
    ),
    ("casie", "Ransom"): (
        Recipe(("List the ransom attacks reported here with the attacker, the victim and the ransom demanded.",),
               (Column("Attacker", (), "Attacker"), Column("Victim", (), "Victim"),
                Column("Ransom", ("Price",), "Price"))),
    ),
    ("casie", "DiscoverVulnerability"): (
        Recipe(("Which vulnerabilities does the article report? Give the vulnerability, the affected system and who "
                "discovered it.",),
               (Column("Vulnerability", (), "Vulnerability"),
                Column("Affected system", ("System",), "Vulnerable_System"),
                Column("Discovered by", ("Discoverer",), "Discoverer"))),
    ),
    ("casie", "PatchVulnerability"): (
        Recipe(("Make a table of the security patches in the text: the affected system, the patch and who released "
                "it.",),
               (Column("System", ("Product",), "Vulnerable_System"), Column("Patch", ("Fix",), "Patch"),
                Column("Released by", ("Vendor",), "Releaser"))),
    ),
}


def _header(r: random.Random, columns: Sequence[Column]) -> tuple[tuple[str, ...], str]:
    """The header and, when the instruction should name it, a clause stating it."""
    if r.random() < 0.5:
        return tuple(c.name for c in columns), ""
    names = tuple(r.choice((c.name, *c.alternatives)) for c in columns)
    clauses = _COLUMN_CLAUSE if len(names) == 1 else _COLUMNS_CLAUSE
    return names, r.choice(clauses).format(columns=_join(names))


def _rows(rows: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(rows))


def entity_item(r: random.Random, ex: Example, spec: DatasetSpec) -> tuple[str, Table] | None:
    """A table of the mentions of one to three entity types (mostly types the text has)."""
    names = {raw: spec.entity_labels.get(raw, raw) for raw in {s.label for s in ex.entities if s.label}}
    all_types = sorted(set(spec.entity_labels.values()))
    if not all_types:
        return None
    present = sorted(set(names.values()))
    k = r.choice((1, 1, 2, 3))
    pool = present if present and r.random() < 0.85 else all_types
    chosen = r.sample(pool, min(k, len(pool)))
    mentions = sorted((s for s in ex.entities if s.label and names.get(s.label) in chosen), key=lambda s: s.start)
    if len(chosen) == 1:
        t = chosen[0]
        request = r.choice((f"List every {t} mentioned in the text.", f"Make a table of the {t} mentions in this text.",
                            f"Which {t} names appear in the passage? Put them in a one-column table.",
                            f"Extract all mentions of the type \"{t}\" into a table."))
        header, clause = _header(r, [Column(_cap(t), (f"{_cap(t)} mention", f"{_cap(t)} name"))])
        return request + clause, Table(header=header, rows=_rows([(s.text,) for s in mentions]))
    types = _join(chosen)
    request = r.choice((f"Make a table of the {types} mentions in the text, with the type of each.",
                        f"Find every mention of these types: {types}. Give each mention and its type.",
                        f"List the entities of type {types} that the text mentions, one row per entity."))
    header, clause = _header(r, [Column("Entity", ("Mention", "Name")), Column("Type", ("Category", "Entity type"))])
    return request + clause, Table(header=header, rows=_rows([(s.text, names[s.label]) for s in mentions if s.label]))


def relation_item(r: random.Random, ex: Example, spec: DatasetSpec) -> tuple[str, Table] | None:
    """A table of the pairs of one relation (a hand-written request where there is one), or of every triple."""
    if not ex.relations or (spec.no_relation and all(rel.label == spec.no_relation for rel in ex.relations)):
        return None
    labels = sorted({rel.label for rel in ex.relations if rel.label != spec.no_relation})
    if len(labels) > 1 and r.random() < 0.3:
        names = sorted(set(spec.relation_labels.values()) - {spec.label_name(spec.no_relation or "")})
        request = r.choice(("List every relation between entities in the text as subject, relation and object.",
                            "Extract the facts in this text as (subject, relation, object) rows."))
        if names and len(names) <= 20:
            request += f" Relations to look for: {', '.join(names)}."
        header, clause = _header(r, [Column("Subject", ("Head", "Entity 1")), Column("Relation", ("Predicate",)),
                                     Column("Object", ("Tail", "Entity 2"))])
        rows = [(rel.head.text, spec.label_name(rel.label), rel.tail.text) for rel in ex.relations
                if rel.label in labels]
        return request + clause, Table(header=header, rows=_rows(rows))
    label = r.choice(labels)
    recipe = RELATIONS.get((spec.name, label))
    if recipe is None:
        name = spec.label_name(label)
        recipe = Recipe((f"For each pair of entities in the text linked by the relation \"{name}\", give the "
                         f"subject and the object.",
                         f"Make a table of the facts of the form \"X {name} Y\" that the text states.",
                         f"Which entities have a \"{name}\" relation in this text? List subject and object."),
                        (Column("Subject", ("Entity", "Head entity"), "head"),
                         Column(_cap(name), ("Object", "Tail entity"), "tail")))
    header, clause = _header(r, recipe.columns)
    rows = [tuple(rel.head.text if c.source == "head" else rel.tail.text for c in recipe.columns)
            for rel in ex.relations if rel.label == label]
    return r.choice(recipe.requests) + clause, Table(header=header, rows=_rows(rows))


def _event_rows(events: Sequence[Event], roles: Sequence[str], trigger: bool) -> list[tuple[str, ...]]:
    rows = []
    for ev in events:
        cells = [", ".join(dict.fromkeys(a.text for a in ev.arguments if a.role == role)) or MISSING for role in roles]
        if all(c == MISSING for c in cells):
            continue
        rows.append(((ev.trigger.text,) if trigger else ()) + tuple(cells))
    return rows


def event_item(r: random.Random, ex: Example, spec: DatasetSpec) -> tuple[str, Table] | None:
    """A table of the events of one type: a hand-written request where there is one, else the roles that the
    text's events of that type fill."""
    types = sorted({ev.type for ev in ex.events if ev.arguments})
    if not types:
        return None
    etype = r.choice(types)
    events = [ev for ev in ex.events if ev.type == etype]
    recipes = EVENTS.get((spec.name, etype), ())
    if recipes and r.random() < 0.7:
        recipe = r.choice(recipes)
        header, clause = _header(r, recipe.columns)
        rows = _event_rows(events, [c.source for c in recipe.columns], trigger=False)
        if rows:
            return r.choice(recipe.requests) + clause, Table(header=header, rows=_rows(rows))
    filled = sorted({a.role for ev in events for a in ev.arguments})
    roles = r.sample(filled, min(len(filled), r.randint(1, 4)))
    roles.sort(key=lambda role: (spec.event_roles.get(etype, ()) + tuple(filled)).index(role))
    readable = [spec.roles.get(role, role) for role in roles]
    tname = spec.event_types.get(etype, etype)
    with_trigger = r.random() < 0.3
    request = r.choice((f"For every \"{tname}\" event in the text, give the {_join(readable)}.",
                        f"Make a table of the events of type \"{tname}\" described here with their {_join(readable)}.",
                        f"Extract each \"{tname}\" event: {_join(readable)}. Write {MISSING} when the text does not "
                        "say."))
    if with_trigger:
        request += " Include the word that signals each event."
    columns = ([Column("Trigger", ("Event word",))] if with_trigger else []) + [Column(_cap(n)) for n in readable]
    header, clause = _header(r, columns)
    return request + clause, Table(header=header, rows=_rows(_event_rows(events, roles, with_trigger)))


MIN_WORDS = 5  # shorter texts ("3.", "Reuters") make no sensible request


def synthesize(r: random.Random, ex: Example, spec: DatasetSpec) -> Example | None:
    """An on-demand example (instruction + gold table) made from `ex`, or None when its annotations give none
    or its text is shorter than MIN_WORDS words."""
    if len(ex.text.split()) < MIN_WORDS:
        return None
    makers = []
    if ex.events:
        makers += [event_item, event_item]
    if ex.relations:
        makers += [relation_item, relation_item]
    ner_only = bool(spec.entity_labels) and not spec.relation_labels and not spec.event_types
    if ner_only or (ex.entities and r.random() < 0.3):
        makers.append(entity_item)
    r.shuffle(makers)
    for make in makers:
        got = make(r, ex, spec)
        if got is not None:
            instruction, table = got
            return Example(id=f"{spec.name}:{ex.id}", dataset=DATASET, split="train", text=ex.text,
                           instruction=instruction, table=table,
                           meta={"source_dataset": spec.name, "source_id": ex.id, "recipe": make.__name__})
    return None
